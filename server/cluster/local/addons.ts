// What a real node's cluster runs as pods: the add-ons in addons/ (cluster DNS, ...), applied
// with server-side apply so `cluster up` can apply them again to a running cluster.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppsV1Api, type KubeConfig, type KubernetesObject, KubernetesObjectApi, PatchStrategy } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { CnlabError } from '../../errors.ts';

const addonsDir = join(import.meta.dirname, 'addons');

/** What differs between nodes, written in the add-ons as ${NAME}. */
export type AddonValues = { NODE_VOLUMES: string; DNS_UPSTREAM: string; POD_EGRESS: string };

async function addons(values?: AddonValues): Promise<KubernetesObject[]> {
  const objects: KubernetesObject[] = [];
  for (const file of (await readdir(addonsDir)).filter((name) => name.endsWith('.yaml')).sort()) {
    const text = (await readFile(join(addonsDir, file), 'utf8')).replace(/\$\{(\w+)\}/g, (whole, name: string) => {
      if (!values) return whole;
      const value = (values as Record<string, string>)[name];
      if (value === undefined) throw new CnlabError(`${file}: no value for \${${name}}`);
      return value;
    });
    for (const doc of parseAllDocuments(text)) objects.push(doc.toJS() as KubernetesObject);
  }
  return objects;
}

/** Applies every add-on: before the node starts, so its components find their rights in place. */
export async function applyAddons(kc: KubeConfig, values: AddonValues): Promise<void> {
  const client = KubernetesObjectApi.makeApiClient(kc);
  for (const object of await addons(values)) await client.patch(object, undefined, undefined, 'cnlab', true, PatchStrategy.ServerSideApply);
}

/** Waits until each Deployment among the add-ons is available (but those marked as not worth waiting for). */
export async function waitForAddons(kc: KubeConfig, timeoutMs = 60_000): Promise<void> {
  const apps = kc.makeApiClient(AppsV1Api);
  const deployments = (await addons()).filter((object) => object.kind === 'Deployment' && object.metadata?.annotations?.['cnlab.dev/cluster-up-waits'] !== 'false');
  const deadline = Date.now() + timeoutMs;
  for (const { metadata } of deployments) {
    for (;;) {
      const deployment = await apps.readNamespacedDeployment({ name: String(metadata?.name), namespace: String(metadata?.namespace) });
      if ((deployment.status?.availableReplicas ?? 0) >= (deployment.spec?.replicas ?? 1)) break;
      if (Date.now() > deadline) {
        throw new CnlabError(
          `the add-on ${metadata?.namespace}/${metadata?.name} did not become available within ${timeoutMs / 1000}s`,
          `see \`kubectl -n ${metadata?.namespace} describe deployment ${metadata?.name}\` with the admin kubeconfig (\`cnlab cluster kubeconfig\`)`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

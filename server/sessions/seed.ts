import { type KubeConfig, type KubernetesObject, KubernetesObjectApi } from '@kubernetes/client-node';
import { LABELS, MANAGED_BY } from '../shared/names.ts';
import { namespacedLabKinds } from '../shared/kinds.ts';

// One generic client per cluster: it looks up each API version's resources once and keeps them,
// so a session's setup is its creates alone, not a discovery request before them every time.
const clients = new WeakMap<KubeConfig, KubernetesObjectApi>();
function objectApi(kc: KubeConfig): KubernetesObjectApi {
  let client = clients.get(kc);
  if (!client) {
    client = KubernetesObjectApi.makeApiClient(kc);
    clients.set(kc, client);
  }
  return client;
}

/** Creates a lab's setup objects in the learner's namespace (how broken workloads get seeded). */
export async function applySetup(kc: KubeConfig, namespace: string, objects: readonly KubernetesObject[]): Promise<void> {
  const client = objectApi(kc);
  for (const object of objects) {
    // One by one, in file order: a later object may depend on an earlier one (a ConfigMap first).
    await client.create({ ...object, metadata: { ...object.metadata, namespace } });
  }
}

/**
 * Deletes everything the learner made in their namespace, keeping what the platform put there
 * (their ServiceAccount, Role, quota, limits, network policy): the first half of "Reset lab".
 */
export async function wipeNamespace(kc: KubeConfig, namespace: string): Promise<void> {
  const client = objectApi(kc);
  // Owned objects (ReplicaSets, Pods, EndpointSlices) go with their owners; the rest one by one.
  const ownedByController = new Set(['ReplicaSet', 'Pod', 'Endpoints', 'EndpointSlice', 'Job']);
  // Only the namespace's own kinds: listing a cluster-scoped kind (Node) would reach beyond it.
  await Promise.all(
    namespacedLabKinds.map(async ([kind, { apiVersion }]) => {
      const { items } = await client.list(apiVersion, kind, namespace);
      await Promise.all(
        items
          .filter((object) => object.metadata?.labels?.[LABELS.managedBy] !== MANAGED_BY)
          .filter((object) => !(ownedByController.has(kind) && object.metadata?.ownerReferences?.some((owner) => owner.controller)))
          .filter((object) => !(kind === 'ConfigMap' && object.metadata?.name === 'kube-root-ca.crt'))
          .filter((object) => !(kind === 'ServiceAccount' && object.metadata?.name === 'default'))
          .map((object) => client.delete({ apiVersion, kind, metadata: { name: object.metadata?.name, namespace } }, undefined, undefined, 0).catch(() => undefined)),
      );
    }),
  );
}

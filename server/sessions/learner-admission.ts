// The cluster-wide admission rules that keep learners inside their namespace, applied on every
// cluster the platform uses (local, kind or any kubeconfig): built-in ValidatingAdmissionPolicy
// and MutatingAdmissionPolicy objects, so no webhook server has to be reachable from the API server.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api, type KubeConfig, type KubernetesObject, KubernetesObjectApi, PatchStrategy, type V1Node } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { isSimulated } from '../cluster/health.ts';

const load = (file: string) =>
  parseAllDocuments(readFileSync(join(import.meta.dirname, file), 'utf8')).map((doc) => doc.toJS() as KubernetesObject);

const namespaceRules = load('learner-admission.yaml');
const userNamespaceRules = load('learner-user-namespaces.yaml');

/** Labels every learner namespace carries: Pod Security Admission at the level the course needs. */
export const POD_SECURITY_LABELS = {
  'pod-security.kubernetes.io/enforce': 'baseline',
  'pod-security.kubernetes.io/enforce-version': 'v1.36',
  'pod-security.kubernetes.io/warn': 'restricted',
  'pod-security.kubernetes.io/warn-version': 'v1.36',
  'pod-security.kubernetes.io/audit': 'restricted',
  'pod-security.kubernetes.io/audit-version': 'v1.36',
} as const;

/**
 * Whether learner pods can run in user namespaces: every node that runs real containers says
 * its runtime supports them (the kubelet reports it per runtime handler). Simulated nodes run
 * nothing and do not count; a cluster with no real node has nothing to protect.
 */
export function userNamespacesSupported(nodes: V1Node[]): boolean {
  const real = nodes.filter((node) => !isSimulated(node));
  return (
    real.length > 0 &&
    real.every((node) => node.status?.runtimeHandlers?.some((handler) => (handler.name ?? '') === '' && handler.features?.userNamespaces === true) ?? false)
  );
}

/** Creates or updates the learner admission policies; the user-namespace pair only where every real node supports it. */
export async function ensureLearnerAdmission(kc: KubeConfig): Promise<{ userNamespaces: boolean }> {
  const client = KubernetesObjectApi.makeApiClient(kc);
  const userNamespaces = userNamespacesSupported((await kc.makeApiClient(CoreV1Api).listNode()).items);
  const apply = (object: KubernetesObject) => client.patch(object, undefined, undefined, 'cnlab', true, PatchStrategy.ServerSideApply);
  // Bindings name their policy, so policies go first.
  const inOrder = (objects: KubernetesObject[]) => [...objects].sort((a, b) => Number(a.kind?.endsWith('Binding')) - Number(b.kind?.endsWith('Binding')));
  for (const object of inOrder(namespaceRules)) await apply(object);
  if (userNamespaces) {
    for (const object of inOrder(userNamespaceRules)) await apply(object);
  } else {
    for (const object of userNamespaceRules) await client.delete(object).catch(() => undefined);
  }
  return { userNamespaces };
}

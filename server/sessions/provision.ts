import {
  CoreV1Api,
  type KubeConfig,
  NetworkingV1Api,
  RbacAuthorizationV1Api,
  type V1Namespace,
} from '@kubernetes/client-node';
import { LABELS, MANAGED_BY, ownerLabel } from '../shared/names.ts';
import { POD_SECURITY_LABELS } from './learner-admission.ts';
import { clusterReadRules, limits, MAX_TOKEN_SECONDS, namespaceRules, quota } from './policy.ts';

export const LEARNER = 'learner';
const CLUSTER_READ_ROLE = 'cnlab-learner-cluster-read';
const NETWORK_POLICY = 'isolate-from-other-namespaces';

export type NamespaceRequest = {
  namespace: string;
  /** A hash of the learner's id: labels must not identify anybody. */
  owner: string;
  lab: string;
  expiresAt: Date;
};

export type LearnerNamespace = NamespaceRequest & { token: string; tokenExpiresAt: Date };

const isConflict = (error: unknown) => (error as { code?: number }).code === 409;
const isNotFound = (error: unknown) => (error as { code?: number }).code === 404;

/** Creates, and treats "already exists" as done: provisioning can be retried after any failure. */
async function ensure(create: () => Promise<unknown>): Promise<void> {
  try {
    await create();
  } catch (error) {
    if (!isConflict(error)) throw error;
  }
}

export const clusterBindingName = (namespace: string) => `cnlab-${namespace}`;

/**
 * Everything a learner's namespace needs, from the policy table: the namespace first, then its
 * objects in parallel, then a token for the shell. Safe to run again on a namespace that exists.
 */
export async function provisionNamespace(kc: KubeConfig, request: NamespaceRequest): Promise<LearnerNamespace> {
  const core = kc.makeApiClient(CoreV1Api);
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  const networking = kc.makeApiClient(NetworkingV1Api);
  const { namespace } = request;
  const labels = {
    [LABELS.managedBy]: MANAGED_BY,
    [LABELS.owner]: request.owner,
    [LABELS.lab]: request.lab,
    [LABELS.expires]: String(Math.floor(request.expiresAt.getTime() / 1000)),
  };
  const metadata = (name: string) => ({ name, namespace, labels: { [LABELS.managedBy]: MANAGED_BY } });
  const subject = { kind: 'ServiceAccount', name: LEARNER, namespace };

  await ensure(() => core.createNamespace({ body: { metadata: { name: namespace, labels: { ...labels, ...POD_SECURITY_LABELS } } } }));
  const tokenSeconds = Math.max(600, Math.min(MAX_TOKEN_SECONDS, Math.ceil((request.expiresAt.getTime() - Date.now()) / 1000)));
  const [token] = await Promise.all([
    ensure(() => core.createNamespacedServiceAccount({ namespace, body: { metadata: metadata(LEARNER), automountServiceAccountToken: false } })).then(
      () =>
        core.createNamespacedServiceAccountToken({
          name: LEARNER,
          namespace,
          body: { spec: { audiences: [], expirationSeconds: tokenSeconds } },
        }),
    ),
    ensure(() => rbac.createNamespacedRole({ namespace, body: { metadata: metadata(LEARNER), rules: namespaceRules } })),
    ensure(() =>
      rbac.createNamespacedRoleBinding({
        namespace,
        body: { metadata: metadata(LEARNER), roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: LEARNER }, subjects: [subject] },
      }),
    ),
    ensure(() =>
      rbac.createClusterRoleBinding({
        body: {
          metadata: { name: clusterBindingName(namespace), labels },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: CLUSTER_READ_ROLE },
          subjects: [subject],
        },
      }),
    ),
    ensure(() => core.createNamespacedResourceQuota({ namespace, body: { metadata: metadata(LEARNER), spec: quota } })),
    ensure(() => core.createNamespacedLimitRange({ namespace, body: { metadata: metadata(LEARNER), spec: { limits } } })),
    // Only pods of this namespace may connect to its pods; every learner namespace has the same
    // policy, so no learner reaches another's workloads.
    ensure(() =>
      networking.createNamespacedNetworkPolicy({
        namespace,
        body: { metadata: metadata(NETWORK_POLICY), spec: { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ _from: [{ podSelector: {} }] }] } },
      }),
    ),
  ]);
  const status = token.status;
  if (!status?.token) throw new Error(`the TokenRequest for ${namespace} returned no token`);
  return { ...request, token: status.token, tokenExpiresAt: new Date(status.expirationTimestamp ?? Date.now() + tokenSeconds * 1000) };
}

/** The cluster-wide read role all learners share; created or updated when the server starts. */
export async function ensureClusterReadRole(kc: KubeConfig): Promise<void> {
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  const body = { metadata: { name: CLUSTER_READ_ROLE, labels: { [LABELS.managedBy]: MANAGED_BY } }, rules: clusterReadRules };
  try {
    await rbac.createClusterRole({ body });
  } catch (error) {
    if (!isConflict(error)) throw error;
    await rbac.replaceClusterRole({ name: CLUSTER_READ_ROLE, body });
  }
}

/** Deletes a learner namespace (which takes its objects with it) and its cluster binding. */
export async function deleteNamespace(kc: KubeConfig, namespace: string): Promise<void> {
  const ignoreMissing = (error: unknown) => {
    if (!isNotFound(error)) throw error;
  };
  // A namespace already being deleted (by another server, say) answers 409 until it is gone.
  const ignoreGoing = (error: unknown) => {
    if (!isNotFound(error) && !isConflict(error)) throw error;
  };
  await Promise.all([
    kc.makeApiClient(CoreV1Api).deleteNamespace({ name: namespace }).catch(ignoreGoing),
    kc.makeApiClient(RbacAuthorizationV1Api).deleteClusterRoleBinding({ name: clusterBindingName(namespace) }).catch(ignoreMissing),
  ]);
}

export async function listLearnerNamespaces(kc: KubeConfig): Promise<V1Namespace[]> {
  const list = await kc.makeApiClient(CoreV1Api).listNamespace({ labelSelector: `${LABELS.managedBy}=${MANAGED_BY}` });
  return list.items;
}

/** The namespace a learner works in for a lab, found by the platform's labels. */
export async function learnerNamespace(kc: KubeConfig, learner: string, lab: string): Promise<string | undefined> {
  const list = await kc.makeApiClient(CoreV1Api).listNamespace({ labelSelector: `${LABELS.managedBy}=${MANAGED_BY},${LABELS.owner}=${ownerLabel(learner)},${LABELS.lab}=${lab}` });
  return list.items[0]?.metadata?.name;
}

/** When a learner namespace expires; a namespace without a readable expiry counts as expired. */
export function expiryOf(namespace: V1Namespace): Date {
  const seconds = Number(namespace.metadata?.labels?.[LABELS.expires]);
  return new Date(Number.isFinite(seconds) ? seconds * 1000 : 0);
}

/**
 * Removes what a previous run left behind: expired namespaces and cluster bindings whose
 * namespace is gone. Namespaces still within their lifetime stay for their owner to return to.
 */
export async function reconcile(kc: KubeConfig, now = new Date()): Promise<{ deleted: string[] }> {
  const namespaces = await listLearnerNamespaces(kc);
  const expired = namespaces
    .filter((ns) => expiryOf(ns) <= now && ns.status?.phase !== 'Terminating')
    .map((ns) => String(ns.metadata?.name));
  const bindings = await kc
    .makeApiClient(RbacAuthorizationV1Api)
    .listClusterRoleBinding({ labelSelector: `${LABELS.managedBy}=${MANAGED_BY}` });
  const dangling = bindings.items
    .map((binding) => String(binding.metadata?.name))
    .filter((name) => !namespaces.some((ns) => clusterBindingName(String(ns.metadata?.name)) === name));
  await Promise.all([
    ...expired.map((namespace) => deleteNamespace(kc, namespace)),
    ...dangling.map((name) => kc.makeApiClient(RbacAuthorizationV1Api).deleteClusterRoleBinding({ name }).catch(() => undefined)),
  ]);
  return { deleted: expired };
}

import { createHash } from 'node:crypto';
import {
  CoreV1Api,
  type KubeConfig,
  type KubernetesObject,
  NetworkingV1Api,
  RbacAuthorizationV1Api,
  type V1Namespace,
  type V1ObjectMeta,
} from '@kubernetes/client-node';
import { isLearnerNamespace, LABELS, LEARNER_NAMESPACES, MANAGED_BY, ownerLabel, POOL_OWNER } from '../shared/names.ts';
import { POD_SECURITY_LABELS } from './learner-admission.ts';
import { clusterReadRules, limits, MAX_TOKEN_SECONDS, namespaceRules, quota } from './policy.ts';
import { applySetup } from './seed.ts';

export const LEARNER = 'learner';
const CLUSTER_READ_ROLE = 'cnlab-learner-cluster-read';
const NETWORK_POLICY = 'isolate-from-other-namespaces';
// Only pods of this namespace may connect to its pods; every learner namespace has the same
// policy, so no learner reaches another's workloads.
const networkPolicySpec = { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ _from: [{ podSelector: {} }] }] };

/**
 * What a namespace's platform objects were made from, as an annotation on it: a pool namespace
 * made by an earlier version of the policy is out of date, and is replaced rather than handed out.
 */
const POLICY_ANNOTATION = 'cnlab.dev/policy';
const POLICY_VERSION = createHash('sha256')
  .update(JSON.stringify({ POD_SECURITY_LABELS, namespaceRules, quota, limits, networkPolicySpec, CLUSTER_READ_ROLE }))
  .digest('hex')
  .slice(0, 16);

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

const learnerLabels = ({ owner, lab, expiresAt }: Omit<NamespaceRequest, 'namespace'>) => ({
  [LABELS.owner]: owner,
  [LABELS.lab]: lab,
  [LABELS.expires]: String(Math.floor(expiresAt.getTime() / 1000)),
});

const namespaceMetadata = (name: string, labels: Record<string, string>): V1ObjectMeta => ({
  name,
  labels: { [LABELS.managedBy]: MANAGED_BY, ...POD_SECURITY_LABELS, ...labels },
  annotations: { [POLICY_ANNOTATION]: POLICY_VERSION },
});

/**
 * Every platform object of a namespace but the namespace and the token, from the policy table:
 * none of them depends on who the learner is, so a pool namespace has them all before it is
 * claimed. The cluster binding needs no namespace to exist; the rest do.
 */
function platformObjects(kc: KubeConfig, namespace: string): { clusterBinding: () => Promise<void>; serviceAccount: () => Promise<void>; rest: Array<() => Promise<void>> } {
  const core = kc.makeApiClient(CoreV1Api);
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  const networking = kc.makeApiClient(NetworkingV1Api);
  const metadata = (name: string) => ({ name, namespace, labels: { [LABELS.managedBy]: MANAGED_BY } });
  const subject = { kind: 'ServiceAccount', name: LEARNER, namespace };
  return {
    clusterBinding: () =>
      ensure(() =>
        rbac.createClusterRoleBinding({
          body: {
            metadata: { name: clusterBindingName(namespace), labels: { [LABELS.managedBy]: MANAGED_BY } },
            roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: CLUSTER_READ_ROLE },
            subjects: [subject],
          },
        }),
      ),
    serviceAccount: () => ensure(() => core.createNamespacedServiceAccount({ namespace, body: { metadata: metadata(LEARNER), automountServiceAccountToken: false } })),
    rest: [
      () => ensure(() => rbac.createNamespacedRole({ namespace, body: { metadata: metadata(LEARNER), rules: namespaceRules } })),
      () =>
        ensure(() =>
          rbac.createNamespacedRoleBinding({
            namespace,
            body: { metadata: metadata(LEARNER), roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: LEARNER }, subjects: [subject] },
          }),
        ),
      () => ensure(() => core.createNamespacedResourceQuota({ namespace, body: { metadata: metadata(LEARNER), spec: quota } })),
      () => ensure(() => core.createNamespacedLimitRange({ namespace, body: { metadata: metadata(LEARNER), spec: { limits } } })),
      () => ensure(() => networking.createNamespacedNetworkPolicy({ namespace, body: { metadata: metadata(NETWORK_POLICY), spec: networkPolicySpec } })),
    ],
  };
}

/** The shell's token: the learner's ServiceAccount's, expiring with the namespace (within the cap). */
async function requestToken(kc: KubeConfig, request: NamespaceRequest): Promise<LearnerNamespace> {
  const tokenSeconds = Math.max(600, Math.min(MAX_TOKEN_SECONDS, Math.ceil((request.expiresAt.getTime() - Date.now()) / 1000)));
  const token = await kc.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({
    name: LEARNER,
    namespace: request.namespace,
    body: { spec: { audiences: [], expirationSeconds: tokenSeconds } },
  });
  const status = token.status;
  if (!status?.token) throw new Error(`the TokenRequest for ${request.namespace} returned no token`);
  return { ...request, token: status.token, tokenExpiresAt: new Date(status.expirationTimestamp ?? Date.now() + tokenSeconds * 1000) };
}

/**
 * Everything a learner's namespace needs, from the policy table: the namespace (and the cluster
 * binding beside it), then its objects in parallel, then a token for the shell and the lab's
 * setup (once the quota and limits it is admitted under exist). Safe to run again on a namespace
 * that exists.
 */
export async function provisionNamespace(kc: KubeConfig, request: NamespaceRequest, setup: readonly KubernetesObject[] = []): Promise<LearnerNamespace> {
  const { namespace } = request;
  const objects = platformObjects(kc, namespace);
  await Promise.all([ensure(() => kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: namespaceMetadata(namespace, learnerLabels(request)) } })), objects.clusterBinding()]);
  const serviceAccount = objects.serviceAccount();
  const [learnerNamespace] = await Promise.all([
    serviceAccount.then(() => requestToken(kc, request)),
    Promise.all([serviceAccount, ...objects.rest.map((create) => create())]).then(() => applySetup(kc, namespace, setup)),
  ]);
  return learnerNamespace;
}

/**
 * A JSON patch that changes a namespace's owner label only if it still reads `from`: the API
 * server applies a patch to the object it read and writes it back conditioned on that read's
 * resourceVersion (re-reading and re-applying on a conflict), so of two concurrent patches from
 * the same `from`, exactly one succeeds and the other's test fails (422).
 */
const ownerChange = (from: string, labels: Record<string, string>) => [
  { op: 'test', path: `/metadata/labels/${LABELS.owner.replace('/', '~1')}`, value: from },
  ...Object.entries(labels).map(([key, value]) => ({ op: 'add', path: `/metadata/labels/${key.replace('/', '~1')}`, value })),
];

/** Whether a conditioned owner change lost: someone changed the owner first, or the namespace is gone. */
const isTaken = (error: unknown) => [404, 409, 422].includes((error as { code?: number }).code ?? 0);

/**
 * Makes a pool namespace: all its platform objects (as a learner's, labelled with no learner),
 * then marks it unassigned, free to claim. Its token and the lab's setup wait for the claim.
 */
export async function fillPoolNamespace(kc: KubeConfig, namespace: string): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const objects = platformObjects(kc, namespace);
  await Promise.all([core.createNamespace({ body: { metadata: namespaceMetadata(namespace, { [LABELS.owner]: POOL_OWNER.filling }) } }), objects.clusterBinding()]);
  await Promise.all([objects.serviceAccount(), ...objects.rest.map((create) => create())]);
  await core.patchNamespace({ name: namespace, body: ownerChange(POOL_OWNER.filling, { [LABELS.owner]: POOL_OWNER.unassigned }) });
}

/**
 * Hands a pool namespace to a learner: relabelled with owner, lab and expiry in one conditioned
 * write (of two claims of the same namespace, from this server or another, one wins), with the
 * token asked for at the same time (a losing claim's token is dropped: it never leaves this
 * process, and this process holds the admin's credentials anyway), then the lab's setup, which
 * must not reach a namespace another claim won. Undefined when another claim won.
 */
export async function claimPoolNamespace(kc: KubeConfig, request: NamespaceRequest, setup: readonly KubernetesObject[] = []): Promise<LearnerNamespace | undefined> {
  const relabel = kc
    .makeApiClient(CoreV1Api)
    .patchNamespace({ name: request.namespace, body: ownerChange(POOL_OWNER.unassigned, learnerLabels(request)) })
    .then(
      () => true,
      (error: unknown) => {
        if (isTaken(error)) return false;
        throw error;
      },
    );
  const [won, learnerNamespace] = await Promise.all([relabel, requestToken(kc, request).catch((error: unknown) => error as Error)]);
  if (!won) return undefined;
  if (learnerNamespace instanceof Error) throw learnerNamespace;
  await applySetup(kc, request.namespace, setup);
  return learnerNamespace;
}

/** Takes a pool namespace out of the pool (unless a claim got it first) and deletes it. */
async function retirePoolNamespace(kc: KubeConfig, namespace: string): Promise<void> {
  try {
    await kc.makeApiClient(CoreV1Api).patchNamespace({ name: namespace, body: ownerChange(POOL_OWNER.unassigned, { [LABELS.owner]: POOL_OWNER.filling }) });
  } catch (error) {
    if (isTaken(error)) return;
    throw error;
  }
  await deleteNamespace(kc, namespace);
}

/** The cluster binding only: the namespace goes on its own and takes its objects with it. */
async function deleteClusterBinding(kc: KubeConfig, namespace: string): Promise<void> {
  await kc.makeApiClient(RbacAuthorizationV1Api).deleteClusterRoleBinding({ name: clusterBindingName(namespace) });
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

/** Deletes a learner (or pool) namespace, which takes its objects with it, and its cluster binding. */
export async function deleteNamespace(kc: KubeConfig, namespace: string): Promise<void> {
  const ignoreMissing = (error: unknown) => {
    if (!isNotFound(error)) throw error;
  };
  // A namespace already being deleted (by another server, say) answers 409 until it is gone.
  const ignoreGoing = (error: unknown) => {
    if (!isNotFound(error) && !isConflict(error)) throw error;
  };
  await Promise.all([kc.makeApiClient(CoreV1Api).deleteNamespace({ name: namespace }).catch(ignoreGoing), deleteClusterBinding(kc, namespace).catch(ignoreMissing)]);
}

/** Learner namespaces only: never the pool's, which belong to nobody yet. */
export async function listLearnerNamespaces(kc: KubeConfig): Promise<V1Namespace[]> {
  const list = await kc.makeApiClient(CoreV1Api).listNamespace({ labelSelector: LEARNER_NAMESPACES });
  return list.items;
}

/** The namespace a learner works in for a lab, found by the platform's labels. */
export async function learnerNamespace(kc: KubeConfig, learner: string, lab: string): Promise<string | undefined> {
  const list = await kc.makeApiClient(CoreV1Api).listNamespace({ labelSelector: `${LEARNER_NAMESPACES},${LABELS.owner}=${ownerLabel(learner)},${LABELS.lab}=${lab}` });
  return list.items[0]?.metadata?.name;
}

/** When a learner namespace expires; a namespace without a readable expiry counts as expired. */
export function expiryOf(namespace: V1Namespace): Date {
  const seconds = Number(namespace.metadata?.labels?.[LABELS.expires]);
  return new Date(Number.isFinite(seconds) ? seconds * 1000 : 0);
}

/** A cluster's pool namespaces by state: free to claim, or still being filled. */
function poolOf(namespaces: V1Namespace[]): { unassigned: V1Namespace[]; filling: V1Namespace[] } {
  const live = namespaces.filter((ns) => ns.status?.phase !== 'Terminating');
  const owned = (owner: string) => live.filter((ns) => ns.metadata?.labels?.[LABELS.owner] === owner);
  return { unassigned: owned(POOL_OWNER.unassigned), filling: owned(POOL_OWNER.filling) };
}

/** The pool namespaces in the cluster: every server using the cluster shares them. */
export async function listPoolNamespaces(kc: KubeConfig): Promise<{ unassigned: V1Namespace[]; filling: V1Namespace[] }> {
  const list = await kc.makeApiClient(CoreV1Api).listNamespace({ labelSelector: `${LABELS.managedBy}=${MANAGED_BY},${LABELS.owner} in (${POOL_OWNER.filling},${POOL_OWNER.unassigned})` });
  return poolOf(list.items);
}

/**
 * The pool namespaces whose platform objects are all there and made from this version of the
 * policy: one list per kind across the cluster, however large the pool.
 */
async function completeOnes(kc: KubeConfig, candidates: V1Namespace[]): Promise<Set<string>> {
  if (candidates.length === 0) return new Set();
  const core = kc.makeApiClient(CoreV1Api);
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  const networking = kc.makeApiClient(NetworkingV1Api);
  const labelSelector = `${LABELS.managedBy}=${MANAGED_BY}`;
  const names = (list: { items: Array<{ metadata?: V1ObjectMeta }> }) => new Set(list.items.map((item) => `${item.metadata?.namespace ?? ''}/${item.metadata?.name ?? ''}`));
  const [serviceAccounts, roles, roleBindings, quotas, limitRanges, networkPolicies, clusterBindings] = await Promise.all([
    core.listServiceAccountForAllNamespaces({ labelSelector }).then(names),
    rbac.listRoleForAllNamespaces({ labelSelector }).then(names),
    rbac.listRoleBindingForAllNamespaces({ labelSelector }).then(names),
    core.listResourceQuotaForAllNamespaces({ labelSelector }).then(names),
    core.listLimitRangeForAllNamespaces({ labelSelector }).then(names),
    networking.listNetworkPolicyForAllNamespaces({ labelSelector }).then(names),
    rbac.listClusterRoleBinding({ labelSelector }).then(names),
  ]);
  const isComplete = ({ name = '', annotations }: V1ObjectMeta) =>
    annotations?.[POLICY_ANNOTATION] === POLICY_VERSION &&
    [serviceAccounts, roles, roleBindings, quotas, limitRanges].every((found) => found.has(`${name}/${LEARNER}`)) &&
    networkPolicies.has(`${name}/${NETWORK_POLICY}`) &&
    clusterBindings.has(`/${clusterBindingName(name)}`);
  return new Set(candidates.map((ns) => ns.metadata ?? {}).filter(isComplete).map(({ name = '' }) => name));
}

/** A pool namespace still `filling` this long after its creation was abandoned by whoever filled it. */
const ABANDONED_FILL_MS = 120_000;

/**
 * Removes what a previous run left behind: expired learner namespaces, cluster bindings whose
 * namespace is gone, and pool namespaces that are incomplete (an object missing, made from an
 * older policy, a fill abandoned) or beyond the pool's size. Learner namespaces within their
 * lifetime stay for their owner to return to; complete pool namespaces stay in the pool, and are
 * returned. Retired pool namespaces go only if no claim took them first.
 */
export async function reconcile(kc: KubeConfig, poolSize: number, now = new Date()): Promise<{ deleted: string[]; pool: string[]; removedFromPool: string[] }> {
  const all = (await kc.makeApiClient(CoreV1Api).listNamespace({ labelSelector: `${LABELS.managedBy}=${MANAGED_BY}` })).items;
  const nameOf = (ns: V1Namespace) => String(ns.metadata?.name);
  const expired = all
    .filter((ns) => isLearnerNamespace(ns.metadata?.labels) && expiryOf(ns) <= now && ns.status?.phase !== 'Terminating')
    .map(nameOf);
  const { unassigned, filling } = poolOf(all);
  const complete = await completeOnes(kc, unassigned);
  const kept = unassigned.map(nameOf).filter((name) => complete.has(name)).slice(0, poolSize);
  const retired = unassigned.map(nameOf).filter((name) => !kept.includes(name));
  const abandoned = filling.filter((ns) => now.getTime() - new Date(ns.metadata?.creationTimestamp ?? 0).getTime() > ABANDONED_FILL_MS).map(nameOf);
  const bindings = await kc.makeApiClient(RbacAuthorizationV1Api).listClusterRoleBinding({ labelSelector: `${LABELS.managedBy}=${MANAGED_BY}` });
  const dangling = bindings.items
    .map((binding) => String(binding.metadata?.name))
    .filter((name) => !all.some((ns) => clusterBindingName(nameOf(ns)) === name));
  await Promise.all([
    ...[...expired, ...abandoned].map((namespace) => deleteNamespace(kc, namespace)),
    ...retired.map((namespace) => retirePoolNamespace(kc, namespace)),
    ...dangling.map((name) => kc.makeApiClient(RbacAuthorizationV1Api).deleteClusterRoleBinding({ name }).catch(() => undefined)),
  ]);
  return { deleted: expired, pool: kept, removedFromPool: [...abandoned, ...retired] };
}

import type { V1LimitRangeItem, V1PolicyRule, V1ResourceQuotaSpec } from '@kubernetes/client-node';
import { apiGroupOf, type LabKind, labKinds } from '../shared/kinds.ts';

// Everything a learner may do in the cluster, in one place. Provisioning turns this table into
// a Role, a ClusterRole binding, a ResourceQuota, a LimitRange and a NetworkPolicy; the security
// tests read it too. The rights on lab kinds come from their list (server/shared/kinds.ts);
// widening a learner's rights means editing this file or that list, and nothing else.

const ALL = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'];
const READ = ['get', 'list', 'watch'];

/** The lab kinds (server/shared/kinds.ts) as rules: one per API group and right. */
function kindRules(scope: (kind: LabKind) => boolean): V1PolicyRule[] {
  const rules = new Map<string, V1PolicyRule>();
  for (const kind of Object.values(labKinds).filter(scope)) {
    const group = apiGroupOf(kind);
    const rule = rules.get(`${group} ${kind.learner}`) ?? { apiGroups: [group], resources: [], verbs: kind.learner === 'write' ? ALL : READ };
    rule.resources?.push(kind.plural);
    rules.set(`${group} ${kind.learner}`, rule);
  }
  return [...rules.values()];
}

/** Rights inside the learner's own namespace (a Role bound to the session's ServiceAccount). */
export const namespaceRules: V1PolicyRule[] = [
  // Every lab kind of the namespace: pods, services, deployments, roles, ...
  ...kindRules((kind) => !kind.clusterScoped),
  { apiGroups: [''], resources: ['pods/log'], verbs: READ },
  // Pods run real processes on the real node: a learner may enter, attach to and forward to their own.
  { apiGroups: [''], resources: ['pods/exec', 'pods/attach', 'pods/portforward'], verbs: ['get', 'create'] },
  { apiGroups: [''], resources: ['pods/ephemeralcontainers'], verbs: ['get', 'update', 'patch'] },
  { apiGroups: [''], resources: ['events'], verbs: READ },
  // Its own Namespace object: RBAC checks `get namespaces/<name>` against the namespace itself.
  { apiGroups: [''], resources: ['namespaces'], verbs: ['get'] },
  { apiGroups: ['apps'], resources: ['deployments/scale', 'statefulsets/scale', 'replicasets/scale'], verbs: ['get', 'update', 'patch'] },
  // `kubectl top pods`: metrics-server's measurements of their own pods.
  { apiGroups: ['metrics.k8s.io'], resources: ['pods'], verbs: READ },
  { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: READ },
  // `kubectl get all` lists them with everything else (and stops at the first refusal).
  { apiGroups: [''], resources: ['replicationcontrollers'], verbs: READ },
];

/** Read-only rights on cluster-scoped objects the lessons inspect (a ClusterRole, bound per learner). */
export const clusterReadRules: V1PolicyRule[] = [
  ...kindRules((kind) => kind.clusterScoped === true),
  // `kubectl top nodes`.
  { apiGroups: ['metrics.k8s.io'], resources: ['nodes'], verbs: READ },
  // `kubectl describe node` reads the node's heartbeat Lease (kube-node-lease); a lease names a
  // holder and times, nothing a learner could use. Learners cannot create leases.
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get'] },
];

/** Enough for every lab in the course, small enough that one learner cannot crowd out the rest. */
export const quota: V1ResourceQuotaSpec = {
  hard: {
    pods: '20',
    services: '10',
    configmaps: '20',
    secrets: '20',
    persistentvolumeclaims: '5',
    'requests.cpu': '2',
    'requests.memory': '2Gi',
    'limits.cpu': '4',
    'limits.memory': '4Gi',
    'requests.storage': '5Gi',
    'count/deployments.apps': '10',
    'count/statefulsets.apps': '5',
    'count/jobs.batch': '10',
    'count/cronjobs.batch': '5',
  },
};

/** Defaults so a pod without requests or limits is still admitted under the quota. */
export const limits: V1LimitRangeItem[] = [
  {
    type: 'Container',
    // Containers really run: a container that writes without end is evicted at its
    // ephemeral-storage limit instead of filling the node's disk.
    _default: { cpu: '200m', memory: '256Mi', 'ephemeral-storage': '1Gi' },
    defaultRequest: { cpu: '50m', memory: '64Mi', 'ephemeral-storage': '16Mi' },
    max: { cpu: '1', memory: '1Gi', 'ephemeral-storage': '2Gi' },
  },
];

/** The ServiceAccount token's lifetime cap: a session never outlives its namespace. */
export const MAX_TOKEN_SECONDS = 4 * 3600;

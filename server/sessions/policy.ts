import type { V1LimitRangeItem, V1PolicyRule, V1ResourceQuotaSpec } from '@kubernetes/client-node';

// Everything a learner may do in the cluster, in one place. Provisioning turns this table into
// a Role, a ClusterRole binding, a ResourceQuota, a LimitRange and a NetworkPolicy; the security
// tests read it too. Widening a learner's rights means editing this file and nothing else.

const ALL = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'];
const READ = ['get', 'list', 'watch'];

/** Rights inside the learner's own namespace (a Role bound to the session's ServiceAccount). */
export const namespaceRules: V1PolicyRule[] = [
  {
    apiGroups: [''],
    resources: ['pods', 'services', 'configmaps', 'secrets', 'persistentvolumeclaims', 'serviceaccounts'],
    verbs: ALL,
  },
  { apiGroups: [''], resources: ['pods/log'], verbs: READ },
  // Pods run real processes on the real node: a learner may enter, attach to and forward to their own.
  { apiGroups: [''], resources: ['pods/exec', 'pods/attach', 'pods/portforward'], verbs: ['get', 'create'] },
  { apiGroups: [''], resources: ['pods/ephemeralcontainers'], verbs: ['get', 'update', 'patch'] },
  { apiGroups: [''], resources: ['endpoints', 'events', 'resourcequotas', 'limitranges'], verbs: READ },
  // Its own Namespace object: RBAC checks `get namespaces/<name>` against the namespace itself.
  { apiGroups: [''], resources: ['namespaces'], verbs: ['get'] },
  { apiGroups: ['apps'], resources: ['deployments', 'replicasets', 'statefulsets', 'daemonsets'], verbs: ALL },
  { apiGroups: ['apps'], resources: ['deployments/scale', 'statefulsets/scale', 'replicasets/scale'], verbs: ['get', 'update', 'patch'] },
  { apiGroups: ['batch'], resources: ['jobs', 'cronjobs'], verbs: ALL },
  { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'], verbs: ALL },
  { apiGroups: ['networking.k8s.io'], resources: ['ingresses', 'networkpolicies'], verbs: ALL },
  { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: READ },
  // `kubectl top pods`: metrics-server's measurements of their own pods.
  { apiGroups: ['metrics.k8s.io'], resources: ['pods'], verbs: READ },
  { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: READ },
  // Roles and bindings are course material (RBAC lessons). The API's escalation check means a
  // learner can only grant what this table already grants them.
  { apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles', 'rolebindings'], verbs: ALL },
];

/** Read-only rights on cluster-scoped objects the lessons inspect (a ClusterRole, bound per learner). */
export const clusterReadRules: V1PolicyRule[] = [
  { apiGroups: [''], resources: ['nodes'], verbs: READ },
  { apiGroups: ['metrics.k8s.io'], resources: ['nodes'], verbs: READ },
  { apiGroups: ['storage.k8s.io'], resources: ['storageclasses'], verbs: READ },
  { apiGroups: ['networking.k8s.io'], resources: ['ingressclasses'], verbs: READ },
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
    _default: { cpu: '200m', memory: '256Mi' },
    defaultRequest: { cpu: '50m', memory: '64Mi' },
    max: { cpu: '1', memory: '1Gi' },
  },
];

/** The ServiceAccount token's lifetime cap: a session never outlives its namespace. */
export const MAX_TOKEN_SECONDS = 4 * 3600;

// The kinds of object a lab works with, listed once. The learner's RBAC rules
// (server/sessions/policy.ts), the kinds a check may name and the grader lists
// (server/labs/grade.ts), and what "Reset lab" sweeps from a namespace (server/sessions/seed.ts)
// are all made from this table; adding a kind here gives the learner the right, the grader the
// reader and the reset the sweep at once.

export type LabKind = {
  /** Where the grader lists it and the RBAC rule names it: `group/version` (or `v1`) and resource. */
  apiVersion: string;
  plural: string;
  /** Cluster-wide objects are only read, never swept by a reset. */
  clusterScoped?: true;
  /** What the learner may do with it: everything (`write`) or look (`read`). */
  learner: 'write' | 'read';
};

export const labKinds: Record<string, LabKind> = {
  Pod: { apiVersion: 'v1', plural: 'pods', learner: 'write' },
  Service: { apiVersion: 'v1', plural: 'services', learner: 'write' },
  ConfigMap: { apiVersion: 'v1', plural: 'configmaps', learner: 'write' },
  Secret: { apiVersion: 'v1', plural: 'secrets', learner: 'write' },
  ServiceAccount: { apiVersion: 'v1', plural: 'serviceaccounts', learner: 'write' },
  PersistentVolumeClaim: { apiVersion: 'v1', plural: 'persistentvolumeclaims', learner: 'write' },
  Endpoints: { apiVersion: 'v1', plural: 'endpoints', learner: 'read' },
  LimitRange: { apiVersion: 'v1', plural: 'limitranges', learner: 'read' },
  ResourceQuota: { apiVersion: 'v1', plural: 'resourcequotas', learner: 'read' },
  Deployment: { apiVersion: 'apps/v1', plural: 'deployments', learner: 'write' },
  ReplicaSet: { apiVersion: 'apps/v1', plural: 'replicasets', learner: 'write' },
  StatefulSet: { apiVersion: 'apps/v1', plural: 'statefulsets', learner: 'write' },
  DaemonSet: { apiVersion: 'apps/v1', plural: 'daemonsets', learner: 'write' },
  Job: { apiVersion: 'batch/v1', plural: 'jobs', learner: 'write' },
  CronJob: { apiVersion: 'batch/v1', plural: 'cronjobs', learner: 'write' },
  Ingress: { apiVersion: 'networking.k8s.io/v1', plural: 'ingresses', learner: 'write' },
  NetworkPolicy: { apiVersion: 'networking.k8s.io/v1', plural: 'networkpolicies', learner: 'write' },
  // Roles and bindings are course material (RBAC lessons). The API's escalation check means a
  // learner can only grant what their own Role already grants them.
  Role: { apiVersion: 'rbac.authorization.k8s.io/v1', plural: 'roles', learner: 'write' },
  RoleBinding: { apiVersion: 'rbac.authorization.k8s.io/v1', plural: 'rolebindings', learner: 'write' },
  HorizontalPodAutoscaler: { apiVersion: 'autoscaling/v2', plural: 'horizontalpodautoscalers', learner: 'write' },
  EndpointSlice: { apiVersion: 'discovery.k8s.io/v1', plural: 'endpointslices', learner: 'read' },
  // Learners may read these cluster-wide, so a lab may ask what they found out about them.
  Node: { apiVersion: 'v1', plural: 'nodes', clusterScoped: true, learner: 'read' },
  StorageClass: { apiVersion: 'storage.k8s.io/v1', plural: 'storageclasses', clusterScoped: true, learner: 'read' },
  IngressClass: { apiVersion: 'networking.k8s.io/v1', plural: 'ingressclasses', clusterScoped: true, learner: 'read' },
};

/** The API group of a kind: '' for the core group. */
export const apiGroupOf = (kind: LabKind) => (kind.apiVersion.includes('/') ? (kind.apiVersion.split('/')[0] ?? '') : '');

/** The kinds in a learner's own namespace, which a reset sweeps. */
export const namespacedLabKinds = Object.entries(labKinds).filter(([, kind]) => !kind.clusterScoped);

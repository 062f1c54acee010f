// The kinds of object a lab works with, listed once: the grader lists them, the reset sweeps them.

/** Kinds a check may name: the API version and resource the grader lists them at. */
export const labKinds: Record<string, { apiVersion: string; plural: string; clusterScoped?: true }> = {
  Pod: { apiVersion: 'v1', plural: 'pods' },
  Service: { apiVersion: 'v1', plural: 'services' },
  ConfigMap: { apiVersion: 'v1', plural: 'configmaps' },
  Secret: { apiVersion: 'v1', plural: 'secrets' },
  ServiceAccount: { apiVersion: 'v1', plural: 'serviceaccounts' },
  PersistentVolumeClaim: { apiVersion: 'v1', plural: 'persistentvolumeclaims' },
  Endpoints: { apiVersion: 'v1', plural: 'endpoints' },
  LimitRange: { apiVersion: 'v1', plural: 'limitranges' },
  ResourceQuota: { apiVersion: 'v1', plural: 'resourcequotas' },
  Deployment: { apiVersion: 'apps/v1', plural: 'deployments' },
  ReplicaSet: { apiVersion: 'apps/v1', plural: 'replicasets' },
  StatefulSet: { apiVersion: 'apps/v1', plural: 'statefulsets' },
  DaemonSet: { apiVersion: 'apps/v1', plural: 'daemonsets' },
  Job: { apiVersion: 'batch/v1', plural: 'jobs' },
  CronJob: { apiVersion: 'batch/v1', plural: 'cronjobs' },
  Ingress: { apiVersion: 'networking.k8s.io/v1', plural: 'ingresses' },
  NetworkPolicy: { apiVersion: 'networking.k8s.io/v1', plural: 'networkpolicies' },
  Role: { apiVersion: 'rbac.authorization.k8s.io/v1', plural: 'roles' },
  RoleBinding: { apiVersion: 'rbac.authorization.k8s.io/v1', plural: 'rolebindings' },
  HorizontalPodAutoscaler: { apiVersion: 'autoscaling/v2', plural: 'horizontalpodautoscalers' },
  EndpointSlice: { apiVersion: 'discovery.k8s.io/v1', plural: 'endpointslices' },
  // Learners may read nodes, so a lab may ask what they found out about them.
  Node: { apiVersion: 'v1', plural: 'nodes', clusterScoped: true },
};

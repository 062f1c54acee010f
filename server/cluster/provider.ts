import type { Steps } from '../steps.ts';

export const providerNames = ['local', 'kind', 'kubeconfig'] as const;
export type ProviderName = (typeof providerNames)[number];

/** Where to reach a cluster with admin rights; the server and the graders only ever need this. */
export type ClusterAccess = {
  provider: ProviderName;
  /** The kubeconfig file; in a pod without one, the folder of the pod's ServiceAccount credentials. */
  kubeconfig: string;
  context?: string;
  /** The pod's own ServiceAccount and the API server's in-cluster address, not a kubeconfig file. */
  inCluster?: true;
};

/** One process of a cluster the platform runs itself, for `cluster status`. */
export type ComponentHealth = { name: string; healthy: boolean; detail: string; log?: string };

export type ClusterProvider = {
  readonly name: ProviderName;
  /** Brings the cluster up, or confirms it is up; safe to call again. */
  up(steps: Steps): Promise<ClusterAccess>;
  /** Stops the cluster and leaves no process running. */
  down(steps: Steps): Promise<void>;
  /** Whether this provider has created a cluster that still exists (running or not). */
  exists(): Promise<boolean>;
  /** The processes behind the cluster, where the provider runs them itself. */
  components?(): Promise<ComponentHealth[]>;
};

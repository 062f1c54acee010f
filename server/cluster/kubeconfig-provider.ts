import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { CnlabError } from '../errors.ts';
import { setting } from '../settings.ts';
import { probeCluster } from './health.ts';
import type { ClusterAccess, ClusterProvider } from './provider.ts';

/** Where the kubelet mounts a pod's ServiceAccount token and the cluster's CA. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * How this process reaches the cluster: the first kubeconfig file of KUBECONFIG (or
 * ~/.kube/config) that exists; inside a pod with none (KUBERNETES_SERVICE_HOST set, a token
 * mounted), the pod's own ServiceAccount, as the platform runs when deployed by its Helm chart.
 */
function findAccess(context: string | undefined, serviceAccountDir: string): { access?: ClusterAccess; candidates: string[] } {
  const listed = setting('KUBECONFIG');
  const candidates = (listed ?? join(homedir(), '.kube', 'config')).split(delimiter).filter(Boolean);
  const kubeconfig = candidates.find((file) => existsSync(file));
  if (kubeconfig) return { access: { provider: 'kubeconfig', kubeconfig, ...(context ? { context } : {}) }, candidates };
  // A KUBECONFIG that names missing files is a mistake to report, not a reason to use other credentials.
  const inPod = listed === undefined && setting('KUBERNETES_SERVICE_HOST') !== undefined && existsSync(join(serviceAccountDir, 'token'));
  return { ...(inPod ? { access: { provider: 'kubeconfig', kubeconfig: serviceAccountDir, inCluster: true } } : {}), candidates };
}

/**
 * An existing cluster reached through a kubeconfig (or, in a pod, its ServiceAccount): the way to
 * real, multi-node clusters. cnlab did not create it, so cnlab never stops it.
 */
export function kubeconfigProvider(options: { context?: string; serviceAccountDir?: string }): ClusterProvider {
  const { access, candidates } = findAccess(options.context, options.serviceAccountDir ?? SERVICE_ACCOUNT_DIR);
  return {
    name: 'kubeconfig',
    exists: async () => access !== undefined,

    async up(progress) {
      if (!access) {
        throw new CnlabError(
          `no kubeconfig found (looked at ${candidates.join(', ')}), and this is not a pod with a ServiceAccount token`,
          'set KUBECONFIG to the file of the cluster to use, or choose --provider local',
        );
      }
      const where = access.inCluster
        ? `the cluster this pod runs in (its ServiceAccount, API server at ${setting('KUBERNETES_SERVICE_HOST')})`
        : `the cluster in ${access.kubeconfig}`;
      const health = await progress.step(`connect to ${where}`, () => probeCluster(access, 10_000));
      if (!health.healthy) {
        throw new CnlabError(
          `${where} is not usable: ${health.message}`,
          access.inCluster ? "check the pod's ServiceAccount and its ClusterRole (`kubectl auth can-i --list --as system:serviceaccount:NAMESPACE:NAME`)" : 'check it with `kubectl get nodes`',
        );
      }
      return access;
    },

    async down(progress) {
      progress.info('the kubeconfig provider uses a cluster cnlab did not create, so it leaves it running');
    },
  };
}

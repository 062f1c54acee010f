import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { CnlabError } from '../errors.ts';
import { setting } from '../settings.ts';
import { probeCluster } from './health.ts';
import type { ClusterAccess, ClusterProvider } from './provider.ts';

/**
 * An existing cluster reached through a kubeconfig: the way to real, multi-node clusters.
 * cnlab did not create it, so cnlab never stops it.
 */
export function kubeconfigProvider(options: { context?: string }): ClusterProvider {
  // Like kubectl, KUBECONFIG may list several files; the first one that exists is used.
  const candidates = (setting('KUBECONFIG') ?? join(homedir(), '.kube', 'config')).split(delimiter).filter(Boolean);
  const kubeconfig = candidates.find((file) => existsSync(file));
  return {
    name: 'kubeconfig',
    exists: async () => kubeconfig !== undefined,

    async up(progress) {
      if (!kubeconfig) {
        throw new CnlabError(
          `no kubeconfig found (looked at ${candidates.join(', ')})`,
          'set KUBECONFIG to the file of the cluster to use, or choose --provider local',
        );
      }
      const access: ClusterAccess = {
        provider: 'kubeconfig',
        kubeconfig,
        ...(options.context ? { context: options.context } : {}),
      };
      const health = await progress.step(`connect to the cluster in ${kubeconfig}`, () => probeCluster(access, 10_000));
      if (!health.healthy) {
        throw new CnlabError(`the cluster in ${kubeconfig} is not usable: ${health.message}`, 'check it with `kubectl get nodes`');
      }
      return access;
    },

    async down(progress) {
      progress.info('the kubeconfig provider uses a cluster cnlab did not create, so it leaves it running');
    },
  };
}

import { CnlabError } from '../errors.ts';
import { setting } from '../settings.ts';
import type { Steps } from '../steps.ts';
import { dockerDaemon } from './docker.ts';
import { kindProvider } from './kind/provider.ts';
import { kubeconfigProvider } from './kubeconfig-provider.ts';
import { localProvider } from './local/provider.ts';
import { type ClusterProvider, type ProviderName, providerNames } from './provider.ts';
import { readRecord } from './record.ts';

export type ProviderChoice = {
  /** From --provider, else CNLAB_PROVIDER, else 'auto'. */
  requested?: string | undefined;
  context?: string | undefined;
};

const clusterName = () => setting('CNLAB_CLUSTER_NAME');
const apiPort = () => setting('CNLAB_API_PORT');

export function providerByName(name: ProviderName, context?: string): ClusterProvider {
  switch (name) {
    case 'local':
      return localProvider({ clusterName: clusterName(), apiPort: apiPort() });
    case 'kind':
      return kindProvider({ clusterName: clusterName() });
    case 'kubeconfig':
      return kubeconfigProvider(context ? { context } : {});
  }
}

function parseProvider(requested: string): ProviderName | 'auto' {
  if (requested === 'auto' || (providerNames as readonly string[]).includes(requested)) {
    return requested as ProviderName | 'auto';
  }
  throw new CnlabError(`unknown provider "${requested}"`, `choose one of: auto, ${providerNames.join(', ')}`);
}

/**
 * The provider for `up`: the one asked for, else kind where a Docker daemon answers, else the
 * embedded local control plane.
 */
export async function chooseProvider(choice: ProviderChoice, steps: Steps): Promise<ClusterProvider> {
  const requested = parseProvider(choice.requested ?? setting('CNLAB_PROVIDER'));
  if (requested !== 'auto') return providerByName(requested, choice.context);
  const docker = await dockerDaemon();
  if (docker.state === 'ok') {
    steps.info(`Docker ${docker.version} answers: using the kind provider`);
    return providerByName('kind');
  }
  if (docker.state === 'broken') {
    steps.info(`Docker is installed but its daemon is not usable (${docker.reason}): using the local provider`);
  }
  return providerByName('local');
}

/** The provider of the cluster `up` created last, for `status`, `down` and the server. */
export async function currentProvider(choice: ProviderChoice): Promise<ClusterProvider | undefined> {
  const requested = choice.requested ?? setting('CNLAB_PROVIDER');
  if (requested !== undefined && requested !== 'auto') return providerByName(parseProvider(requested) as ProviderName, choice.context);
  const record = await readRecord();
  return record ? providerByName(record.provider, record.context) : undefined;
}

import https from 'node:https';
import { CoreV1Api, KubeConfig, type RequestContext, VersionApi, type V1Node } from '@kubernetes/client-node';
import type { ClusterAccess, ProviderName } from './provider.ts';

export type ClusterHealth = {
  provider: ProviderName;
  healthy: boolean;
  apiUrl?: string;
  version?: string;
  nodes: number;
  readyNodes: number;
  /** Why the cluster is not healthy, in words a user can act on. */
  message?: string;
};

/**
 * A kubeconfig whose API calls share kept-alive connections. client-node makes a new agent, and
 * so a new TCP connection and TLS handshake, for every call; with many calls at once (a class
 * opening its terminals) the handshakes cost the API server more than the calls themselves. The
 * agent is the library's own (its CA, client certificate and TLS options), kept instead of
 * thrown away; one through a proxy is left as it is.
 */
class KeepAliveKubeConfig extends KubeConfig {
  #agent: https.Agent | undefined;

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const made = context.getAgent();
    if (made?.constructor !== https.Agent) return;
    this.#agent ??= new https.Agent({ ...(made as https.Agent).options, keepAlive: true });
    context.setAgent(this.#agent);
  }
}

export function loadKubeConfig(access: ClusterAccess): KubeConfig {
  const kc = new KeepAliveKubeConfig();
  // In a pod: the API server's Service address and the ServiceAccount token, which the client re-reads as the kubelet rotates it.
  if (access.inCluster) kc.loadFromCluster();
  else kc.loadFromFile(access.kubeconfig);
  if (access.context) kc.setCurrentContext(access.context);
  return kc;
}

/** kwok's mark on the nodes it simulates: nothing runs on them. */
export const SIMULATED_NODE_ANNOTATION = { key: 'kwok.x-k8s.io/node', value: 'fake' } as const;
export const isSimulated = (node: V1Node) => node.metadata?.annotations?.[SIMULATED_NODE_ANNOTATION.key] === SIMULATED_NODE_ANNOTATION.value;

const isReady = (node: V1Node) =>
  node.status?.conditions?.some((condition) => condition.type === 'Ready' && condition.status === 'True') ?? false;

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms / 1000}s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Asks the API server who it is and which nodes are Ready: the two facts every feature relies on. */
export async function probeCluster(access: ClusterAccess, timeoutMs = 5000): Promise<ClusterHealth> {
  let kc: KubeConfig;
  try {
    kc = loadKubeConfig(access);
  } catch (error) {
    return { provider: access.provider, healthy: false, nodes: 0, readyNodes: 0, message: `cannot read ${access.inCluster ? "the pod's ServiceAccount credentials in" : 'kubeconfig'} ${access.kubeconfig}: ${(error as Error).message}` };
  }
  const apiUrl = kc.getCurrentCluster()?.server;
  try {
    const [version, nodeList] = await withTimeout(
      Promise.all([kc.makeApiClient(VersionApi).getCode(), kc.makeApiClient(CoreV1Api).listNode()]),
      timeoutMs,
      `the API server at ${apiUrl}`,
    );
    const readyNodes = nodeList.items.filter(isReady).length;
    // Simulated nodes are always Ready; if every node that runs containers is not, no new pod starts.
    const runsContainers = nodeList.items.filter((node) => !isSimulated(node));
    const noRealNodeReady = runsContainers.length > 0 && !runsContainers.some(isReady);
    const message =
      readyNodes === 0
        ? 'the API answers but no node is Ready yet'
        : noRealNodeReady
          ? `degraded: node ${runsContainers.map((node) => node.metadata?.name).join(', ')} is not Ready, so new pods stay Pending (\`cnlab cluster status\` names the component)`
          : undefined;
    return {
      provider: access.provider,
      healthy: readyNodes > 0 && !noRealNodeReady,
      apiUrl,
      version: version.gitVersion,
      nodes: nodeList.items.length,
      readyNodes,
      ...(message ? { message } : {}),
    };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    return {
      provider: access.provider,
      healthy: false,
      apiUrl,
      nodes: 0,
      readyNodes: 0,
      message: `the API server at ${apiUrl} does not answer: ${cause ?? (error as Error).message}`,
    };
  }
}

/** Polls until the cluster is healthy with at least `nodes` Ready nodes, or gives up with the last reason. */
export async function waitHealthy(access: ClusterAccess, nodes: number, timeoutMs: number): Promise<ClusterHealth> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const health = await probeCluster(access);
    if (health.healthy && health.readyNodes >= nodes) return health;
    if (Date.now() > deadline) return health;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

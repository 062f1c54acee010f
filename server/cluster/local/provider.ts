import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { CoreV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { parse, stringify } from 'yaml';
import { CnlabError } from '../../errors.ts';
import { run, tail } from '../../exec.ts';
import { projectRoot, stateDir } from '../../paths.ts';
import { isAlive } from '../../process.ts';
import type { Steps as Progress } from '../../steps.ts';
import { isSimulated, loadKubeConfig, SIMULATED_NODE_ANNOTATION, waitHealthy } from '../health.ts';
import { catalogueBinaries, ensureImages } from '../images/build.ts';
import { type AddonValues, applyAddons, waitForAddons } from './addons.ts';
import { coreDnsUpstream, podEgress, type PodEgress } from './node/egress.ts';
import type { ClusterAccess, ClusterProvider, ComponentHealth } from '../provider.ts';
import { KUBERNETES_SERVICE_IP, type NodePlan, SERVICE_CIDR } from './node/plan.ts';
import { nodePaths } from './node/configs.ts';
import { nodePreflight } from './node/preflight.ts';
import { applyEgress, nodeComponents, nodeLogTails, nodePlan, REAL_NODE_LABEL, savedNodePlan, startNode, stopNode } from './node/runtime.ts';
import { cachedToolchain, ensureNodeToolchain, ensureToolchain, type Toolchain } from './toolchain.ts';

/** Simulated nodes: enough for scheduling, spreading and anti-affinity to mean something. */
export const LOCAL_NODE_COUNT = 2;
/** On simulated nodes, so ordinary pods go to the real node and only those that tolerate it are simulated. */
export const SIMULATED_TAINT = { key: 'cnlab.dev/simulated', value: 'true', effect: 'NoSchedule' } as const;
const SIMULATED_EPHEMERAL_STORAGE = '100Gi';

const configFile = join(projectRoot, 'server', 'cluster', 'local', 'kwokctl.yaml');

/**
 * Pods reach the API server, so an anonymous request may ask whether it is alive and nothing
 * else (everything else answers 401): the health endpoints are what probes and load balancers call.
 */
const AUTHENTICATION_CONFIG = `apiVersion: apiserver.config.k8s.io/v1
kind: AuthenticationConfiguration
anonymous:
  enabled: true
  conditions:
    - path: /livez
    - path: /readyz
    - path: /healthz
`;

/**
 * kwokctl's settings for one cluster: the shared file, plus what the real node needs of the
 * control plane (its address in the API server's certificate and as the advertised endpoint, a
 * client certificate for calls to the kubelet) and kwok kept to its own nodes.
 */
async function clusterConfig(clusterDir: string, plan: NodePlan | undefined, authenticationConfig: string): Promise<string> {
  const config = parse(await readFile(configFile, 'utf8')) as { options: Record<string, unknown>; componentsPatches?: unknown[] };
  const arg = (key: string, value: string, override = false) => ({ key, value, override });
  const pki = join(clusterDir, 'pki');
  config.componentsPatches = [
    {
      name: 'kube-apiserver',
      extraArgs: [
        arg('service-cluster-ip-range', SERVICE_CIDR),
        arg('authentication-config', authenticationConfig),
        ...(plan
          ? [
              arg('advertise-address', plan.nodeIp),
              arg('kubelet-client-certificate', join(pki, 'admin.crt')),
              arg('kubelet-client-key', join(pki, 'admin.key')),
              arg('kubelet-preferred-address-types', 'InternalIP'),
              // metrics-server runs on the node's network: the API server reaches its endpoint
              // address directly (it has no route to Service addresses, which live in the node).
              arg('enable-aggregator-routing', 'true'),
              arg('requestheader-client-ca-file', join(pki, 'ca.crt')),
              arg('requestheader-allowed-names', 'kwok-admin'),
              arg('requestheader-username-headers', 'X-Remote-User'),
              arg('requestheader-group-headers', 'X-Remote-Group'),
              arg('requestheader-extra-headers-prefix', 'X-Remote-Extra-'),
            ]
          : []),
      ],
    },
    // kwok's default is to manage every node, and it would fight the kubelet over the real one.
    {
      name: 'kwok-controller',
      extraArgs: [arg('manage-all-nodes', 'false', true), arg('manage-nodes-with-annotation-selector', `${SIMULATED_NODE_ANNOTATION.key}=${SIMULATED_NODE_ANNOTATION.value}`)],
    },
  ];
  if (plan) config.options.kubeApiserverCertSANs = [plan.nodeIp, KUBERNETES_SERVICE_IP];
  return stringify(config);
}

export function localProvider(options: { clusterName: string; apiPort?: number }): ClusterProvider {
  const workdir = join(stateDir(), 'kwok');
  const clusterDir = join(workdir, 'clusters', options.clusterName);
  const access: ClusterAccess = { provider: 'local', kubeconfig: join(clusterDir, 'kubeconfig.yaml') };
  // KWOK_WORKDIR keeps kwokctl's state with ours; the KWOK_*_BINARY variables point it at the
  // binaries we built so it never tries to download one; an empty --kubeconfig keeps it out of
  // the user's ~/.kube/config.
  const kwokctl = (toolchain: Toolchain, args: string[]) =>
    run(toolchain.kwokctl, [...args, '--name', options.clusterName], {
      env: {
        ...process.env,
        KWOK_WORKDIR: workdir,
        KWOK_KUBE_APISERVER_BINARY: toolchain.kubeApiserver,
        KWOK_KUBE_CONTROLLER_MANAGER_BINARY: toolchain.kubeControllerManager,
        KWOK_KUBE_SCHEDULER_BINARY: toolchain.kubeScheduler,
        KWOK_KUBECTL_BINARY: toolchain.kubectl,
        KWOK_ETCD_BINARY: toolchain.etcd,
        KWOK_CONTROLLER_BINARY: toolchain.kwok,
      },
    });
  const failed = (what: string, output: { stdout: string; stderr: string }, hint?: string) =>
    new CnlabError(`kwokctl could not ${what}:\n${tail(output.stderr || output.stdout)}`, hint);

  const exists = async () => existsSync(join(clusterDir, 'kwok.yaml'));
  // `delete cluster` rejects an empty --kubeconfig (create accepts it); a file inside the
  // cluster folder keeps it away from ~/.kube/config and disappears with the folder.
  const deleteCluster = (toolchain: Toolchain) =>
    kwokctl(toolchain, ['delete', 'cluster', '--kubeconfig', join(clusterDir, 'kwokctl-contexts.yaml')]);

  async function create(toolchain: Toolchain, plan: NodePlan | undefined, progress: Progress): Promise<void> {
    if (options.apiPort !== undefined) await assertPortFree(options.apiPort);
    const generatedConfig = join(workdir, `${options.clusterName}.kwokctl.yaml`);
    const authenticationConfig = join(workdir, `${options.clusterName}.authentication.yaml`);
    await mkdir(workdir, { recursive: true });
    await writeFile(authenticationConfig, AUTHENTICATION_CONFIG);
    await writeFile(generatedConfig, await clusterConfig(clusterDir, plan, authenticationConfig));
    const created = await progress.step(`start the control plane (cluster "${options.clusterName}")`, () =>
      kwokctl(toolchain, [
        'create',
        'cluster',
        '--config',
        generatedConfig,
        '--kubeconfig',
        '',
        ...(options.apiPort === undefined ? [] : ['--kube-apiserver-port', String(options.apiPort)]),
        '--wait',
        '120s',
      ]),
    );
    if (created.code !== 0) {
      await deleteCluster(toolchain);
      throw failed('create the cluster', created, 'run `cnlab cluster up` again; if it keeps failing, the lines above say which component did not start');
    }
    await protectSecrets();
    const scaled = await progress.step(`add ${LOCAL_NODE_COUNT} simulated nodes`, () =>
      kwokctl(toolchain, ['scale', 'node', '--replicas', String(LOCAL_NODE_COUNT)]),
    );
    if (scaled.code !== 0) throw failed('add nodes', scaled);
    if (plan) await taintSimulatedNodes();
  }

  async function taintSimulatedNodes(): Promise<void> {
    const core = loadKubeConfig(access).makeApiClient(CoreV1Api);
    const nodes = (await core.listNode()).items.filter(isSimulated);
    const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
    await Promise.all(
      nodes.map(async (node) => {
        const name = node.metadata?.name as string;
        await core.patchNode({ name, body: { metadata: { labels: { [SIMULATED_TAINT.key]: 'true', [REAL_NODE_LABEL]: 'simulated' } }, spec: { taints: [SIMULATED_TAINT] } } }, merge);
        // The API server reaches kubelets by InternalIP (the real node's hostname resolves
        // nowhere); kwok answers for its nodes on loopback, so that is their InternalIP. kwok's
        // template has no ephemeral storage, which learner pods request (their LimitRange).
        const resources = { ...node.status?.allocatable, 'ephemeral-storage': SIMULATED_EPHEMERAL_STORAGE };
        await core.patchNodeStatus(
          { name, body: { status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }, { type: 'Hostname', address: 'localhost' }], allocatable: resources, capacity: resources } } },
          merge,
        );
      }),
    );
  }

  /** The real node, where the machine allows one; otherwise why not, said once and loudly. */
  async function realNodePlan(progress: Progress): Promise<NodePlan | undefined> {
    const preflight = await nodePreflight();
    if (preflight.ok) return nodePlan(options.clusterName);
    progress.info(`WARNING: no real node: ${preflight.reason}. Pods will only be simulated (kwok): nothing runs in them.`);
    return undefined;
  }

  const apiPortOf = () => Number(new URL(loadKubeConfig(access).getCurrentCluster()?.server as string).port);
  /** The simulated nodes, and the real one where there is one. */
  const expectedNodes = (plan: NodePlan | undefined) => LOCAL_NODE_COUNT + (plan ? 1 : 0);

  const addonValues = (plan: NodePlan, egress: PodEgress): AddonValues => ({
    NODE_VOLUMES: nodePaths(plan.dir).volumes,
    DNS_UPSTREAM: coreDnsUpstream(egress),
    POD_EGRESS: egress.mode,
  });

  async function bringUpNode(plan: NodePlan, toolchain: Toolchain, progress: Progress): Promise<void> {
    const nodeToolchain = await ensureNodeToolchain(progress);
    const images = await ensureImages(progress, { binaries: catalogueBinaries(nodeToolchain, toolchain) });
    const kc = loadKubeConfig(access);
    const egress = await podEgress();
    await progress.step('cluster add-ons: apply', () => applyAddons(kc, addonValues(plan, egress)));
    await startNode(
      {
        plan,
        kc,
        apiPort: apiPortOf(),
        ca: { certFile: join(clusterDir, 'pki', 'ca.crt'), keyFile: join(clusterDir, 'pki', 'ca.key') },
        toolchain: nodeToolchain,
        registryStorage: images.storageDir,
        egress,
      },
      progress,
    );
  }

  /** A running node takes up a changed CNLAB_POD_EGRESS without a restart. */
  async function followEgress(plan: NodePlan, progress: Progress): Promise<void> {
    const egress = await podEgress();
    if (!(await applyEgress(plan, apiPortOf(), egress))) return;
    await progress.step(`pod egress is now "${egress.mode}": cluster add-ons`, () => applyAddons(loadKubeConfig(access), addonValues(plan, egress)));
  }

  /** Whether the real node of this cluster is running with every component healthy. */
  async function nodeHealthy(plan: NodePlan): Promise<boolean> {
    return (await nodeComponents(plan, apiPortOf())).every((component) => component.healthy);
  }

  // The folder holds the CA key and the admin client key: only the platform's user may read it.
  async function protectSecrets(): Promise<void> {
    await chmod(stateDir(), 0o700);
    await chmod(clusterDir, 0o700);
    await chmod(access.kubeconfig, 0o600);
  }

  async function waitForNodes(plan: NodePlan | undefined, progress: Progress): Promise<void> {
    const expected = expectedNodes(plan);
    const health = await progress.step(`wait for ${expected} Ready nodes`, () => waitHealthy(access, expected, plan ? 90_000 : 60_000));
    if (!health.healthy || health.readyNodes < expected) {
      throw new CnlabError(
        `the local cluster did not become healthy: ${health.message ?? `${health.readyNodes} of ${expected} nodes Ready`}${plan ? `\n${await nodeLogTails(plan)}` : ''}`,
        `run \`cnlab cluster down\` and then \`cnlab cluster up\`; component logs are in ${join(clusterDir, 'logs')}${plan ? ` and ${join(plan.dir, 'logs')}` : ''}`,
      );
    }
  }

  /** The control plane's processes (kwokctl's pid files) and, where there is one, the real node's. */
  async function components(): Promise<ComponentHealth[]> {
    if (!(await exists())) return [];
    const controlPlane = (await componentPids(clusterDir)).map(({ pidFile, pid }) => {
      const name = pidFile.split('/').pop()?.replace(/\.pid$/, '') ?? pidFile;
      const alive = isAlive(pid);
      return { name, healthy: alive, detail: alive ? 'running' : 'is not running', log: join(clusterDir, 'logs', `${name}.log`) };
    });
    const plan = await savedNodePlan(options.clusterName);
    return plan ? [...controlPlane, ...(await nodeComponents(plan, apiPortOf()))] : controlPlane;
  }

  return {
    name: 'local',
    exists,
    components,

    async up(progress) {
      const toolchain = await ensureToolchain(progress);
      let plan: NodePlan | undefined;
      if (await exists()) {
        plan = await savedNodePlan(options.clusterName);
        const health = await waitHealthy(access, expectedNodes(plan), 0);
        if (health.healthy && health.readyNodes >= expectedNodes(plan) && (!plan || (await nodeHealthy(plan)))) {
          progress.info(`cluster "${options.clusterName}" is already up at ${health.apiUrl}`);
          if (plan) await followEgress(plan, progress);
          return access;
        }
        progress.info(`cluster "${options.clusterName}" exists but is not healthy (${health.message}); restarting it`);
        await forgetStoppedComponents(clusterDir);
        const started = await progress.step('restart the control plane', () => kwokctl(toolchain, ['start', 'cluster']));
        if (started.code !== 0) {
          progress.info(`restart failed; recreating the cluster:\n${tail(started.stderr, 5)}`);
          await deleteCluster(toolchain);
          await create(toolchain, plan, progress);
        }
        if (plan && !(await nodeHealthy(plan))) await bringUpNode(plan, toolchain, progress);
        if (plan) await followEgress(plan, progress);
      } else {
        plan = await realNodePlan(progress);
        await create(toolchain, plan, progress);
        if (plan) await bringUpNode(plan, toolchain, progress);
      }
      await waitForNodes(plan, progress);
      if (plan) await progress.step('cluster add-ons: wait for DNS, storage and metrics', () => waitForAddons(loadKubeConfig(access)));
      return access;
    },

    async down(progress) {
      const plan = await savedNodePlan(options.clusterName);
      if (plan) await progress.step('stop the real node', () => stopNode(plan));
      if (!(await exists())) {
        progress.info(`no local cluster "${options.clusterName}" to stop`);
        return;
      }
      const components = await componentPids(clusterDir);
      const toolchain = await cachedToolchain();
      const deleted = toolchain
        ? await progress.step(`delete cluster "${options.clusterName}"`, () => deleteCluster(toolchain))
        : undefined;
      // kwokctl stops components by pid file; anything that outlived it (or a cluster whose
      // binaries were removed from the cache) is stopped here, so `down` leaves nothing running.
      for (const { pid } of components) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
      // A signal is not an exit: `down` returns once every component is really gone.
      const deadline = Date.now() + 10_000;
      while (components.some(({ pid }) => isAlive(pid)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      if (!toolchain) await rm(clusterDir, { recursive: true, force: true });
      if (deleted && deleted.code !== 0) throw failed('delete the cluster', deleted);
    },
  };
}

type ComponentPid = { pidFile: string; pid: number };

async function componentPids(clusterDir: string): Promise<ComponentPid[]> {
  const pidDir = join(clusterDir, 'pids');
  if (!existsSync(pidDir)) return [];
  const entries = await Promise.all(
    (await readdir(pidDir)).map(async (file) => ({
      pidFile: join(pidDir, file),
      pid: Number.parseInt(await readFile(join(pidDir, file), 'utf8'), 10),
    })),
  );
  return entries.filter(({ pid }) => Number.isInteger(pid) && pid > 1);
}

/**
 * kwokctl skips a component whose pid answers signal 0, and a zombie does until its parent
 * (often init, which may reap late) collects it: the pid file of every stopped component goes,
 * so `kwokctl start` starts it again.
 */
async function forgetStoppedComponents(clusterDir: string): Promise<void> {
  for (const { pidFile, pid } of await componentPids(clusterDir)) if (!isAlive(pid)) await rm(pidFile, { force: true });
}

function assertPortFree(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new CnlabError(
          `port ${port} on 127.0.0.1 is already in use (${error.code}), so the API server cannot listen there`,
          'stop whatever uses it (`ss -ltnp | grep :PORT`), or unset CNLAB_API_PORT to let cnlab pick a free port',
        ),
      ),
    );
    server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
  });
}

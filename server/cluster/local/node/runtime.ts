// The real node of the local provider: containerd, the kubelet, kube-proxy and the node's image
// registry, run in a PID, mount and network namespace of their own (a node without a container
// engine). The host side is a veth link, a Unix-socket relay to the API server, a cgroup and an
// nftables table; `stopNode` removes all four, and the kernel removes everything inside.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { CoreV1Api, type KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { cgroupHierarchies, killCgroups, makeCgroup } from '../../../cgroups.ts';
import { CnlabError } from '../../../errors.ts';
import { run, tail } from '../../../exec.ts';
import { projectRoot } from '../../../paths.ts';
import { isAlive } from '../../../process.ts';
import type { Steps as Progress } from '../../../steps.ts';
import type { NodeToolchain } from '../toolchain.ts';
import { issueClientCert } from './certs.ts';
import { nodeResolvConf, type PodEgress } from './egress.ts';
import {
  cniConfig,
  containerdConfig,
  hostGuard,
  kubeconfigFor,
  kubeletConfig,
  kubeProxyConfig,
  nodeGuard,
  nodePaths,
  REGISTRY_PORT,
} from './configs.ts';
import { mirrorHosts, registryConfig } from '../../images/build.ts';
import { linkAddresses, NODE_ROOT, type NodePlan, planDir, planNode, SERVICE_CIDR } from './plan.ts';

const initScript = join(projectRoot, 'server', 'cluster', 'local', 'node', 'node-init.sh');
export const REAL_NODE_LABEL = 'cnlab.dev/node';
/** kube-router's identity; addons/node-rbac.yaml grants it what its firewall reads. */
const KUBE_ROUTER_USER = 'system:cnlab-kube-router';
const KUBE_ROUTER_HEALTH_PORT = 20244;

export type NodeStart = {
  plan: NodePlan;
  /** Admin access to the cluster, to give the registered Node its pod range. */
  kc: KubeConfig;
  apiPort: number;
  /** The cluster's CA, which signs the node's client certificates and which the kubelet trusts for the API server's calls. */
  ca: { certFile: string; keyFile: string };
  toolchain: NodeToolchain;
  /** A registry storage folder holding the image catalogue. */
  registryStorage: string;
  egress: PodEgress;
};

const planFile = (clusterName: string) => join(planDir(clusterName), 'plan.json');

/** The node's plan, made once per cluster (its address is in the API server's certificate) and kept with the node. */
export async function nodePlan(clusterName: string): Promise<NodePlan> {
  const saved = await savedNodePlan(clusterName);
  if (saved) return saved;
  const plan = planNode(clusterName, await freeLinkSlot());
  await mkdir(planDir(clusterName), { recursive: true, mode: 0o700 });
  await writeFile(planFile(clusterName), `${JSON.stringify(plan, null, 2)}\n`);
  return plan;
}

export async function savedNodePlan(clusterName: string): Promise<NodePlan | undefined> {
  try {
    return JSON.parse(await readFile(planFile(clusterName), 'utf8')) as NodePlan;
  } catch {
    return undefined;
  }
}

/** The first /30 no interface on this machine uses. */
async function freeLinkSlot(): Promise<number> {
  const listed = await run('ip', ['-j', '-4', 'addr']);
  const used = new Set<string>();
  for (const link of JSON.parse(listed.stdout || '[]') as { addr_info?: { local?: string }[] }[]) {
    for (const address of link.addr_info ?? []) if (address.local) used.add(address.local);
  }
  for (let slot = 0; slot < 16384; slot += 1) {
    const { hostIp, nodeIp } = linkAddresses(slot);
    if (!used.has(hostIp) && !used.has(nodeIp)) return slot;
  }
  throw new CnlabError('every address for a node link in 172.30.0.0/16 is taken');
}

const pidFile = (plan: NodePlan, name: string) => join(plan.dir, `${name}.pid`);
const readPid = (plan: NodePlan, name: string): number | undefined => {
  try {
    const pid = Number.parseInt(readFileSync(pidFile(plan, name), 'utf8'), 10);
    return Number.isInteger(pid) && pid > 1 ? pid : undefined;
  } catch {
    return undefined;
  }
};

const cgroupName = (plan: NodePlan) => `cnlab-${plan.id}`;

/** Creates the node's cgroups in every hierarchy; returns the files a process joins them through. */
async function createCgroups(plan: NodePlan): Promise<string[]> {
  return (await makeCgroup(`${cgroupName(plan)}/system`)).map((dir) => join(dir, 'cgroup.procs'));
}

/** Starts a detached program inside the node's cgroups (so `stopNode` finds whatever it leaves), logging to `log`. */
async function startInCgroup(plan: NodePlan, name: string, procsFiles: string[], command: string[], log: string): Promise<number> {
  const out = openSync(log, 'a');
  // The shell joins the cgroups first and then becomes the program, so nothing it forks escapes them.
  const joinCgroups = procsFiles.map((file) => `echo $$ > '${file}'`).join(' && ');
  const child = spawn('sh', ['-c', `${joinCgroups} && exec "$@"`, 'sh', ...command], { detached: true, stdio: ['ignore', out, out] });
  closeSync(out);
  child.unref();
  if (!child.pid) throw new CnlabError(`could not start ${name}`);
  await writeFile(pidFile(plan, name), `${child.pid}\n`);
  return child.pid;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs: number, explain: () => Promise<string>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new CnlabError(`the real node: ${what} did not happen within ${timeoutMs / 1000}s\n${await explain()}`, 'the node logs are named above; `cnlab cluster down` and `cnlab cluster up` start it afresh');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function childOf(pid: number): number | undefined {
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    return children.length > 0 ? Number(children[0]) : undefined;
  } catch {
    return undefined;
  }
}

/** The host pid of the node's PID 1 (tini), if the node is running. */
export function nodeInitPid(plan: NodePlan): number | undefined {
  const unshare = readPid(plan, 'node');
  return unshare !== undefined && isAlive(unshare) ? childOf(unshare) : undefined;
}

const sh = async (command: string, args: string[], what: string) => {
  const result = await run(command, args);
  if (result.code !== 0) throw new CnlabError(`the real node: ${what} failed:\n${tail(result.stderr || result.stdout)}`);
  return result;
};

/** Writes the node's configuration and certificates and starts it; returns once the kubelet has registered its Node. */
export async function startNode(start: NodeStart, progress: Progress): Promise<void> {
  const { plan, apiPort, ca, toolchain } = start;
  const paths = nodePaths(plan.dir);
  await stopNode(plan, { keepPlan: true });
  for (const dir of [NODE_ROOT, plan.dir, paths.run, paths.kubeletRoot, paths.podLogs, paths.volumes]) {
    await mkdir(dir, { recursive: true });
    await chmod(dir, 0o711);
  }
  for (const dir of [paths.config, paths.logs, paths.certs, paths.cniConf, paths.containerdRoot]) await mkdir(dir, { recursive: true, mode: 0o700 });
  const server = `https://${plan.nodeIp}:${apiPort}`;
  await progress.step('real node: certificates and configuration', async () => {
    const kubelet = await issueClientCert(ca, paths.certs, 'kubelet', { commonName: `system:node:${plan.nodeName}`, organization: 'system:nodes' });
    const proxy = await issueClientCert(ca, paths.certs, 'kube-proxy', { commonName: 'system:kube-proxy' });
    const router = await issueClientCert(ca, paths.certs, 'kube-router', { commonName: KUBE_ROUTER_USER });
    const files: Record<string, string> = {
      'kubelet.kubeconfig': kubeconfigFor(server, ca.certFile, kubelet.certFile, kubelet.keyFile, `system:node:${plan.nodeName}`),
      'kube-proxy.kubeconfig': kubeconfigFor(server, ca.certFile, proxy.certFile, proxy.keyFile, 'system:kube-proxy'),
      'kube-router.kubeconfig': kubeconfigFor(server, ca.certFile, router.certFile, router.keyFile, KUBE_ROUTER_USER),
      'kubelet.yaml': kubeletConfig(plan, paths, ca.certFile),
      'kube-proxy.yaml': kubeProxyConfig(plan, join(paths.config, 'kube-proxy.kubeconfig')),
      'containerd.toml': containerdConfig(paths, toolchain.runc),
      'registry.yml': registryConfig(start.registryStorage, `${plan.nodeIp}:${REGISTRY_PORT}`),
      ...egressFiles(plan, apiPort, start.egress),
      'cni/10-cnlab.conflist': cniConfig(plan),
    };
    for (const [host, text] of Object.entries(mirrorHosts(`${plan.nodeIp}:${REGISTRY_PORT}`))) files[`certs.d/${host}/hosts.toml`] = text;
    for (const [name, text] of Object.entries(files)) {
      await mkdir(join(paths.config, name, '..'), { recursive: true });
      await writeFile(join(paths.config, name), text, { mode: 0o600 });
    }
    const env: Record<string, string> = {
      NODE_DIR: plan.dir,
      RUN_DIR: paths.run,
      CONFIG_DIR: paths.config,
      LOG_DIR: paths.logs,
      NODE_NAME: plan.nodeName,
      NODE_IP: plan.nodeIp,
      NODE_LABELS: `${REAL_NODE_LABEL}=real`,
      API_PORT: String(apiPort),
      API_SOCKET: paths.apiSocket,
      KUBELET: toolchain.kubelet,
      KUBE_PROXY: toolchain.kubeProxy,
      KUBE_ROUTER: toolchain.kubeRouter,
      SERVICE_CIDR,
      CONTAINERD_BIN_DIR: toolchain.containerdBinDir,
    };
    await writeFile(join(plan.dir, 'node.env'), Object.entries(env).map(([key, value]) => `${key}='${value}'\n`).join(''));
  });

  await progress.step('real node: start containerd, kubelet and kube-proxy', async () => {
    const procs = await createCgroups(plan);
    await startInCgroup(plan, 'api-relay', procs, ['socat', `UNIX-LISTEN:${paths.apiSocket},fork,mode=600,unlink-early`, `TCP:127.0.0.1:${apiPort}`], join(paths.logs, 'host-api-relay.log'));
    const unshare = await startInCgroup(
      plan,
      'node',
      procs,
      ['unshare', '--pid', '--fork', '--kill-child', '--net', '--mount', '--mount-proc', '--', 'tini', '--', 'sh', initScript, plan.dir],
      join(paths.logs, 'node-init.log'),
    );
    const init = await waitFor('the node namespace to start', () => childOf(unshare), 10_000, async () => tail(await readLog(paths.logs, 'node-init')));
    await sh('ip', ['link', 'add', plan.hostInterface, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', String(init)], 'creating the node link');
    await sh('ip', ['addr', 'add', `${plan.hostIp}/30`, 'dev', plan.hostInterface], 'addressing the node link');
    await sh('ip', ['link', 'set', plan.hostInterface, 'up'], 'raising the node link');
    const inNode = (args: string[]) => sh('nsenter', ['--target', String(init), '--net', '--', ...args], `in the node: ${args.join(' ')}`);
    await inNode(['ip', 'link', 'set', 'lo', 'up']);
    await inNode(['ip', 'addr', 'add', `${plan.nodeIp}/30`, 'dev', 'eth0']);
    await inNode(['ip', 'link', 'set', 'eth0', 'up']);
    await inNode(['ip', 'route', 'add', 'default', 'via', plan.hostIp]);
    await loadHostGuard(plan, start.egress);
    await writeFile(paths.networkReady, '');
  });
  // kube-router enforces NetworkPolicy per node and needs the node's pod range; nothing here
  // allocates ranges, so the Node gets the one its bridge uses as soon as the kubelet registers it.
  await progress.step('real node: register and assign its pod range', async () => {
    const core = start.kc.makeApiClient(CoreV1Api);
    await waitFor(
      `the kubelet to register Node ${plan.nodeName}`,
      () => core.readNode({ name: plan.nodeName }).then(() => true, () => undefined),
      60_000,
      () => nodeLogTails(plan),
    );
    await core.patchNode(
      { name: plan.nodeName, body: { spec: { podCIDR: plan.podCidr, podCIDRs: [plan.podCidr] } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await writeFile(join(plan.dir, 'pod-cidr-ready'), '');
  });
}

/** The node's files that follow CNLAB_POD_EGRESS: both guards, the pods' resolv.conf, and a record of the egress they were written for. */
function egressFiles(plan: NodePlan, apiPort: number, egress: PodEgress): Record<string, string> {
  return {
    'guard.nft': nodeGuard(plan, apiPort, egress),
    'host-guard.nft': hostGuard(plan, egress),
    'resolv.conf': nodeResolvConf(egress),
    'egress.json': `${JSON.stringify(egress)}\n`,
  };
}

async function loadHostGuard(plan: NodePlan, egress: PodEgress): Promise<void> {
  await sh('nft', ['-f', join(nodePaths(plan.dir).config, 'host-guard.nft')], 'loading the host firewall for the node link');
  // Masquerading is not routing: the host forwards nothing until this is on. It is one switch for
  // the whole machine, so it stays on after `cluster down` (other software may rely on it by then).
  if (egress.mode === 'internet' && (await readFile(IP_FORWARD, 'utf8')).trim() !== '1') await writeFile(IP_FORWARD, '1\n');
}
const IP_FORWARD = '/proc/sys/net/ipv4/ip_forward';

/**
 * Brings a running node's egress in line with `egress`: both guards are swapped in one nftables
 * transaction each, so there is no moment without rules. Returns whether anything changed (the
 * caller then re-applies the add-ons: CoreDNS's upstream follows egress too).
 */
export async function applyEgress(plan: NodePlan, apiPort: number, egress: PodEgress): Promise<boolean> {
  const config = nodePaths(plan.dir).config;
  const files = egressFiles(plan, apiPort, egress);
  if ((await readFile(join(config, 'egress.json'), 'utf8').catch(() => '')) === files['egress.json']) return false;
  const init = nodeInitPid(plan);
  if (init === undefined) throw new CnlabError('the real node is not running: its egress cannot change', 'run `cnlab cluster up`');
  for (const [name, text] of Object.entries(files)) await writeFile(join(config, name), text, { mode: 0o600 });
  await sh('nsenter', ['--target', String(init), '--net', '--', 'nft', '-f', join(config, 'guard.nft')], 'loading the node firewall');
  await loadHostGuard(plan, egress);
  return true;
}

async function readLog(logs: string, name: string): Promise<string> {
  try {
    return await readFile(join(logs, `${name}.log`), 'utf8');
  } catch {
    return `(no ${name}.log)`;
  }
}

/** The last lines of every node log, for a failure message. */
export async function nodeLogTails(plan: NodePlan, lines = 6): Promise<string> {
  const logs = nodePaths(plan.dir).logs;
  const names = existsSync(logs) ? readdirSync(logs).filter((file) => file.endsWith('.log')).map((file) => file.slice(0, -4)) : [];
  const parts = await Promise.all(names.map(async (name) => `--- ${join(logs, `${name}.log`)}\n${tail(await readLog(logs, name), lines)}`));
  return parts.join('\n');
}

/**
 * Stops the node and removes what it had on the host: its processes (all in its cgroups), the
 * cgroups, the link and the firewall table. Mounts and in-node devices go with the namespaces.
 */
export async function stopNode(plan: NodePlan, options: { keepPlan?: boolean } = {}): Promise<void> {
  const pidFiles = () => ['node', 'api-relay'].map((name) => readPid(plan, name)).filter((pid) => pid !== undefined);
  await killCgroups(cgroupHierarchies().map((hierarchy) => join(hierarchy, cgroupName(plan))), pidFiles);
  await run('ip', ['link', 'del', plan.hostInterface]);
  await run('nft', ['delete', 'table', 'inet', `cnlab-${plan.id}`]);
  const paths = nodePaths(plan.dir);
  if (options.keepPlan) {
    for (const name of ['node.pid', 'api-relay.pid', 'network-ready', 'pod-cidr-ready', 'api.sock']) await rm(join(plan.dir, name), { force: true });
    // Pods of a previous run are recreated by their controllers; their old state must not be reused.
    await rm(paths.kubeletRoot, { recursive: true, force: true });
  } else {
    await rm(plan.dir, { recursive: true, force: true });
    await rm(planDir(plan.clusterName), { recursive: true, force: true });
  }
}

export type NodeComponent = { name: string; healthy: boolean; detail: string; log: string };

/** The program names of every host process whose PID namespace is the node's. */
function nodeProcesses(init: number): Set<string> {
  const namespace = readlinkSync(`/proc/${init}/ns/pid`);
  const found = new Set<string>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/ns/pid`) !== namespace) continue;
      found.add(readFileSync(`/proc/${entry}/comm`, 'utf8').trim());
    } catch {
      // Exited while we looked.
    }
  }
  return found;
}

async function httpOk(url: string): Promise<string | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return response.ok ? undefined : `answers ${response.status}`;
  } catch (error) {
    return `does not answer (${((error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message)})`;
  }
}

function tcpOk(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 2000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(undefined);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve('does not accept connections');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(`does not accept connections (${error.code})`));
  });
}

/** Each component of the node: running, answering its health check, and where its log is. */
export async function nodeComponents(plan: NodePlan, apiPort: number): Promise<NodeComponent[]> {
  const logs = nodePaths(plan.dir).logs;
  const init = nodeInitPid(plan);
  const processes = init === undefined ? new Set<string>() : nodeProcesses(init);
  const relayPid = readPid(plan, 'api-relay');
  const checks: { name: string; running: boolean; probe: () => Promise<string | undefined> }[] = [
    { name: 'containerd', running: processes.has('containerd'), probe: async () => undefined },
    { name: 'kubelet', running: processes.has('kubelet'), probe: () => httpOk(`http://${plan.nodeIp}:10248/healthz`) },
    { name: 'kube-proxy', running: processes.has('kube-proxy'), probe: () => httpOk(`http://${plan.nodeIp}:10256/healthz`) },
    { name: 'registry', running: processes.has('docker-registry'), probe: () => httpOk(`http://${plan.nodeIp}:${REGISTRY_PORT}/v2/`) },
    { name: 'kube-router', running: processes.has('kube-router'), probe: () => httpOk(`http://${plan.nodeIp}:${KUBE_ROUTER_HEALTH_PORT}/healthz`) },
    { name: 'api-relay', running: processes.has('socat') && relayPid !== undefined && isAlive(relayPid), probe: () => tcpOk(plan.nodeIp, apiPort) },
  ];
  return Promise.all(
    checks.map(async ({ name, running, probe }) => {
      const problem = running ? await probe() : init === undefined ? 'the node is not running' : 'is not running';
      return { name, healthy: problem === undefined, detail: problem ?? 'healthy', log: join(logs, `${name}.log`) };
    }),
  );
}

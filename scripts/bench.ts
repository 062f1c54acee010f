// `npm run bench`: the platform's performance claims, each as a ratio against a baseline measured
// in the same run on the same machine. Nothing here passes or fails; it prints figures.
//
//   1. session ready time (50 at once) vs the bare API round-trips the same objects need
//   2. keystroke echo through WebSocket + sandboxed pty (1 and 100 sessions) vs a raw pty behind
//      a plain loopback WebSocket
//   3. server memory per open session
//   4. grading a lab vs the bare list calls it needs
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { spawn } from '@lydell/node-pty';
import { CoreV1Api, type KubeConfig, NetworkingV1Api, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { WebSocket, WebSocketServer } from 'ws';
import { loadKubeConfig } from '../server/cluster/health.ts';
import { gradeLab } from '../server/labs/grade.ts';
import { loadLabs } from '../server/labs/load.ts';
import { listRaw } from '../server/labs/read-raw.ts';
import { limits, namespaceRules, quota } from '../server/sessions/policy.ts';
import { learnerWithShell, type Platform, startPlatform } from '../server/testing/platform.ts';

const SESSIONS_AT_ONCE = 50;
const ECHO_SESSIONS = [1, 100];
const KEYSTROKES = 40;
const GRADINGS = 50;

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
};
const ms = (value: number) => `${value.toFixed(1)} ms`;
const ratio = (value: number, baseline: number) => `${(value / baseline).toFixed(2)}x`;
const rows: string[][] = [];
const report = (...cells: string[]) => {
  rows.push(cells);
  process.stderr.write(`  ${cells.join('  ')}\n`);
};

async function timed<T>(work: () => Promise<T>): Promise<[number, T]> {
  const started = performance.now();
  const value = await work();
  return [performance.now() - started, value];
}

async function adminConfig(platform: Platform): Promise<KubeConfig> {
  return loadKubeConfig({ provider: 'local', kubeconfig: (await platform.cli('cluster', 'kubeconfig')).stdout.trim() });
}

/** The objects a learner namespace needs, created with a bare client: the floor for provisioning. */
async function rawProvision(kc: KubeConfig, namespace: string): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  const meta = { name: 'learner', namespace };
  const subject = { kind: 'ServiceAccount', name: 'learner', namespace };
  await core.createNamespace({ body: { metadata: { name: namespace, labels: { 'cnlab.dev/bench': 'raw' } } } });
  await Promise.all([
    core.createNamespacedServiceAccount({ namespace, body: { metadata: meta } }).then(() =>
      core.createNamespacedServiceAccountToken({ name: 'learner', namespace, body: { spec: { audiences: [], expirationSeconds: 3600 } } }),
    ),
    rbac.createNamespacedRole({ namespace, body: { metadata: meta, rules: namespaceRules } }),
    rbac.createNamespacedRoleBinding({ namespace, body: { metadata: meta, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'learner' }, subjects: [subject] } }),
    rbac.createClusterRoleBinding({
      body: { metadata: { name: `bench-${namespace}`, labels: { 'cnlab.dev/bench': 'raw' } }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' }, subjects: [subject] },
    }),
    core.createNamespacedResourceQuota({ namespace, body: { metadata: meta, spec: quota } }),
    core.createNamespacedLimitRange({ namespace, body: { metadata: meta, spec: { limits } } }),
    kc.makeApiClient(NetworkingV1Api).createNamespacedNetworkPolicy({ namespace, body: { metadata: meta, spec: { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ _from: [{ podSelector: {} }] }] } } }),
  ]);
}

async function sessionReadiness(platform: Platform): Promise<void> {
  process.stderr.write(`session ready time, ${SESSIONS_AT_ONCE} at once\n`);
  const kc = await adminConfig(platform);
  const raw = await Promise.all(Array.from({ length: SESSIONS_AT_ONCE }, (_, i) => timed(() => rawProvision(kc, `bench-raw-${i}-${randomBytes(3).toString('hex')}`))));
  const rawTimes = raw.map(([time]) => time);
  const sessions = await Promise.all(Array.from({ length: SESSIONS_AT_ONCE }, () => timed(() => learnerWithShell(platform, 'bench'))));
  const readyTimes = sessions.map(([time]) => time);
  for (const [, session] of sessions) session.shell.close();
  const [p50, p95, raw50, raw95] = [percentile(readyTimes, 50), percentile(readyTimes, 95), percentile(rawTimes, 50), percentile(rawTimes, 95)];
  report('session ready (POST to prompt)', `p50 ${ms(p50)}`, `p95 ${ms(p95)}`);
  report('baseline: bare API round-trips', `p50 ${ms(raw50)}`, `p95 ${ms(raw95)}`);
  report('ratio p95', ratio(p95, raw95), `goal <= 1.5x and p95 < 1 s: ${p95 / raw95 <= 1.5 && p95 < 1000 ? 'met' : 'NOT met'}`);

  // For scale: one learner at a time, the everyday case.
  const single: number[] = [];
  const singleRaw: number[] = [];
  for (let i = 0; i < 10; i += 1) {
    singleRaw.push((await timed(() => rawProvision(kc, `bench-raw-one-${i}-${randomBytes(3).toString('hex')}`)))[0]);
    const [time, session] = await timed(() => learnerWithShell(platform, 'bench-one'));
    single.push(time);
    session.shell.close();
  }
  report('session ready, one at a time (10)', `p50 ${ms(percentile(single, 50))}`, `p95 ${ms(percentile(single, 95))}`);
  report('baseline: bare API round-trips, one at a time', `p50 ${ms(percentile(singleRaw, 50))}`, `p95 ${ms(percentile(singleRaw, 95))}`);
  report('ratio p95', ratio(percentile(single, 95), percentile(singleRaw, 95)), '');
}

/** Sends one character at a time and waits for its echo; returns each round trip. */
async function echoLatencies(send: (data: string) => void, output: () => string): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < KEYSTROKES; i += 1) {
    const key = String.fromCharCode(97 + (i % 26));
    const before = output().length;
    const started = performance.now();
    send(key);
    while (!output().slice(before).includes(key)) await new Promise((resolve) => setImmediate(resolve));
    times.push(performance.now() - started);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return times;
}

/** The baseline: `cat` in a raw pty behind a bare loopback WebSocket, no sandbox, no auth. */
async function rawEcho(count: number): Promise<number[]> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(server, 'listening');
  server.on('connection', (socket) => {
    const pty = spawn('cat', [], { name: 'xterm-256color', cols: 80, rows: 24, env: { PATH: '/usr/bin:/bin' } });
    pty.onData((data) => socket.send(JSON.stringify({ type: 'data', data })));
    socket.on('message', (raw) => pty.write((JSON.parse(raw.toString()) as { data: string }).data));
    socket.on('close', () => pty.kill());
  });
  const { port } = server.address() as AddressInfo;
  const results = await Promise.all(
    Array.from({ length: count }, async () => {
      const socket = new WebSocket(`ws://127.0.0.1:${port}`);
      await once(socket, 'open');
      let output = '';
      socket.on('message', (raw) => (output += (JSON.parse(raw.toString()) as { data: string }).data));
      const times = await echoLatencies((data) => socket.send(JSON.stringify({ type: 'data', data })), () => output);
      socket.close();
      return times;
    }),
  );
  server.close();
  return results.flat();
}

async function platformEcho(platform: Platform, count: number): Promise<number[]> {
  const sessions = await Promise.all(Array.from({ length: count }, () => learnerWithShell(platform, `echo-${count}`)));
  const results = await Promise.all(
    sessions.map(async ({ shell }) => {
      shell.send({ type: 'data', data: 'cat\r' });
      await new Promise((resolve) => setTimeout(resolve, 300));
      const times = await echoLatencies((data) => shell.send({ type: 'data', data }), () => shell.output);
      shell.send({ type: 'data', data: '\u0003' });
      return times;
    }),
  );
  for (const { shell } of sessions) shell.close();
  return results.flat();
}

async function echo(platform: Platform): Promise<void> {
  process.stderr.write('keystroke echo\n');
  for (const count of ECHO_SESSIONS) {
    const raw = await rawEcho(count);
    const through = await platformEcho(platform, count);
    report(`echo, ${count} session${count === 1 ? '' : 's'}`, `p50 ${ms(percentile(through, 50))}`, `p99 ${ms(percentile(through, 99))}`);
    report(`baseline: raw pty + loopback ws, ${count}`, `p50 ${ms(percentile(raw, 50))}`, `p99 ${ms(percentile(raw, 99))}`);
    report('ratio p99', ratio(percentile(through, 99), percentile(raw, 99)), count === 100 ? `goal <= 2x: ${percentile(through, 99) / percentile(raw, 99) <= 2 ? 'met' : 'NOT met'}` : '');
  }
}

/** Resident memory of a process and all its descendants, in bytes. */
function treeMemory(root: number): { own: number; tree: number } {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // The process ended while we looked.
    }
  }
  const rss = (pid: number) => {
    try {
      return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
    } catch {
      return 0;
    }
  };
  const descendants = (pid: number): number[] => [...parents].filter(([, parent]) => parent === pid).flatMap(([child]) => [child, ...descendants(child)]);
  return { own: rss(root), tree: descendants(root).reduce((sum, pid) => sum + rss(pid), rss(root)) };
}

async function memory(platform: Platform): Promise<void> {
  process.stderr.write('memory per open session\n');
  const pid = platform.process.pid ?? 0;
  const before = treeMemory(pid);
  const sessions = await Promise.all(Array.from({ length: 100 }, () => learnerWithShell(platform, 'memory')));
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const after = treeMemory(pid);
  report('server process, per session', `${((after.own - before.own) / 100 / 1024).toFixed(0)} KiB`, `(${(before.own / 2 ** 20).toFixed(0)} MiB idle)`);
  report('with sandbox processes, per session', `${((after.tree - before.tree) / 100 / 1024).toFixed(0)} KiB`, '(bwrap, bash, socat)');
  for (const { shell } of sessions) shell.close();
}

async function grading(platform: Platform): Promise<void> {
  process.stderr.write('grading a lab\n');
  const lab = (await loadLabs()).find((candidate) => candidate.definition.id === 'deployment-rollout');
  if (!lab) throw new Error('the deployment-rollout lab is missing');
  const kc = await adminConfig(platform);
  const { shell, namespace } = await learnerWithShell(platform, 'deployment-rollout');
  await shell.exec(lab.solution.trim().split('\n').join(' && '), 120_000);
  const checks = lab.definition.tasks.flatMap((task) => task.checks).length;
  const graded: number[] = [];
  const bare: number[] = [];
  for (let i = 0; i < GRADINGS; i += 1) {
    graded.push((await timed(() => gradeLab(kc, lab, namespace)))[0]);
    bare.push((await timed(() => Promise.all([listRaw(kc, 'apps/v1', 'deployments', namespace), listRaw(kc, 'apps/v1', 'replicasets', namespace)])))[0]);
  }
  report(`grade ${lab.definition.id} (${checks} checks)`, `p50 ${ms(percentile(graded, 50))}`, `p95 ${ms(percentile(graded, 95))}`);
  report('baseline: its bare list calls', `p50 ${ms(percentile(bare, 50))}`, `p95 ${ms(percentile(bare, 95))}`);
  report('ratio p95', ratio(percentile(graded, 95), percentile(bare, 95)), `goal < 150 ms and <= 1.5x: ${percentile(graded, 95) < 150 && percentile(graded, 95) / percentile(bare, 95) <= 1.5 ? 'met' : 'NOT met'}`);
  shell.close();
}

const platform = await startPlatform({ CNLAB_MAX_SESSIONS: '400', LOG_LEVEL: 'warn' });
try {
  await sessionReadiness(platform);
  await echo(platform);
  await memory(platform);
  await grading(platform);
} finally {
  await platform.stop();
  await platform.cli('cluster', 'down');
}
const widths = rows.reduce<number[]>((w, row) => row.map((cell, i) => Math.max(w[i] ?? 0, cell.length)), []);
process.stdout.write(`\ncnlab bench (${new Date().toISOString()})\n${rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd()).join('\n')}\n`);

// `npm run bench`: the platform's performance claims, each as a ratio against a baseline measured
// in the same run on the same machine. Nothing here passes or fails; it prints figures.
//
//   1. session ready time (one alone, and 50 at once), with the namespace pool off and on, vs
//      the platform's provisioning alone: the bare API round-trips for the same objects
//   2. keystroke echo through WebSocket + sandboxed pty (1 and 100 sessions) vs a raw pty behind
//      a plain loopback WebSocket
//   3. server memory per open session
//   4. grading a lab vs the bare list calls it needs
//   5. a 50-learner workshop: from a learner's check to the instructor's dashboard, vs the check
//   6. grading that workshop with `cnlab grade --workshop` vs grading its namespaces one by one
//   7. the real node: pods of a Deployment Ready (1 and 20) vs the same on the simulated nodes;
//      `cluster up` on a running and on a new cluster; memory of the node at rest and per pod
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { spawn } from '@lydell/node-pty';
import { AppsV1Api, CoreV1Api, type KubeConfig, KubernetesObjectApi } from '@kubernetes/client-node';
import { WebSocket, WebSocketServer } from 'ws';
import { loadKubeConfig } from '../server/cluster/health.ts';
import { run } from '../server/exec.ts';
import { projectRoot } from '../server/paths.ts';
import { gradeLab } from '../server/labs/grade.ts';
import { loadLabs } from '../server/labs/load.ts';
import { listRaw } from '../server/labs/read-raw.ts';
import { deleteNamespace, listPoolNamespaces, provisionNamespace } from '../server/sessions/provision.ts';
import { ownerLabel } from '../server/shared/names.ts';
import { learnerWithShell, type Platform, startPlatform } from '../server/testing/platform.ts';

const SESSIONS_AT_ONCE = 50;
const ECHO_SESSIONS = [1, 100];
const KEYSTROKES = 40;
const GRADINGS = 50;
const WORKSHOP_LEARNERS = 50;

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

/**
 * The floor for provisioning: the platform's own provisioning (the same API calls for the same
 * objects: namespace, ServiceAccount and token, Role and bindings, quota, limits, network policy)
 * called directly, without HTTP, the session, the sandbox or the shell.
 */
async function rawProvision(kc: KubeConfig, namespace: string): Promise<void> {
  await provisionNamespace(kc, { namespace, owner: ownerLabel('bench-baseline'), lab: 'bench-baseline', expiresAt: new Date(Date.now() + 3600_000) });
}

/** Waits until no namespace is being deleted: the namespace controller's work would slow what is measured next. */
async function settled(kc: KubeConfig): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const deadline = Date.now() + 180_000;
  while ((await core.listNamespace()).items.some((ns) => ns.status?.phase === 'Terminating')) {
    if (Date.now() > deadline) throw new Error('namespaces were still being deleted after 3 minutes');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Waits until the cluster's pool holds `size` namespaces free to claim. */
async function poolFull(kc: KubeConfig, size: number): Promise<void> {
  const deadline = Date.now() + 180_000;
  while ((await listPoolNamespaces(kc)).unassigned.length < size) {
    if (Date.now() > deadline) throw new Error(`the pool did not reach ${size} namespaces in 3 minutes`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

type Readiness = { alone: number[]; burst: number[] };
type Opened = Awaited<ReturnType<typeof learnerWithShell>>;

/** Ends a session as its learner's End button does: the shell stops and the namespace is deleted. */
async function end(platform: Platform, { learner, id, shell }: Opened): Promise<void> {
  shell.close();
  const response = await fetch(`${platform.url}/api/sessions/${id}`, { method: 'DELETE', headers: { cookie: learner.cookie, origin: platform.origin } });
  if (!response.ok) throw new Error(`ending a session failed: ${response.status} ${await response.text()}`);
}

/** Session ready times (POST to prompt): 10 one at a time, then SESSIONS_AT_ONCE at once; each ended and its namespace gone before the next. */
async function readiness(platform: Platform, kc: KubeConfig, beforeEach: () => Promise<void>): Promise<Readiness> {
  const alone: number[] = [];
  for (let i = 0; i < 10; i += 1) {
    await beforeEach();
    const [time, session] = await timed(() => learnerWithShell(platform, 'bench-one'));
    alone.push(time);
    await end(platform, session);
    await settled(kc);
  }
  await beforeEach();
  const sessions = await Promise.all(Array.from({ length: SESSIONS_AT_ONCE }, () => timed(() => learnerWithShell(platform, 'bench'))));
  await Promise.all(sessions.map(([, session]) => end(platform, session)));
  await settled(kc);
  return { alone, burst: sessions.map(([time]) => time) };
}

/**
 * Session ready time against the bare API calls for the same objects, with the pool off and with
 * it on (sized to the burst, and filled before each measure), in one run.
 */
async function sessionReadiness(platform: Platform): Promise<void> {
  process.stderr.write(`session ready time, one alone and ${SESSIONS_AT_ONCE} at once, pool off and on\n`);
  const kc = await adminConfig(platform);
  const rawAlone: number[] = [];
  for (let i = 0; i < 10; i += 1) rawAlone.push((await timed(() => rawProvision(kc, `bench-raw-one-${i}-${randomBytes(3).toString('hex')}`)))[0]);
  const raw = await Promise.all(Array.from({ length: SESSIONS_AT_ONCE }, (_, i) => timed(() => rawProvision(kc, `bench-raw-${i}-${randomBytes(3).toString('hex')}`))));
  const rawBurst = raw.map(([time]) => time);
  const core = kc.makeApiClient(CoreV1Api);
  await Promise.all(
    (await core.listNamespace()).items
      .map((ns) => String(ns.metadata?.name))
      .filter((name) => name.startsWith('bench-raw-'))
      .map((name) => deleteNamespace(kc, name)),
  );
  await settled(kc);

  // The platform the bench started has the pool off; one with it on shares its cluster.
  const off = await readiness(platform, kc, async () => undefined);
  const kubeconfig = (await platform.cli('cluster', 'kubeconfig')).stdout.trim();
  const pooled = await startPlatform({ ...benchSettings, CNLAB_PROVIDER: 'kubeconfig', KUBECONFIG: kubeconfig, CNLAB_SESSION_POOL: String(SESSIONS_AT_ONCE) });
  let on: Readiness;
  try {
    // A lone session finds the pool full, as it would between classes; so does the burst.
    on = await readiness(pooled, kc, () => poolFull(kc, SESSIONS_AT_ONCE));
  } finally {
    await pooled.stop();
  }
  // The later sections run with the pool off: its namespaces would only add work for the node's network policy firewall.
  await Promise.all((await listPoolNamespaces(kc)).unassigned.map((ns) => deleteNamespace(kc, String(ns.metadata?.name))));
  await settled(kc);

  const p = (values: number[], n: number) => percentile(values, n);
  const verdict = (p95: number, baseline: number, goal: string, met: boolean) => `${ratio(p95, baseline)}  goal ${goal}: ${met ? 'met' : 'NOT met'}`;
  report('baseline: bare API calls, one alone (10)', `p50 ${ms(p(rawAlone, 50))}`, `p95 ${ms(p(rawAlone, 95))}`);
  report('session ready, one alone, pool off', `p50 ${ms(p(off.alone, 50))}`, `p95 ${ms(p(off.alone, 95))}`, verdict(p(off.alone, 95), p(rawAlone, 95), '<= 1.5x', p(off.alone, 95) / p(rawAlone, 95) <= 1.5));
  report('session ready, one alone, pool on', `p50 ${ms(p(on.alone, 50))}`, `p95 ${ms(p(on.alone, 95))}`, verdict(p(on.alone, 95), p(rawAlone, 95), '<= 1.5x', p(on.alone, 95) / p(rawAlone, 95) <= 1.5));
  report(`baseline: bare API calls, ${SESSIONS_AT_ONCE} at once`, `p50 ${ms(p(rawBurst, 50))}`, `p95 ${ms(p(rawBurst, 95))}`);
  report(`session ready, ${SESSIONS_AT_ONCE} at once, pool off`, `p50 ${ms(p(off.burst, 50))}`, `p95 ${ms(p(off.burst, 95))}`, verdict(p(off.burst, 95), p(rawBurst, 95), 'p95 < 1 s', p(off.burst, 95) < 1000));
  report(`session ready, ${SESSIONS_AT_ONCE} at once, pool on (${SESSIONS_AT_ONCE})`, `p50 ${ms(p(on.burst, 50))}`, `p95 ${ms(p(on.burst, 95))}`, verdict(p(on.burst, 95), p(rawBurst, 95), 'p95 < 1 s', p(on.burst, 95) < 1000));
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

type Workshop = { code: string; token: string; learners: Array<{ name: string; id: string; namespace: string; cookie: string }> };

/** A workshop of WORKSHOP_LEARNERS on service-endpoints, each with a session and its Deployment ready. */
async function workshopOf(platform: Platform, kc: KubeConfig): Promise<Workshop> {
  const created = await platform.cli('workshop', 'create', '--title', 'Bench', '--labs', 'service-endpoints', '--capacity', String(WORKSHOP_LEARNERS));
  const code = /join code:\s+(\w+)/.exec(created.stdout)?.[1] ?? '';
  const token = /instructor token:\s+(\S+)/.exec(created.stdout)?.[1] ?? '';
  const objects = KubernetesObjectApi.makeApiClient(kc);
  const learners = await Promise.all(
    Array.from({ length: WORKSHOP_LEARNERS }, async (_, i) => {
      const name = `Learner ${String(i + 1).padStart(2, '0')}`;
      const { learner, id, namespace, shell } = await learnerWithShell(platform, 'service-endpoints');
      shell.close();
      const joined = await fetch(`${platform.url}/api/workshops/join`, { method: 'POST', headers: { cookie: learner.cookie, 'content-type': 'application/json' }, body: JSON.stringify({ code, name }) });
      if (!joined.ok) throw new Error(`joining the workshop failed: ${joined.status} ${await joined.text()}`);
      const labels = { app: 'api' };
      await objects.create({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'api', namespace },
        spec: { replicas: 2, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'api', image: 'nginx:1.27' }] } } },
      });
      return { name, id, namespace, cookie: learner.cookie };
    }),
  );
  // Measure checks that pass: wait until every learner's Deployment is ready.
  const apps = kc.makeApiClient(AppsV1Api);
  const deadline = Date.now() + 180_000;
  for (const { namespace } of learners) {
    while ((await apps.readNamespacedDeployment({ name: 'api', namespace })).status?.readyReplicas !== 2) {
      if (Date.now() > deadline) throw new Error(`the Deployment in ${namespace} did not become ready`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  return { code, token, learners };
}

/**
 * All learners check at once; each one's latency runs until the dashboard API shows their tick.
 * The task measured (expose) is made to pass by the admin, out of the learners' shells, after
 * every automatic follow-up grading is over: only the measured checks can tick it.
 */
async function dashboardLatency(platform: Platform, workshop: Workshop, kc: KubeConfig): Promise<void> {
  process.stderr.write(`workshop dashboard, ${WORKSHOP_LEARNERS} learners checking at once\n`);
  await new Promise((resolve) => setTimeout(resolve, 11_000));
  const core = kc.makeApiClient(CoreV1Api);
  await Promise.all(workshop.learners.map(({ namespace }) => core.createNamespacedService({ namespace, body: { metadata: { name: 'api' }, spec: { selector: { app: 'api' }, ports: [{ port: 80 }] } } })));
  const deadline = Date.now() + 120_000;
  for (const { namespace } of workshop.learners) {
    // The lab asks for two ready endpoints.
    while ((await listRaw(kc, 'discovery.k8s.io/v1', 'endpointslices', namespace)).flatMap((slice) => (slice as { endpoints?: unknown[] }).endpoints ?? []).length < 2) {
      if (Date.now() > deadline) throw new Error(`the Service in ${namespace} got no endpoints`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  const seen = new Map<string, number>();
  const checks: number[] = [];
  const started = performance.now();
  let polling = true;
  const poll = (async () => {
    while (polling) {
      // A connection reset between polls is the client's keep-alive, not the dashboard: poll again.
      const board = (await fetch(`${platform.url}/api/workshops/${workshop.code}/dashboard`, { headers: { authorization: `Bearer ${workshop.token}` } })
        .then((response) => response.json())
        .catch(() => ({ learners: [] }))) as { learners: Array<{ name: string; passed: string[] }> };
      const now = performance.now();
      for (const row of board.learners) if (row.passed.includes('service-endpoints/expose') && !seen.has(row.name)) seen.set(row.name, now - started);
      if (seen.size === workshop.learners.length) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  const failed = (
    await Promise.allSettled(
      workshop.learners.map(async (learner) => {
        const response = await fetch(`${platform.url}/api/sessions/${learner.id}/grade`, { method: 'POST', headers: { cookie: learner.cookie, 'content-type': 'application/json' }, body: '{}' });
        checks.push(performance.now() - started);
        const result = (await response.json()) as { passed?: boolean };
        if (!result.passed) throw new Error(`${learner.name}'s lab did not pass: ${JSON.stringify(result)}`);
      }),
    )
  ).filter((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
  if (failed.length > 0) throw new Error(`${failed.length} of ${workshop.learners.length} checks failed, the first: ${String(failed[0]?.reason)}`);
  await Promise.race([poll, new Promise((resolve) => setTimeout(resolve, 30_000))]);
  polling = false;
  const visible = [...seen.values()];
  if (visible.length < workshop.learners.length) throw new Error(`only ${visible.length} of ${workshop.learners.length} checks reached the dashboard`);
  report('check -> dashboard API shows it', `p50 ${ms(percentile(visible, 50))}`, `p95 ${ms(percentile(visible, 95))}`, '(+ up to 0.5 s: the page polls twice a second)');
  report('baseline: the check itself (its response)', `p50 ${ms(percentile(checks, 50))}`, `p95 ${ms(percentile(checks, 95))}`);
  report('ratio p95', ratio(percentile(visible, 95), percentile(checks, 95)));
}

/** `cnlab grade --workshop` (one process, one namespace list, 8 at a time) vs a script's loop. */
async function workshopGrading(platform: Platform, workshop: Workshop): Promise<void> {
  process.stderr.write(`grading a ${WORKSHOP_LEARNERS}-learner workshop\n`);
  const [together, result] = await timed(() => platform.cli('grade', '--lab', 'service-endpoints', '--workshop', workshop.code, '--format', 'json'));
  const graded = (JSON.parse(result.stdout) as { learners: unknown[] }).learners.length;
  if (graded !== workshop.learners.length) throw new Error(`grade --workshop graded ${graded} learners: ${result.stderr}`);
  const [oneByOne] = await timed(async () => {
    for (const learner of workshop.learners) await platform.cli('grade', '--lab', 'service-endpoints', '--namespace', learner.namespace, '--format', 'json');
  });
  report(`grade --workshop, ${graded} namespaces`, ms(together), `${(graded / (together / 1000)).toFixed(1)} namespaces/s`);
  report('baseline: grade --namespace, one by one', ms(oneByOne), `${(graded / (oneByOne / 1000)).toFixed(1)} namespaces/s`);
  report('ratio (time)', ratio(together, oneByOne));
}

async function workshop(platform: Platform): Promise<void> {
  const admin = await adminConfig(platform);
  const created = await workshopOf(platform, admin);
  await dashboardLatency(platform, created, admin);
  await workshopGrading(platform, created);
}

/** From `create` to every replica Ready, polling the Deployment's status. */
async function deploymentReady(kc: KubeConfig, namespace: string, name: string, replicas: number, simulated: boolean): Promise<number> {
  const apps = kc.makeApiClient(AppsV1Api);
  const labels = { app: name };
  const [time] = await timed(async () => {
    await apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name },
        spec: {
          replicas,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: {
              terminationGracePeriodSeconds: 0,
              ...(simulated ? { nodeSelector: { 'cnlab.dev/node': 'simulated' }, tolerations: [{ key: 'cnlab.dev/simulated', operator: 'Exists', effect: 'NoSchedule' }] } : {}),
              containers: [{ name: 'web', image: 'nginx:1.26', resources: { requests: { cpu: '10m', memory: '16Mi' } } }],
            },
          },
        },
      },
    });
    while (((await apps.readNamespacedDeployment({ name, namespace })).status?.readyReplicas ?? 0) < replicas) await new Promise((resolve) => setTimeout(resolve, 50));
  });
  return time;
}

/** Resident memory of the real node's processes by program, read through the node's PID namespace. */
function nodeMemory(nodePid: number): Map<string, number> {
  const namespace = readlinkSync(`/proc/${nodePid}/ns/pid`);
  const byProgram = new Map<string, number>();
  for (const entry of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      if (readlinkSync(`/proc/${entry}/ns/pid`) !== namespace) continue;
      const comm = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
      const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${entry}/status`, 'utf8'))?.[1] ?? 0) * 1024;
      byProgram.set(comm, (byProgram.get(comm) ?? 0) + rss);
    } catch {
      // The process ended while we looked.
    }
  }
  return byProgram;
}

async function realNode(platform: Platform): Promise<void> {
  process.stderr.write('the real node\n');
  const kc = await adminConfig(platform);
  const [alreadyUp] = await timed(() => platform.cli('cluster', 'up'));
  const freshState = await mkdtemp(join(tmpdir(), 'cnlab-bench-node-'));
  const fresh = (...args: string[]) => run(process.execPath, [join(projectRoot, 'server', 'cli.ts'), ...args], { env: { ...process.env, CNLAB_STATE_DIR: freshState, CNLAB_CLUSTER_NAME: 'cnlab-bench-fresh', CNLAB_PROVIDER: 'local' } });
  const [created, result] = await timed(() => fresh('cluster', 'up'));
  if (result.code !== 0) throw new Error(`a new cluster did not come up:\n${result.stderr}`);
  await fresh('cluster', 'down');
  report('cluster up, already up', `${(alreadyUp / 1000).toFixed(2)} s`);
  report('cluster up, new cluster, caches warm', `${(created / 1000).toFixed(2)} s`, `goal < 10 s: ${created < 10_000 ? 'met' : 'NOT met'}`);

  const namespace = `bench-node-${randomBytes(3).toString('hex')}`;
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: namespace } } });
  // The namespace's ServiceAccount and CA ConfigMap come from controllers; pods wait for them, so a first pod would time that too.
  await deploymentReady(kc, namespace, 'warm-up', 1, false);
  const plan = JSON.parse(readFileSync(join(platform.stateDir, 'nodes', 'cnlab-sessions-it', 'plan.json'), 'utf8')) as { dir: string; id: string };
  const nodePid = Number(readFileSync(join(plan.dir, 'node.pid'), 'utf8'));
  const initPid = Number(readFileSync(`/proc/${nodePid}/task/${nodePid}/children`, 'utf8').trim().split(/\s+/)[0]);
  const memoryCgroup = `/sys/fs/cgroup/memory/cnlab-${plan.id}/memory.usage_in_bytes`;
  const usage = () => (existsSync(memoryCgroup) ? Number(readFileSync(memoryCgroup, 'utf8')) : Number.NaN);
  const atRest = nodeMemory(initPid);
  const usageBefore = usage();
  for (const replicas of [1, 20]) {
    const real = await deploymentReady(kc, namespace, `real-${replicas}`, replicas, false);
    const simulated = await deploymentReady(kc, namespace, `simulated-${replicas}`, replicas, true);
    report(`${replicas} nginx pod${replicas > 1 ? 's' : ''} Ready, real node`, ms(real), `simulated ${ms(simulated)}`, ratio(real, simulated));
  }
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const perPod = (usage() - usageBefore) / 21;
  const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
  report('node at rest (RSS)', [...atRest].sort((a, b) => b[1] - a[1]).map(([program, bytes]) => `${program} ${mib(bytes)}`).join(', '));
  report('memory per running nginx pod', mib(perPod), "(the node's memory cgroup: shim, pause, nginx, page cache)");
  await kc.makeApiClient(CoreV1Api).deleteNamespace({ name: namespace });
}

// `npm run bench -- workshop grading` runs only the sections named; no names run them all.
const sections = { sessions: sessionReadiness, echo, memory, grading, workshop, node: realNode };
const chosen = process.argv.slice(2);
const unknown = chosen.filter((name) => !(name in sections));
if (unknown.length > 0) throw new Error(`unknown bench sections: ${unknown.join(', ')}; they are: ${Object.keys(sections).join(', ')}`);
// One client address opens hundreds of sessions in minutes here: the start rate limits are
// lifted, or the figures would measure the limiter instead of the platform.
// The pool is off here: the sessions section measures it on, on a platform of its own.
const benchSettings = { CNLAB_MAX_SESSIONS: '400', CNLAB_SESSION_STARTS_PER_ADDRESS: '100000', CNLAB_SESSION_STARTS: '100000', LOG_LEVEL: 'warn', CNLAB_SESSION_POOL: '0' };
const platform = await startPlatform(benchSettings);
try {
  for (const [name, run] of Object.entries(sections)) if (chosen.length === 0 || chosen.includes(name)) await run(platform);
} finally {
  await platform.stop();
  await platform.cli('cluster', 'down');
}
const widths = rows.reduce<number[]>((w, row) => row.map((cell, i) => Math.max(w[i] ?? 0, cell.length)), []);
process.stdout.write(`\ncnlab bench (${new Date().toISOString()})\n${rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd()).join('\n')}\n`);

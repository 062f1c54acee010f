// Several servers on one cluster and one PostgreSQL, as a deployment with replicas runs them: the
// background-work lease (one holder, takeover after expiry, hand-over on a clean stop), a session
// on one server closed when another ends its workshop, and the database down for a moment.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CoordinationV1Api, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { loadKubeConfig } from '../cluster/health.ts';
import { ClusterLease } from '../cluster/lease.ts';
import { projectRoot } from '../paths.ts';
import { startPostgres, type TestPostgres } from '../testing/postgres.ts';
import { learnerWithShell, newLearner, type Platform, Shell, startPlatform } from '../testing/platform.ts';

let postgres: TestPostgres;
let first: Platform;
let second: Platform;
let kubeconfig: string;
let kc: KubeConfig;
const children: ChildProcess[] = [];

before(async () => {
  postgres = await startPostgres();
  const database = { CNLAB_DATABASE_URL: postgres.url, CNLAB_SESSION_SWEEP_SECONDS: '1' };
  first = await startPlatform(database, await mkdtemp(join(tmpdir(), 'cnlab-replica-a-')));
  kubeconfig = (await first.cli('cluster', 'kubeconfig')).stdout.trim();
  kc = loadKubeConfig({ provider: 'local', kubeconfig });
  // The second server reaches the first one's cluster as any replica would: through a kubeconfig.
  // On one host it needs host uids of its own for its shells, as it has its own state folder.
  second = await startPlatform(
    { ...database, CNLAB_PROVIDER: 'kubeconfig', KUBECONFIG: kubeconfig, CNLAB_SANDBOX_UID_BASE: '300000' },
    await mkdtemp(join(tmpdir(), 'cnlab-replica-b-')),
  );
});

after(async () => {
  for (const child of children) child.kill('SIGKILL');
  await second?.stop();
  await first?.stop();
  await first?.cli('cluster', 'down');
  await postgres?.stop();
});

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const logger = pino({ level: 'silent' });
const TEST_LEASE = { namespace: 'kube-system', name: 'cnlab-lease-test', durationMs: 3000, renewMs: 500 };

/** A lease holder in a process of its own, so that it can be killed without a chance to release. */
async function holderProcess(identity: string): Promise<ChildProcess> {
  const script = `
    import { KubeConfig } from '@kubernetes/client-node';
    import { pino } from 'pino';
    import { ClusterLease } from ${JSON.stringify(join(projectRoot, 'server', 'cluster', 'lease.ts'))};
    const kc = new KubeConfig();
    kc.loadFromFile(${JSON.stringify(kubeconfig)});
    const lease = new ClusterLease({ kc, ...${JSON.stringify(TEST_LEASE)}, identity: ${JSON.stringify(identity)}, logger: pino({ level: 'silent' }) });
    await lease.start();
    setInterval(() => lease.holding && console.log('holding'), 100);
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: projectRoot, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await eventually('the first holder to hold the lease', async () => (output.includes('holding') ? true : undefined), 20_000);
  return child;
}

test('the lease: one holder runs the job; one that stops renewing is replaced only after the lease expires; a clean stop hands over at once', async () => {
  const holder = await holderProcess('holder-a');
  const other = new ClusterLease({ kc, ...TEST_LEASE, identity: 'holder-b', logger });
  let ran = 0;
  const job = setInterval(() => other.holding && (ran += 1), 50);
  try {
    await other.start();
    // Several renewal periods while the first holder is alive: the other never runs the job.
    await new Promise((resolve) => setTimeout(resolve, TEST_LEASE.durationMs + 4 * TEST_LEASE.renewMs));
    assert.equal(ran, 0, 'only the holder runs the job');
    const lease = await kc.makeApiClient(CoordinationV1Api).readNamespacedLease({ name: TEST_LEASE.name, namespace: TEST_LEASE.namespace });
    assert.equal(lease.spec?.holderIdentity, 'holder-a');

    // Killed: no release, the lease just stops being renewed.
    const killedAt = Date.now();
    holder.kill('SIGKILL');
    await once(holder, 'exit');
    await eventually('the other to take over', async () => (other.holding ? true : undefined), 20_000);
    const waited = Date.now() - killedAt;
    // The last renewal was at most one period before the kill; the lease lasts its duration from there.
    assert.ok(waited >= TEST_LEASE.durationMs - TEST_LEASE.renewMs, `taken over after ${waited} ms, before the lease could have expired`);
    await eventually('the job to run on the new holder', async () => (ran > 0 ? true : undefined), 5000);
    const taken = await kc.makeApiClient(CoordinationV1Api).readNamespacedLease({ name: TEST_LEASE.name, namespace: TEST_LEASE.namespace });
    assert.equal(taken.spec?.holderIdentity, 'holder-b');
    assert.equal(taken.spec?.leaseTransitions, 1);

    // A clean stop releases: a new candidate holds it within a renewal period or two, not a duration.
    await other.stop();
    assert.equal(other.holding, false);
    const third = new ClusterLease({ kc, ...TEST_LEASE, identity: 'holder-c', logger });
    const stoppedAt = Date.now();
    await third.start();
    await eventually('the third to hold the released lease', async () => (third.holding ? true : undefined), 5000);
    assert.ok(Date.now() - stoppedAt < TEST_LEASE.durationMs, 'a released lease is free at once');
    await third.stop();
  } finally {
    clearInterval(job);
    await other.stop();
  }
});

/** Which of the two servers holds the platform's background-work lease (its identity names the pid). */
async function backgroundHolder(): Promise<{ holder: Platform; other: Platform } | undefined> {
  const lease = await kc
    .makeApiClient(CoordinationV1Api)
    .readNamespacedLease({ name: 'cnlab-background-work', namespace: 'kube-system' })
    .catch(() => undefined);
  const identity = lease?.spec?.holderIdentity ?? '';
  if (identity.includes(`-${first.process.pid}-`)) return { holder: first, other: second };
  if (identity.includes(`-${second.process.pid}-`)) return { holder: second, other: first };
  return undefined;
}

async function namespacePhase(name: string): Promise<string | undefined> {
  try {
    return (await kc.makeApiClient(CoreV1Api).readNamespace({ name })).status?.phase ?? 'Active';
  } catch {
    return undefined;
  }
}

test("one server ends a workshop for both: the other server's shell closes when its namespace is deleted", async () => {
  const { holder, other } = await eventually('one of the servers to hold the background-work lease', backgroundHolder);
  // The workshop is in the shared database, so either server's CLI may create it. 0.003 hours:
  // it ends about 11 seconds from now.
  const created = await holder.cli('workshop', 'create', '--title', 'Replicas', '--labs', 'service-endpoints', '--hours', '0.003');
  const code = /join code:\s+(\w+)/.exec(created.stdout)?.[1] ?? '';
  const { learner, namespace, shell } = await learnerWithShell(other, 'service-endpoints');
  const joined = await fetch(`${other.url}/api/workshops/join`, { method: 'POST', headers: { cookie: learner.cookie, 'content-type': 'application/json' }, body: JSON.stringify({ code, name: 'Grace' }) });
  assert.equal(joined.status, 200, await joined.text());
  await shell.waitFor(() => shell.closed !== undefined, "the other server's shell to close", 45_000);
  assert.notEqual(await namespacePhase(namespace), 'Active');
  const late = await fetch(`${holder.url}/api/workshops/join`, { method: 'POST', headers: { cookie: learner.cookie, 'content-type': 'application/json' }, body: JSON.stringify({ code, name: 'Grace' }) });
  assert.equal(late.status, 410, 'the workshop has ended for every server');
});

test('the database down for a moment: requests are answered 503 in words, and the server recovers by itself', async () => {
  const learner = await newLearner(first);
  const read = () => fetch(`${first.url}/api/progress`, { headers: { cookie: learner.cookie } });
  assert.equal((await read()).status, 200);
  const created = await first.cli('workshop', 'create', '--title', 'Outage', '--labs', 'service-endpoints', '--hours', '1');
  const code = /join code:\s+(\w+)/.exec(created.stdout)?.[1] ?? '';
  const token = /instructor token:\s+(\S+)/.exec(created.stdout)?.[1] ?? '';
  await postgres.stop();
  try {
    // An instructor's watch socket is told to come back later, not that its token frame was wrong.
    const watcher = await Shell.open(first, `/api/workshops/${code}/learners/anyone/terminal?lab=service-endpoints`, { origin: first.origin });
    watcher.send({ type: 'auth', token });
    await watcher.waitFor(() => watcher.closed !== undefined, 'the watch socket to close', 15_000);
    assert.equal(watcher.closed?.code, 1013, watcher.closed?.reason);

    const started = Date.now();
    const down = await read();
    assert.equal(down.status, 503);
    const body = (await down.json()) as { error?: string };
    assert.match(body.error ?? '', /progress database is not answering right now.*try again/);
    assert.ok(Date.now() - started < 15_000, 'answered, not left hanging');
    const write = await fetch(`${first.url}/api/progress/lessons`, {
      method: 'POST',
      headers: { cookie: learner.cookie, 'content-type': 'application/json', origin: first.origin },
      body: JSON.stringify({ lesson: 'fundamentals/architecture' }),
    });
    assert.equal(write.status, 503);
  } finally {
    await postgres.start();
  }
  await eventually('the server to answer again without a restart', async () => ((await read()).status === 200 ? true : undefined));
  assert.equal(first.process.exitCode, null, 'the server kept running');
});

test('a server stopped cleanly hands the background work to the other at once', async () => {
  const { holder, other } = await eventually('one of the servers to hold the background-work lease', backgroundHolder);
  await holder.stop();
  // Within the lease's duration (15 s): released, not left to expire.
  const stoppedAt = Date.now();
  const next = await eventually('the other server to take over', async () => ((await backgroundHolder())?.holder === other ? true : undefined), 20_000);
  assert.ok(next);
  assert.ok(Date.now() - stoppedAt < 15_000, 'taken over after a release, not an expiry');
});

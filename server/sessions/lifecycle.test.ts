// Session lifecycle on the real platform: caps, idle expiry, and what a restart cleans up.
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { CoreV1Api, type KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { loadKubeConfig } from '../cluster/health.ts';
import { learnerIdOf, learnerWithShell, newLearner, type Platform, startPlatform } from '../testing/platform.ts';
import { LABELS, MANAGED_BY } from '../shared/names.ts';
import { clusterBindingName } from './provision.ts';

const platforms: Platform[] = [];
let kc: KubeConfig;
// One state folder, so every server in this file shares one cluster.
const stateDir = await mkdtemp(join(tmpdir(), 'cnlab-lifecycle-'));

async function platform(settings: Record<string, string>): Promise<Platform> {
  const started = await startPlatform(settings, stateDir);
  platforms.push(started);
  kc ??= loadKubeConfig({ provider: 'local', kubeconfig: (await started.cli('cluster', 'kubeconfig')).stdout.trim() });
  return started;
}

after(async () => {
  for (const started of platforms) await started.stop();
  await platforms[0]?.cli('cluster', 'down');
});

async function namespacePhase(name: string): Promise<string | undefined> {
  try {
    return (await kc.makeApiClient(CoreV1Api).readNamespace({ name })).status?.phase ?? 'Active';
  } catch {
    return undefined;
  }
}

async function eventually(what: string, probe: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

test('an idle session closes its shell and deletes its namespace', async () => {
  const server = await platform({ CNLAB_SESSION_IDLE_SECONDS: '3', CNLAB_SESSION_SWEEP_SECONDS: '1' });
  const { namespace, shell } = await learnerWithShell(server, 'idle');
  assert.equal(await namespacePhase(namespace), 'Active');
  await shell.waitFor(() => shell.closed !== undefined, 'the idle session to end', 15_000);
  assert.ok(shell.frames.some((frame) => frame.type === 'exit'), 'the browser is told the shell ended');
  await eventually('the namespace to be deleted', async () => (await namespacePhase(namespace)) !== 'Active');
  const token = (await server.cli('metrics-token')).stdout.trim();
  const exposition = await (await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text();
  assert.match(exposition, /^cnlab_sessions_active 0$/m);
  assert.match(exposition, /^cnlab_session_provision_seconds_count 1$/m);
  assert.match(exposition, /^cnlab_terminal_bytes_total\{direction="out"\} [1-9]\d*$/m);
  await server.stop();
});

test('caps answer "full, try again" instead of degrading everyone', async () => {
  const server = await platform({ CNLAB_MAX_SESSIONS_PER_LEARNER: '2', CNLAB_MAX_SESSIONS: '3' });
  const first = await newLearner(server);
  assert.equal((await first.openSession('one')).status, 201);
  assert.equal((await first.openSession('two')).status, 201);
  // The same lab again is the same session, not a new one.
  assert.equal((await first.openSession('two')).status, 201);
  const third = await first.openSession('three');
  assert.equal(third.status, 429);
  assert.match(String(third.body.error), /try again/);

  const second = await newLearner(server);
  assert.equal((await second.openSession('one')).status, 201);
  const full = await second.openSession('two');
  assert.equal(full.status, 429);
  assert.match(String(full.body.error), /all terminals on this server are in use: try again/);
  await server.stop();
});

test('a restart deletes expired namespaces and dangling bindings, and keeps live ones', async () => {
  const first = await platform({});
  const core = kc.makeApiClient(CoreV1Api);
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  const labels = (expires: number) => ({ [LABELS.managedBy]: MANAGED_BY, [LABELS.owner]: 'test', [LABELS.lab]: 'restart', [LABELS.expires]: String(expires) });
  const now = Math.floor(Date.now() / 1000);
  await core.createNamespace({ body: { metadata: { name: 'lab-expired0001', labels: labels(now - 60) } } });
  await core.createNamespace({ body: { metadata: { name: 'lab-live0000001', labels: labels(now + 3600) } } });
  await rbac.createClusterRoleBinding({
    body: {
      metadata: { name: clusterBindingName('lab-gone00000001'), labels: { [LABELS.managedBy]: MANAGED_BY } },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
      subjects: [{ kind: 'ServiceAccount', name: 'learner', namespace: 'lab-gone00000001' }],
    },
  });
  await first.stop();

  const second = await platform({});
  assert.notEqual(await namespacePhase('lab-expired0001'), 'Active');
  assert.equal(await namespacePhase('lab-live0000001'), 'Active');
  await assert.rejects(rbac.readClusterRoleBinding({ name: clusterBindingName('lab-gone00000001') }));
  await core.deleteNamespace({ name: 'lab-live0000001' });
  await second.stop();
});

test('a restart keeps progress and hands the learner back their namespace', async () => {
  const first = await platform({});
  const { learner, id, namespace, shell } = await learnerWithShell(first, 'service-endpoints');
  await shell.exec('kubectl create deployment api --image=nginx:1.26 --replicas=2 && kubectl rollout status deployment/api --timeout=60s');
  const post = (server: Platform, path: string, body?: object) =>
    fetch(`${server.url}${path}`, { method: 'POST', headers: { cookie: learner.cookie, 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}) });
  const graded = (await (await post(first, `/api/sessions/${id}/grade`)).json()) as { tasks: Array<{ id: string; passed: boolean }> };
  assert.deepEqual(graded.tasks.map((task) => [task.id, task.passed]), [['deploy', true], ['expose', false]]);
  assert.equal((await post(first, `/api/sessions/${id}/hints`, { task: 'expose', hint: 0 })).status, 204);
  // A teacher grades the same learner from the command line, by learner id.
  const learnerId = learnerIdOf(learner.cookie);
  const cliGrade = await first.cli('grade', '--lab', 'service-endpoints', '--learner', learnerId);
  assert.equal(cliGrade.code, 1, cliGrade.stderr);
  assert.match(cliGrade.stdout, new RegExp(`in namespace ${namespace}: not done yet\\n {2}✓ Run the API\\n {2}✗ Put a Service in front of it`));
  shell.close();
  await first.stop();

  const second = await platform({});
  const progress = (await (await fetch(`${second.url}/api/progress`, { headers: { cookie: learner.cookie } })).json()) as { labs: Array<{ lab: string; tasksPassed: string[]; hintsUsed: number }> };
  assert.deepEqual(progress.labs.map(({ lab, tasksPassed, hintsUsed }) => ({ lab, tasksPassed, hintsUsed })), [{ lab: 'service-endpoints', tasksPassed: ['deploy'], hintsUsed: 1 }]);
  const reopened = (await (await post(second, '/api/sessions', { lab: 'service-endpoints' })).json()) as { namespace: string };
  assert.equal(reopened.namespace, namespace, 'the same namespace, with the work in it');
  await second.stop();
});

test('when a workshop ends, its learners\' shells close and their lab namespaces are deleted', async () => {
  const server = await platform({ CNLAB_SESSION_SWEEP_SECONDS: '1' });
  // 0.003 hours: ends about 11 seconds from now.
  const created = await server.cli('workshop', 'create', '--title', 'Lunch session', '--labs', 'service-endpoints', '--hours', '0.003');
  const code = /join code:\s+(\w+)/.exec(created.stdout)?.[1] ?? '';
  const { learner, namespace, shell } = await learnerWithShell(server, 'service-endpoints');
  const joined = await fetch(`${server.url}/api/workshops/join`, { method: 'POST', headers: { cookie: learner.cookie, 'content-type': 'application/json' }, body: JSON.stringify({ code, name: 'Grace' }) });
  assert.equal(joined.status, 200, await joined.text());
  // A namespace for a lab the workshop does not cover is the learner's own business and stays.
  const other = await learner.openSession('network-policy');
  assert.equal(await namespacePhase(namespace), 'Active');

  await shell.waitFor(() => shell.closed !== undefined, 'the workshop to end the shell', 30_000);
  await eventually('the workshop namespace to be deleted', async () => (await namespacePhase(namespace)) !== 'Active');
  assert.equal(await namespacePhase(String(other.body.namespace)), 'Active');
  const late = await fetch(`${server.url}/api/workshops/join`, { method: 'POST', headers: { cookie: learner.cookie, 'content-type': 'application/json' }, body: JSON.stringify({ code, name: 'Grace' }) });
  assert.equal(late.status, 410);
  await server.stop();
});

// Last in this file: it takes the cluster down.
test('when the cluster stops answering, automatic checks say "unavailable" instead of failing the learner', async () => {
  const server = await platform({});
  const { shell } = await learnerWithShell(server, 'service-endpoints');
  // Shell activity is what triggers an automatic check. The first one, while the cluster is up,
  // is a real grade: it must have arrived before the cluster goes, or it would race the test.
  await shell.exec('true');
  await shell.waitFor(() => shell.frames.some((frame) => frame.type === 'progress'), 'the first automatic grade', 15_000);
  assert.equal((await server.cli('cluster', 'down')).code, 0);
  const since = shell.frames.length;
  const after = () => shell.frames.slice(since);
  await shell.exec('true');
  await shell.waitFor(() => after().some((frame) => frame.type === 'ungraded'), 'the ungraded frame', 15_000);
  assert.match(after().find((frame) => frame.type === 'ungraded')?.message ?? '', /cluster is unavailable right now, so nothing was checked/);
  assert.ok(!after().some((frame) => frame.type === 'progress'), 'no grade is made up');
  shell.close();
  await server.stop();
});

// `cnlab grade` as a CI pipeline uses it: every output format, the exit codes, and a cluster that
// cannot be reached.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CoreV1Api, KubernetesObjectApi } from '@kubernetes/client-node';
import { XMLParser } from 'fast-xml-parser';
import { loadKubeConfig } from '../cluster/health.ts';
import { run } from '../exec.ts';
import { projectRoot } from '../paths.ts';
import { LABELS, MANAGED_BY, ownerLabel } from '../shared/names.ts';
import { SqlProgressStore } from '../store/sql-store.ts';
import { sqliteConnection } from '../store/sqlite.ts';
import { GRADE_SCHEMA, WORKSHOP_GRADE_SCHEMA } from './report.ts';

const stateDir = await mkdtemp(join(tmpdir(), 'cnlab-grade-'));
const env = { ...process.env, CNLAB_STATE_DIR: stateDir, CNLAB_CLUSTER_NAME: 'cnlab-grade', CNLAB_PROVIDER: 'local' };
const cli = (...args: string[]) => run(process.execPath, [join(projectRoot, 'server', 'cli.ts'), ...args], { env });
const grade = (namespace: string, ...args: string[]) => cli('grade', '--lab', 'service-endpoints', '--namespace', namespace, ...args);

before(async () => {
  assert.equal((await cli('cluster', 'up')).code, 0);
  const kc = loadKubeConfig({ provider: 'local', kubeconfig: (await cli('cluster', 'kubeconfig')).stdout.trim() });
  const core = kc.makeApiClient(CoreV1Api);
  // Labelled as the platform labels learner namespaces, so a workshop's learners can be graded.
  for (const [name, learner] of [['solved', 'ada'], ['untouched', 'bob']] as const) {
    const labels = { [LABELS.managedBy]: MANAGED_BY, [LABELS.owner]: ownerLabel(learner), [LABELS.lab]: 'service-endpoints' };
    await core.createNamespace({ body: { metadata: { name, labels } } });
  }
  const labels = { app: 'api' };
  const objects = KubernetesObjectApi.makeApiClient(kc);
  await objects.create({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'api', namespace: 'solved' },
    spec: { replicas: 2, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'nginx', image: 'nginx:1.26' }] } } },
  });
  await objects.create({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'api', namespace: 'solved' }, spec: { selector: labels, ports: [{ port: 80 }] } });
});

after(async () => {
  await cli('cluster', 'down');
});

test('a solved lab exits 0, in text', async () => {
  let result = await grade('solved');
  for (let i = 0; i < 60 && result.code !== 0; i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    result = await grade('solved');
  }
  assert.equal(result.code, 0, result.stdout);
  assert.match(result.stdout, /Expose a Deployment with a Service \(service-endpoints\) in namespace solved: all tasks pass/);
  assert.match(result.stdout, /✓ Run the API\n {2}✓ Put a Service in front of it/);
});

test('an untouched lab exits 1, and JSON follows the versioned schema', async () => {
  const result = await grade('untouched', '--format', 'json');
  assert.equal(result.code, 1);
  const body = JSON.parse(result.stdout) as { schema: string; passed: boolean; tasks: Array<{ id: string; passed: boolean; checks: Array<{ ok: boolean; message: string }> }> };
  assert.equal(body.schema, GRADE_SCHEMA);
  assert.equal(body.passed, false);
  assert.deepEqual(body.tasks.map((task) => [task.id, task.passed]), [['deploy', false], ['expose', false]]);
  // An instructor's report names the namespace: it is not the reader's own.
  assert.ok(body.tasks[0]?.checks.some((check) => check.message === 'there is no Deployment named api in namespace untouched yet'));
});

test('JUnit output parses, with one failing test case per unfinished task', async () => {
  const result = await grade('untouched', '--format', 'junit');
  assert.equal(result.code, 1);
  const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(result.stdout) as {
    testsuites: { tests: string; failures: string; testsuite: { id: string; testcase: Array<{ classname: string; failure?: { message: string } }> } };
  };
  assert.equal(parsed.testsuites.tests, '2');
  assert.equal(parsed.testsuites.failures, '2');
  assert.equal(parsed.testsuites.testsuite.id, 'service-endpoints');
  assert.deepEqual(parsed.testsuites.testsuite.testcase.map((testcase) => testcase.classname), ['service-endpoints.deploy', 'service-endpoints.expose']);
  assert.equal(parsed.testsuites.testsuite.testcase[0]?.failure?.message, 'there is no Deployment named api in namespace untouched yet');
});

test('a wrong command exits 3, never 1: an unknown namespace, lab or learner, or bad usage', async () => {
  const missing = await grade('nowhere');
  assert.equal(missing.code, 3);
  assert.match(missing.stderr, /namespace nowhere does not exist/);
  const unknown = await cli('grade', '--lab', 'nope', '--namespace', 'solved');
  assert.equal(unknown.code, 3);
  assert.match(unknown.stderr, /no lab named nope/);
  const learner = await cli('grade', '--lab', 'service-endpoints', '--learner', 'nobody');
  assert.equal(learner.code, 3);
  assert.match(learner.stderr, /learner nobody has no namespace for lab service-endpoints/);
  for (const args of [['--namespace', 'solved'], ['--lab', 'service-endpoints'], ['--lab', 'service-endpoints', '--namespace', 'solved', '--format', 'xml'], ['--lab', 'service-endpoints', '--namespace', 'solved', '--learner', 'ada']]) {
    const usage = await cli('grade', ...args);
    assert.equal(usage.code, 3, `${args.join(' ')}: ${usage.stderr}`);
  }
  const help = await cli('grade', '--help');
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Exit codes:\n {2}0 +every task passes.*\n {2}1 +some task does not pass.*\n {2}2 +the cluster is unavailable.*\n {2}3 +usage, or an unknown lab, exam, learner, namespace or workshop/s);
});

test('a learner is graded by id, in an instructor\'s words', async () => {
  const result = await cli('grade', '--lab', 'service-endpoints', '--learner', 'bob');
  assert.equal(result.code, 1);
  assert.match(result.stdout, /in namespace untouched: not done yet\n.*\n {6}there is no Deployment named api in namespace untouched yet/);
  assert.doesNotMatch(result.stdout, /your namespace/);
});

test('a workshop is graded in one run: a JUnit suite per learner, and one who never opened the lab fails', async () => {
  const created = await cli('workshop', 'create', '--title', 'Friday class', '--labs', 'service-endpoints');
  const code = /join code:\s+(\w+)/.exec(created.stdout)?.[1] ?? '';
  const store = await SqlProgressStore.open(sqliteConnection(join(stateDir, 'cnlab.db')));
  const workshop = await store.workshopByCode(code);
  assert.ok(workshop, created.stdout + created.stderr);
  for (const [learner, name] of [['ada', 'Ada'], ['bob', 'Bob'], ['carol', 'Carol']] as const) await store.joinWorkshop(workshop, learner, name);
  await store.close();

  const junit = await cli('grade', '--lab', 'service-endpoints', '--workshop', code.toLowerCase(), '--format', 'junit');
  assert.equal(junit.code, 1, junit.stderr);
  const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => name === 'testsuite' || name === 'testcase' }).parse(junit.stdout) as {
    testsuites: { tests: string; failures: string; testsuite: Array<{ id: string; failures: string; testcase: Array<{ failure?: { message: string } }> }> };
  };
  assert.deepEqual(parsed.testsuites.testsuite.map((suite) => [suite.id, suite.failures]), [['ada', '0'], ['bob', '2'], ['carol', '2']]);
  assert.equal(parsed.testsuites.tests, '6');
  assert.equal(parsed.testsuites.failures, '4');
  assert.equal(parsed.testsuites.testsuite[2]?.testcase[0]?.failure?.message, 'Carol has not opened this lab yet');

  const json = await cli('grade', '--lab', 'service-endpoints', '--workshop', code, '--format', 'json');
  const body = JSON.parse(json.stdout) as { schema: string; passed: boolean; learners: Array<{ name: string; namespace: string | null; passed: boolean }> };
  assert.equal(body.schema, WORKSHOP_GRADE_SCHEMA);
  assert.equal(body.passed, false);
  assert.deepEqual(body.learners.map((learner) => [learner.name, learner.namespace, learner.passed]), [['Ada', 'solved', true], ['Bob', 'untouched', false], ['Carol', null, false]]);

  const text = await cli('grade', '--lab', 'service-endpoints', '--workshop', code);
  assert.match(text.stdout, /Friday class \(\w+\), Expose a Deployment with a Service \(service-endpoints\): 1 of 3 learners pass/);
  const unknown = await cli('grade', '--lab', 'service-endpoints', '--workshop', 'NOPE42');
  assert.equal(unknown.code, 3);
  assert.match(unknown.stderr, /no workshop with the code NOPE42/);
  // A lab the workshop does not cover is refused, not graded as if it were.
  const outside = await cli('grade', '--lab', 'network-policy', '--workshop', code);
  assert.equal(outside.code, 3);
  assert.match(outside.stderr, /lab network-policy is not part of workshop \w+\n {2}what to do: its labs are: service-endpoints/);
});

test('no cluster at all exits 2, as an unreachable one does', async () => {
  const empty = await mkdtemp(join(tmpdir(), 'cnlab-nocluster-'));
  const result = await run(process.execPath, [join(projectRoot, 'server', 'cli.ts'), 'grade', '--lab', 'service-endpoints', '--namespace', 'solved'], { env: { ...env, CNLAB_STATE_DIR: empty } });
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, /no cluster is up/);
});

test('a cluster that cannot be reached exits 2: unavailable, not failed', async () => {
  const kubeconfig = (await cli('cluster', 'kubeconfig')).stdout.trim();
  const dead = join(await mkdtemp(join(tmpdir(), 'cnlab-dead-')), 'kubeconfig');
  // The same cluster, at a port nothing listens on.
  await writeFile(dead, (await readFile(kubeconfig, 'utf8')).replace(/server: https:\/\/127\.0\.0\.1:\d+/, 'server: https://127.0.0.1:1'));
  const result = await grade('solved', '--kubeconfig', dead);
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, /the cluster is unavailable \(ECONNREFUSED\): nothing was graded\n {2}what to do: try again in a moment/);
});

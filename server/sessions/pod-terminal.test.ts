// The pod terminal backend (CNLAB_TERMINAL_BACKEND=pod) on the real platform and the real node:
// the learner's shell is a pod of their namespace, reached through pods/exec.
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { loadKubeConfig } from '../cluster/health.ts';
import { type Learner, learnerWithShell, type Platform, Shell, startPlatform } from '../testing/platform.ts';
import { SHELL_SELECTOR, shellPod } from './shell-pod.ts';

const stateDir = await mkdtemp(join(tmpdir(), 'cnlab-pod-terminal-'));
const settings = { CNLAB_TERMINAL_BACKEND: 'pod', CNLAB_CLUSTER_NAME: 'cnlab-pod-terminal-it' };
let server: Platform;
let kc: KubeConfig;
let core: CoreV1Api;

before(async () => {
  server = await startPlatform(settings, stateDir);
  kc = loadKubeConfig({ provider: 'local', kubeconfig: (await server.cli('cluster', 'kubeconfig')).stdout.trim() });
  core = kc.makeApiClient(CoreV1Api);
});

after(async () => {
  await server?.stop();
  await server?.cli('cluster', 'down');
});

const shellPods = async (namespace: string): Promise<V1Pod[]> => (await core.listNamespacedPod({ namespace, labelSelector: SHELL_SELECTOR })).items;

/** The learner's session for a lab on the current server (which may not be the one that made the learner). */
async function connect(learner: Learner, lab: string): Promise<{ id: string; namespace: string; shell: Shell }> {
  const opened = await fetch(`${server.url}/api/sessions`, { method: 'POST', headers: { 'content-type': 'application/json', cookie: learner.cookie }, body: JSON.stringify({ lab }) });
  const body = (await opened.json()) as { id: string; namespace: string; error?: string };
  assert.equal(opened.status, 201, body.error);
  const shell = await Shell.connect(server, body.id, { cookie: learner.cookie, origin: server.origin });
  await shell.waitFor(() => shell.output.includes('$ '), 'the prompt', 30_000);
  return { id: body.id, namespace: body.namespace, shell };
}

test('the shell is a restricted, non-root pod whose kubectl is the learner, in their namespace only', async () => {
  const { namespace, shell } = await learnerWithShell(server, 'pod-shell');
  const [pod] = await shellPods(namespace);
  assert.ok(pod, 'a shell pod runs in the learner namespace');
  assert.equal(pod.spec?.serviceAccountName, 'learner');
  assert.match(await shell.exec('kubectl auth whoami -o jsonpath="{.status.userInfo.username}"'), new RegExp(`^system:serviceaccount:${namespace}:learner$`));
  assert.match(await shell.exec('kubectl get pods -o name'), new RegExp(`pod/${pod.metadata?.name}`));
  assert.match(await shell.exec('kubectl get pods -n kube-system'), /Forbidden/);
  assert.match(await shell.exec('id -u'), /^1000$/);
  assert.match(await shell.exec('touch /usr/x'), /Read-only file system/);
  assert.match(await shell.exec('echo hi > ~/f && cat ~/f'), /^hi$/);
  // The platform's object: the learner cannot delete their shell's pod by mistake.
  assert.match(await shell.exec(`kubectl delete pod ${pod.metadata?.name} --wait=false`), /belongs to the platform/);

  // Pod Security restricted itself judges the spec: a server-side dry run in a namespace that enforces it.
  const check = `psa-restricted-${Date.now()}`;
  await core.createNamespace({ body: { metadata: { name: check, labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } } } });
  try {
    const body = shellPod();
    body.spec = { ...body.spec!, serviceAccountName: 'default' };
    await core.createNamespacedPod({ namespace: check, body, dryRun: 'All' });
  } finally {
    await core.deleteNamespace({ name: check });
  }
  shell.close();
});

test('a reset keeps the shell pod; a new server reattaches to the same shell and its screen', async () => {
  const { learner, id, namespace, shell } = await learnerWithShell(server, 'labels-and-selectors');
  const [before] = await shellPods(namespace);
  await shell.exec('echo "remembered-$((6*7))"');
  const reset = await fetch(`${server.url}/api/sessions/${id}/reset`, { method: 'POST', headers: { cookie: learner.cookie, origin: server.origin } });
  assert.ok([200, 204].includes(reset.status), await reset.text());
  assert.deepEqual((await shellPods(namespace)).map((pod) => pod.metadata?.uid), [before?.metadata?.uid], 'Reset lab leaves the shell pod alone');
  shell.close();

  // Another server process: a new exec into the same pod, as any replica would make.
  await server.stop();
  server = await startPlatform(settings, stateDir);
  const again = await connect(learner, 'labels-and-selectors');
  assert.equal(again.namespace, namespace);
  await again.shell.waitFor(() => again.shell.output.includes('remembered-42'), 'the earlier output, redrawn by tmux');
  assert.deepEqual((await shellPods(namespace)).map((pod) => pod.metadata?.uid), [before?.metadata?.uid], 'the same pod');
  assert.match(await again.shell.exec('echo still-$((1+1))'), /^still-2$/);
  again.shell.close();
});

test('a deleted shell pod is reported, the next attach starts a fresh shell there, and a full quota is named', async () => {
  const { learner, id, namespace, shell } = await learnerWithShell(server, 'pod-faults');
  const [pod] = await shellPods(namespace);
  await core.deleteNamespacedPod({ name: String(pod?.metadata?.name), namespace });
  await shell.waitFor(() => shell.frames.some((frame) => frame.type === 'exit'), 'the learner to be told');
  const told = shell.frames.find((frame) => frame.type === 'exit');
  assert.match(String(told?.reason), /your shell's pod (was|is being) deleted\. Start a new shell: your namespace and everything in it are still there/);

  // "New shell": the same session and namespace, a new pod.
  const fresh = await connect(learner, 'pod-faults');
  assert.equal(fresh.id, id);
  assert.equal(fresh.namespace, namespace);
  // The screen replayed on attach already shows a prompt: wait for the pod, not the prompt.
  const freshPod = async () => (await shellPods(namespace)).some((candidate) => candidate.metadata?.uid !== pod?.metadata?.uid && !candidate.metadata?.deletionTimestamp);
  const podDeadline = Date.now() + 60_000;
  while (!(await freshPod())) {
    assert.ok(Date.now() < podDeadline, 'a fresh pod');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }

  // A quota with no room for a shell: the learner reads which limit.
  await core.createNamespacedResourceQuota({ namespace, body: { metadata: { name: 'tight' }, spec: { hard: { 'limits.memory': '100Mi' } } } });
  // Until the quota controller has counted it, the API refuses every pod with "status unknown".
  const deadline = Date.now() + 30_000;
  while (!(await core.readNamespacedResourceQuota({ name: 'tight', namespace })).status?.hard) {
    assert.ok(Date.now() < deadline, 'the quota is counted');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  for (const old of await shellPods(namespace)) await core.deleteNamespacedPod({ name: String(old.metadata?.name), namespace, gracePeriodSeconds: 0 });
  await fresh.shell.waitFor(() => fresh.shell.frames.some((frame) => frame.type === 'exit'), 'the learner to be told again');
  const refused = await Shell.connect(server, id, { cookie: learner.cookie, origin: server.origin });
  await refused.waitFor(() => refused.frames.some((frame) => frame.type === 'exit'), 'the refusal', 30_000);
  const frames = refused.frames.filter((frame) => frame.type === 'exit').map((frame) => String(frame.reason));
  assert.ok(
    frames.some((reason) => /ResourceQuota tight has no room for your shell: limits\.memory \(the shell needs 384Mi, .* of 100Mi is in use\)/.test(reason)),
    frames.join('\n'),
  );
});

// The namespace pool on the real platform (CLI-started servers sharing one cluster): it fills,
// its namespaces are complete, protected and nobody's, a claim hands one to exactly one learner,
// and a restart keeps what is complete and removes what is broken.
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { CoreV1Api, type KubeConfig, NetworkingV1Api, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { loadKubeConfig } from '../cluster/health.ts';
import { LABELS, MANAGED_BY, ownerLabel, POOL_OWNER } from '../shared/names.ts';
import { learnerIdOf, learnerWithShell, type Platform, startPlatform } from '../testing/platform.ts';
import { claimPoolNamespace, clusterBindingName, LEARNER, listLearnerNamespaces, listPoolNamespaces } from './provision.ts';

const platforms: Platform[] = [];
let kc: KubeConfig;
// One state folder, so every server in this file shares one cluster (and so one pool).
const stateDir = await mkdtemp(join(tmpdir(), 'cnlab-pool-'));
const gradingToken = 'pool-suite-grading-token';

async function platform(settings: Record<string, string>): Promise<Platform> {
  const started = await startPlatform({ CNLAB_GRADING_TOKEN: gradingToken, ...settings }, stateDir);
  platforms.push(started);
  kc ??= loadKubeConfig({ provider: 'local', kubeconfig: (await started.cli('cluster', 'kubeconfig')).stdout.trim() });
  return started;
}

after(async () => {
  for (const started of platforms) await started.stop();
  await platforms[0]?.cli('cluster', 'down');
});

async function eventually(what: string, probe: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const pooled = async () => (await listPoolNamespaces(kc)).unassigned.map((ns) => String(ns.metadata?.name)).sort();
const poolOf = async (size: number) => {
  await eventually(`the pool to hold ${size}`, async () => (await pooled()).length === size && (await listPoolNamespaces(kc)).filling.length === 0);
  return pooled();
};

async function phase(name: string): Promise<string | undefined> {
  try {
    return (await kc.makeApiClient(CoreV1Api).readNamespace({ name })).status?.phase;
  } catch {
    return undefined;
  }
}

test("the pool fills to its size with complete namespaces that are nobody's, and sweeps leave them", async () => {
  const server = await platform({ CNLAB_SESSION_POOL: '3', CNLAB_SESSION_SWEEP_SECONDS: '1', CNLAB_SESSION_IDLE_SECONDS: '2' });
  const names = await poolOf(3);
  const core = kc.makeApiClient(CoreV1Api);
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  for (const name of names) {
    const labels = (await core.readNamespace({ name })).metadata?.labels ?? {};
    assert.equal(labels[LABELS.managedBy], MANAGED_BY);
    // The admission policies select namespaces with an owner label: a pool namespace has one from its creation.
    assert.equal(labels[LABELS.owner], POOL_OWNER.unassigned);
    assert.equal(labels['pod-security.kubernetes.io/enforce'], 'baseline');
    assert.equal(labels[LABELS.lab], undefined);
    await core.readNamespacedServiceAccount({ name: LEARNER, namespace: name });
    await rbac.readNamespacedRole({ name: LEARNER, namespace: name });
    await rbac.readNamespacedRoleBinding({ name: LEARNER, namespace: name });
    await rbac.readClusterRoleBinding({ name: clusterBindingName(name) });
    await core.readNamespacedResourceQuota({ name: LEARNER, namespace: name });
    await core.readNamespacedLimitRange({ name: LEARNER, namespace: name });
    await kc.makeApiClient(NetworkingV1Api).readNamespacedNetworkPolicy({ name: 'isolate-from-other-namespaces', namespace: name });
  }
  // Nobody's: not in the learner namespaces, not gradable as one.
  const learners = (await listLearnerNamespaces(kc)).map((ns) => ns.metadata?.name);
  assert.ok(names.every((name) => !learners.includes(name)), 'pool namespaces are not listed as learner namespaces');
  const graded = await fetch(`${server.url}/api/grade`, {
    method: 'POST',
    headers: { authorization: `Bearer ${gradingToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ lab: 'service-endpoints', namespace: names[0] }),
  });
  assert.equal(graded.status, 404, await graded.text());

  // A session idling out is a sweep that ran: it deleted its own namespace and none of the pool's.
  const { namespace, shell } = await learnerWithShell(server, 'pool-sweep');
  assert.ok(names.includes(namespace), 'the session took a namespace from the pool');
  await shell.waitFor(() => shell.closed !== undefined, 'the idle session to end', 15_000);
  await eventually('its namespace to be deleted', async () => (await phase(namespace)) !== 'Active');
  const refilled = await poolOf(3);
  for (const name of names.filter((candidate) => candidate !== namespace)) assert.ok(refilled.includes(name), `${name} is still in the pool`);
  await server.stop();
});

test("a claimed namespace is the learner's: their labels, the lab's setup, the platform's protection", async () => {
  const server = await platform({ CNLAB_SESSION_POOL: '3' });
  const names = await poolOf(3);
  const { learner, namespace, shell } = await learnerWithShell(server, 'image-tag-typo');
  assert.ok(names.includes(namespace), 'the session took a namespace from the pool');
  const core = kc.makeApiClient(CoreV1Api);
  const labels = (await core.readNamespace({ name: namespace })).metadata?.labels ?? {};
  assert.equal(labels[LABELS.owner], ownerLabel(learnerIdOf(learner.cookie)));
  assert.equal(labels[LABELS.lab], 'image-tag-typo');
  const expires = Number(labels[LABELS.expires]) * 1000;
  assert.ok(Math.abs(expires - (Date.now() + 7200_000)) < 120_000, `expires at ${new Date(expires).toISOString()}, about two hours from now`);
  // The setup Pod came after the LimitRange, which gave it its defaults.
  const cache = await core.readNamespacedPod({ name: 'cache', namespace });
  assert.equal(cache.spec?.containers[0]?.resources?.limits?.memory, '256Mi');
  assert.match(await shell.exec('kubectl get pod cache -o name'), /pod\/cache/);
  assert.match(await shell.exec('kubectl delete networkpolicy isolate-from-other-namespaces'), /belongs to the platform/);
  const graded = await server.cli('grade', '--lab', 'image-tag-typo', '--learner', learnerIdOf(learner.cookie));
  assert.match(graded.stdout, new RegExp(`in namespace ${namespace}`), graded.stderr);
  shell.close();
  await server.stop();
});

test('two learners at once while the pool holds one get two namespaces, and of two claims of one namespace one wins', async () => {
  const server = await platform({ CNLAB_SESSION_POOL: '1' });
  // The restart keeps one of the three and retires the rest.
  const [only] = await poolOf(1);
  const opened = await Promise.all([learnerWithShell(server, 'pool-race'), learnerWithShell(server, 'pool-race')]);
  const namespaces = opened.map(({ namespace }) => namespace);
  assert.notEqual(namespaces[0], namespaces[1]);
  assert.equal(namespaces.filter((name) => name === only).length, 1, 'one of them is the pooled namespace');
  for (const { shell } of opened) shell.close();

  // Two servers claiming the same namespace: the API server lets exactly one relabel it.
  const [next] = await poolOf(1);
  const request = (owner: string) => ({ namespace: String(next), owner, lab: 'pool-race', expiresAt: new Date(Date.now() + 3600_000) });
  const claims = await Promise.all([claimPoolNamespace(kc, request(ownerLabel('first'))), claimPoolNamespace(kc, request(ownerLabel('second')))]);
  const winners = claims.filter((claim) => claim !== undefined);
  assert.equal(winners.length, 1, 'exactly one claim succeeds');
  assert.equal((await kc.makeApiClient(CoreV1Api).readNamespace({ name: String(next) })).metadata?.labels?.[LABELS.owner], winners[0]?.owner);
  // The server did not know: its next session finds the namespace taken and makes or takes another.
  const third = await learnerWithShell(server, 'pool-race');
  assert.notEqual(third.namespace, next);
  third.shell.close();
  await server.stop();
});

test('a restart keeps complete pool namespaces and removes a broken one', async () => {
  const first = await platform({ CNLAB_SESSION_POOL: '3' });
  const names = await poolOf(3);
  await first.stop();
  const [broken, ...complete] = names as [string, ...string[]];
  await kc.makeApiClient(NetworkingV1Api).deleteNamespacedNetworkPolicy({ name: 'isolate-from-other-namespaces', namespace: broken });

  const second = await platform({ CNLAB_SESSION_POOL: '3' });
  assert.notEqual(await phase(broken), 'Active', 'the broken namespace is being deleted');
  const after = await poolOf(3);
  for (const name of complete) assert.ok(after.includes(name), `${name} is kept`);
  assert.ok(!after.includes(broken));
  await second.stop();
});

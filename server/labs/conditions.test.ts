// What checks say of objects, without a cluster: the operators on lists (anyItem, everyItem,
// length), paths by key, the learner's words instead of patterns, the grammar of counts, and a
// lab mistake reported as a lab error rather than as the cluster's fault.
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { counted, thereAre } from '../shared/words.ts';
import { evaluate, missingIn, type Snapshot, testCondition } from './checks.ts';
import { gradeLab, LabError } from './grade.ts';
import { check as checkSchema, condition, lab as labSchema } from './schema.ts';

const pod = (name: string, containers: Array<Record<string, unknown>>, volumes: Array<Record<string, unknown>> = []): KubernetesObject =>
  ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app: name } }, spec: { containers, volumes } }) as KubernetesObject;

const snapshotOf = (objects: KubernetesObject[]): Snapshot => ({ objects: (kind) => objects.filter((object) => object.kind === kind), access: () => undefined, missing: missingIn('lab-test', 'learner'), logs: () => undefined });
const grade = (input: unknown, objects: KubernetesObject[]) => evaluate(checkSchema.parse(input), snapshotOf(objects), async () => () => ({ ok: true, message: '' }));

test('a [name=...] path finds the container by name, in either order', async () => {
  const check = { check: 'field', object: 'Pod/shop', path: 'spec.containers[name=app].image', label: 'the image of container app', equals: 'busybox:1.37' };
  const app = { name: 'app', image: 'busybox:1.37' };
  const shipper = { name: 'log-shipper', image: 'busybox:1.35' };
  assert.deepEqual(await grade(check, [pod('shop', [app, shipper])]), { ok: true, message: 'Pod shop: the image of container app is "busybox:1.37"' });
  assert.deepEqual(await grade(check, [pod('shop', [shipper, app])]), { ok: true, message: 'Pod shop: the image of container app is "busybox:1.37"' });
  assert.deepEqual(await grade(check, [pod('shop', [shipper])]), { ok: false, message: 'Pod shop: the image of container app is not set; the task asks for "busybox:1.37"' });
});

test('anyItem: some item passes every condition; the closest one says what is missing', () => {
  const c = condition.parse({
    path: 'spec.volumes',
    label: 'volumes',
    anyItem: [
      { path: 'configMap.name', label: 'the ConfigMap', equals: 'app-config' },
      { path: 'configMap.defaultMode', label: 'the file mode', equals: 420 },
    ],
  });
  const volumes = [{ name: 'cache', emptyDir: {} }, { name: 'config', configMap: { name: 'app-config', defaultMode: 256 } }];
  assert.deepEqual(testCondition(volumes, c, 'Pod web'), { ok: false, message: 'Pod web: no item of volumes passes yet; the closest: volumes config: the file mode is 256; the task asks for 420' });
  assert.equal(testCondition([{ name: 'config', configMap: { name: 'app-config', defaultMode: 420 } }], c, 'Pod web').ok, true);
  assert.deepEqual(testCondition(undefined, c, 'Pod web'), { ok: false, message: 'Pod web: volumes is not set; the task asks for one that passes' });
});

test('everyItem: every item passes; the first that does not is named', () => {
  const c = condition.parse({ path: 'spec.volumes', label: 'volumes', everyItem: [{ path: 'name', label: 'name', describe: 'logs, the only volume', matches: '^(logs|kube-api-access-[a-z0-9]+)$' }] });
  assert.equal(testCondition([{ name: 'logs' }, { name: 'kube-api-access-x7k2p' }], c, 'Pod shop').ok, true);
  assert.deepEqual(testCondition([{ name: 'logs' }, { name: 'cache' }], c, 'Pod shop'), { ok: false, message: 'Pod shop: volumes cache: name is "cache"; the task asks for logs, the only volume' });
});

test('length checks the whole list, and describe replaces a pattern in what the learner reads', () => {
  const length = condition.parse({ path: 'spec.metrics', label: 'metrics', length: 1 });
  assert.deepEqual(testCondition([{}, {}], length, 'HorizontalPodAutoscaler web'), { ok: false, message: 'HorizontalPodAutoscaler web: metrics has 2 items; the task asks for exactly 1' });
  assert.deepEqual(testCondition([{}], length, 'HorizontalPodAutoscaler web'), { ok: true, message: 'HorizontalPodAutoscaler web: metrics has 1 item' });
  const pattern = condition.parse({ path: 'image', label: 'image', matches: '^nginx:1\\.22', describe: 'an nginx 1.22 image' });
  const said = testCondition('nginx:1.26', pattern, 'container web');
  assert.deepEqual(said, { ok: false, message: 'container web: image is "nginx:1.26"; the task asks for an nginx 1.22 image' });
  assert.doesNotMatch(said.message, /\^|\\\./, 'no raw regular expression reaches the learner');
});

test('counts read as English: there is 1 Pod, there are 2 Pods', async () => {
  assert.equal(thereAre(1, 'Pod'), 'there is 1 Pod');
  assert.equal(thereAre(2, 'Pod'), 'there are 2 Pods');
  assert.equal(thereAre(0, 'NetworkPolicy'), 'there are no NetworkPolicies');
  assert.equal(counted(2, 'Ingress'), '2 Ingresses');
  const count = { check: 'count', kind: 'Pod', selector: 'app in (web,api)', equals: 2 };
  assert.deepEqual(await grade(count, [pod('web', []), pod('db', [])]), { ok: false, message: 'there is 1 Pod with labels app in (web,api); the task asks for exactly 2' });
  assert.deepEqual(await grade(count, [pod('web', []), pod('api', [])]), { ok: true, message: 'there are 2 Pods with labels app in (web,api)' });
});

test('a kind the grader does not know is a lab error (exit 3), not an unavailable cluster', async () => {
  const definition = labSchema.parse({
    id: 'broken',
    title: 'Broken',
    lesson: 'fundamentals/pods',
    intro: 'x',
    tasks: [{ id: 'one', title: 'One', instructions: 'x', checks: [{ check: 'exists', object: 'Deploymnet/web' }] }],
  });
  // The lab is refused before any request: this kubeconfig points nowhere.
  const kc = new KubeConfig();
  kc.loadFromOptions({ clusters: [{ name: 'c', server: 'https://127.0.0.1:1' }], users: [{ name: 'u' }], contexts: [{ name: 'x', cluster: 'c', user: 'u' }], currentContext: 'x' });
  await assert.rejects(gradeLab(kc, { definition, dir: await mkdtemp(join(tmpdir(), 'cnlab-broken-')), setup: [], solution: '' }, 'ns'), (error: unknown) => {
    assert.ok(error instanceof LabError, String(error));
    assert.equal(error.exitCode, 3);
    assert.match(error.message, /^lab error in broken: its checks name the kind Deploymnet, which the grader does not know$/);
    return true;
  });
});

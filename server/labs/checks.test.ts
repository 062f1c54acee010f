// Every check kind against real objects on the local cluster: the verdict and, for failures, the
// sentence a learner reads.
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { AppsV1Api, CoreV1Api, type KubeConfig, KubernetesObjectApi, PatchStrategy } from '@kubernetes/client-node';
import { run } from '../exec.ts';
import { projectRoot } from '../paths.ts';
import { loadKubeConfig } from '../cluster/health.ts';
import { type CheckResult, evaluate, type Snapshot } from './checks.ts';
import { readSnapshot } from './grade.ts';
import { check as checkSchema } from './schema.ts';

const env = { ...process.env, CNLAB_STATE_DIR: await mkdtemp(join(tmpdir(), 'cnlab-checks-')), CNLAB_CLUSTER_NAME: 'cnlab-checks', CNLAB_PROVIDER: 'local' };
const cli = (...args: string[]) => run(process.execPath, [join(projectRoot, 'server', 'cli.ts'), ...args], { env });
const namespace = 'checks';
let kc: KubeConfig;

const labels = { app: 'web' };
// On the simulated nodes: these tests are about what the checks say of objects, and kwok makes
// pods Ready (and Jobs complete) at once and always alike, whatever the image.
const simulated = {
  nodeSelector: { 'cnlab.dev/node': 'simulated' },
  tolerations: [{ key: 'cnlab.dev/simulated', operator: 'Exists', effect: 'NoSchedule' }],
};
const podTemplate = (image: string) => ({
  metadata: { labels },
  spec: {
    ...simulated,
    initContainers: [{ name: 'init', image: 'busybox:1.36', command: ['true'] }],
    containers: [
      { name: 'web', image, securityContext: { runAsNonRoot: true }, readinessProbe: { httpGet: { path: '/', port: 80 } } },
      { name: 'sidecar', image: 'busybox:1.36', securityContext: { runAsNonRoot: false } },
    ],
  },
});

before(async () => {
  const up = await cli('cluster', 'up');
  assert.equal(up.code, 0, up.stderr);
  kc = loadKubeConfig({ provider: 'local', kubeconfig: (await cli('cluster', 'kubeconfig')).stdout.trim() });
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: namespace } } });
  const client = KubernetesObjectApi.makeApiClient(kc);
  const objects = [
    { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace, labels }, spec: { replicas: 2, selector: { matchLabels: labels }, template: podTemplate('nginx:1.27') } },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace }, spec: { selector: labels, ports: [{ port: 80 }] } },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'lonely', namespace }, spec: { selector: { app: 'nobody' }, ports: [{ port: 80 }] } },
    { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'once', namespace }, spec: { template: { spec: { ...simulated, restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox:1.36' }] } } } },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'site', namespace },
      spec: { rules: [{ host: 'shop.example', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] },
    },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'monitor', namespace } },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'read-pods', namespace }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }] },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'monitor-reads', namespace },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'read-pods' },
      subjects: [{ kind: 'ServiceAccount', name: 'monitor', namespace }],
    },
  ];
  for (const object of objects) await client.create(object);
  // A second revision of the Deployment, for rolledOut: only once the first has its ReplicaSet,
  // or the controller would roll out the patched template alone.
  const apps = kc.makeApiClient(AppsV1Api);
  const deadline = Date.now() + 30_000;
  while ((await apps.listNamespacedReplicaSet({ namespace })).items.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
  await client.patch(
    { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace }, spec: { template: podTemplate('nginx:1.28') } },
    undefined,
    undefined,
    undefined,
    undefined,
    PatchStrategy.MergePatch,
  );
});

after(async () => {
  await cli('cluster', 'down');
});

/** Grades one check as the grader does: a fresh snapshot, then the evaluation. */
async function grade(input: unknown, settleMs = 30_000, expectOk?: boolean): Promise<CheckResult> {
  const check = checkSchema.parse(input);
  const deadline = Date.now() + settleMs;
  for (;;) {
    const snapshot: Snapshot = await readSnapshot(kc, namespace, [check]);
    const result = await evaluate(check, snapshot, async () => () => ({ ok: true, message: 'custom' }));
    // Workloads settle asynchronously: wait for the verdict a test expects, up to a limit.
    if (expectOk === undefined || result.ok === expectOk || Date.now() > deadline) return result;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

// Real pods on a busy node can take more than half a minute to pull and start: the bound is
// how long a verdict may take to come, not a wait every test pays.
const passes = async (input: unknown) => assert.equal((await grade(input, 90_000, true)).ok, true, JSON.stringify(input));
const failsWith = async (input: unknown, message: string) => assert.deepEqual(await grade(input, 30_000, false), { ok: false, message });

test('exists and absent', async () => {
  await passes({ check: 'exists', object: 'Deployment/web' });
  await failsWith({ check: 'exists', object: 'Deployment/api' }, 'there is no Deployment named api in your namespace yet');
  await passes({ check: 'absent', object: 'ConfigMap/legacy' });
  await failsWith({ check: 'absent', object: 'Service/lonely' }, 'Service lonely still exists; the task asks for it to be gone');
});

test('field: equals, matches, contains, greaterThan, lessThan, exists', async () => {
  await passes({ check: 'field', object: 'Deployment/web', path: 'spec.replicas', equals: 2 });
  await failsWith({ check: 'field', object: 'Deployment/web', path: 'spec.replicas', label: 'replicas', equals: 3 }, 'Deployment web: replicas is 2; the task asks for 3');
  await failsWith({ check: 'field', object: 'Service/web', path: 'spec.type', matches: '^NodePort$' }, 'Service web: spec.type is "ClusterIP"; the task asks for a value matching /^NodePort$/');
  await failsWith({ check: 'field', object: 'Ingress/site', path: 'spec.rules[0].host', contains: 'example.org' }, 'Ingress site: spec.rules[0].host is "shop.example"; the task asks for it to contain "example.org"');
  await failsWith({ check: 'field', object: 'Deployment/web', path: 'spec.replicas', greaterThan: 5 }, 'Deployment web: spec.replicas is 2; the task asks for more than 5');
  await failsWith({ check: 'field', object: 'Deployment/web', path: 'spec.replicas', lessThan: 2 }, 'Deployment web: spec.replicas is 2; the task asks for less than 2');
  await failsWith({ check: 'field', object: 'Deployment/web', path: 'metadata.annotations["example.com/owner"]', label: 'the owner annotation', exists: true }, 'Deployment web: the owner annotation is not set; the task asks for it to be set');
});

test('containers: every and any, app and init containers', async () => {
  await passes({ check: 'containers', object: 'Deployment/web', any: [{ path: 'readinessProbe.httpGet.port', equals: 80 }] });
  await passes({ check: 'containers', object: 'Deployment/web', of: 'initContainers', every: [{ path: 'image', matches: '^busybox' }] });
  await failsWith(
    { check: 'containers', object: 'Deployment/web', every: [{ path: 'securityContext.runAsNonRoot', label: 'runAsNonRoot', equals: true }] },
    'container sidecar of Deployment web: runAsNonRoot is false; the task asks for true',
  );
  await failsWith(
    { check: 'containers', object: 'Deployment/web', any: [{ path: 'image', label: 'image', equals: 'nginx:1.29' }] },
    'no container of Deployment web passes yet: container web of Deployment web: image is "nginx:1.28"; the task asks for "nginx:1.29"',
  );
});

test('count by label selector', async () => {
  await passes({ check: 'count', kind: 'Pod', selector: 'app=web', equals: 2 });
  await failsWith({ check: 'count', kind: 'Pod', selector: 'app=web', atLeast: 5 }, 'there are 2 Pods with labels app=web; the task asks for at least 5');
});

test('ready, jobComplete and rolledOut', async () => {
  await passes({ check: 'ready', object: 'Deployment/web' });
  await failsWith({ check: 'ready', object: 'StatefulSet/db' }, 'there is no StatefulSet named db in your namespace yet');
  await passes({ check: 'jobComplete', object: 'Job/once' });
  await passes({ check: 'rolledOut', object: 'Deployment/web', revisionsAtLeast: 2 });
  await failsWith(
    { check: 'rolledOut', object: 'Deployment/web', revisionsAtLeast: 3 },
    'Deployment web has 2 revisions; the task asks for at least 3 (change its pod template to roll out a new one)',
  );
});

test('serviceEndpoints and ingressRoute', async () => {
  await passes({ check: 'serviceEndpoints', object: 'Service/web', atLeast: 2 });
  await failsWith({ check: 'serviceEndpoints', object: 'Service/lonely' }, 'Service lonely has 0 ready endpoints; the task asks for at least 1; its selector {"app":"nobody"} matches no ready pod');
  await passes({ check: 'ingressRoute', host: 'shop.example', path: '/', service: 'web', port: 80 });
  await failsWith({ check: 'ingressRoute', host: 'shop.example', path: '/api', service: 'api', port: 8080 }, 'no Ingress routes shop.example/api → api:8080 yet');
});

test('access through SubjectAccessReview', async () => {
  await passes({ check: 'access', serviceAccount: 'monitor', verb: 'list', resource: 'pods', allowed: true });
  await failsWith({ check: 'access', serviceAccount: 'monitor', verb: 'delete', resource: 'pods', allowed: true }, 'ServiceAccount monitor cannot delete pods; the task asks that it can');
  await failsWith({ check: 'access', serviceAccount: 'monitor', verb: 'get', resource: 'pods', allowed: false }, 'ServiceAccount monitor can get pods; the task asks that it cannot');
});

test('behaviour on the real node: a log line appears, a container runs, a CrashLoopBackOff is seen', async () => {
  const pods = KubernetesObjectApi.makeApiClient(kc);
  // No node selector: the simulated nodes' taint keeps these on the real node, where they run.
  const pod = (name: string, image: string, script: string) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace },
    spec: { containers: [{ name, image, command: ['sh', '-c', script] }] },
  });
  await pods.create(pod('talker', 'busybox:1.37', 'echo "GET /cart 200"; exec sleep 3600'));
  await pods.create(pod('crasher', 'busybox:1.37', 'echo crashing; exit 3'));
  await pods.create(pod('unpulled', 'busybox:0.0-missing', 'true'));

  await passes({ check: 'logs', object: 'Pod/talker', contains: 'GET /cart 200' });
  await passes({ check: 'logs', object: 'Pod/talker', container: 'talker', matches: '^GET /cart \\d+$', describe: 'a request for /cart' });
  await failsWith({ check: 'logs', object: 'Pod/talker', contains: 'POST /checkout' }, 'the log of container talker of Pod talker does not show a line containing "POST /checkout" yet');
  await failsWith({ check: 'logs', object: 'Pod/talker', matches: 'checkout', describe: 'a checkout' }, 'the log of container talker of Pod talker does not show a checkout yet');
  const unstarted = await grade({ check: 'logs', object: 'Pod/unpulled', contains: 'anything' }, 60_000, false);
  assert.match(unstarted.message, /^the log of container unpulled of Pod unpulled cannot be read yet \(it is waiting to start/);
  await failsWith({ check: 'logs', object: 'Pod/nobody', contains: 'x' }, 'there is no Pod named nobody in your namespace yet');

  await passes({ check: 'state', object: 'Pod/talker', container: 'talker', state: 'running', restartsAtMost: 0 });
  await passes({ check: 'state', object: 'Pod/crasher', container: 'crasher', state: 'waiting', reason: 'CrashLoopBackOff' });
  await passes({ check: 'state', object: 'Pod/crasher', container: 'crasher', exitCode: 3, restartsAtLeast: 1 });
  await passes({ check: 'state', object: 'Pod/unpulled', container: 'unpulled', state: 'waiting' });
  const crashing = await grade({ check: 'state', object: 'Pod/crasher', container: 'crasher', restartsAtMost: 0 }, 60_000, false);
  assert.match(crashing.message, /^container crasher of Pod crasher is (waiting \(CrashLoopBackOff\)|running|terminated \(Error, exit code 3\)) and has restarted \d+ times?; the task asks for no restarts$/);
  await failsWith(
    { check: 'state', object: 'Pod/talker', container: 'talker', state: 'terminated', exitCode: 0 },
    'container talker of Pod talker is running and has restarted 0 times; the task asks for it to be terminated and its last exit code to be 0 (it has not exited yet)',
  );
  await failsWith({ check: 'state', object: 'Pod/talker', container: 'sidecar', state: 'running' }, 'container sidecar of Pod talker has not been created yet');
});

// Integration test of the embedded default: a real control plane built from source, driven
// through the CLI a user runs and the client library the platform uses. Nothing is mocked.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { AppsV1Api, CoreV1Api, CustomObjectsApi, DiscoveryV1Api, type KubeConfig } from '@kubernetes/client-node';
import { run } from '../../exec.ts';
import { projectRoot } from '../../paths.ts';
import { isAlive } from '../../process.ts';
import { versions } from '../../versions.ts';
import { loadKubeConfig } from '../health.ts';
import { cachedToolchain, type Toolchain } from './toolchain.ts';

const stateDir = await mkdtemp(join(tmpdir(), 'cnlab-it-'));
const env = { ...process.env, CNLAB_STATE_DIR: stateDir, CNLAB_CLUSTER_NAME: 'cnlab-it', CNLAB_PROVIDER: 'local' };
const cli = (...args: string[]) => run(process.execPath, [join(projectRoot, 'server', 'cli.ts'), ...args], { env });
const clusterDir = join(stateDir, 'kwok', 'clusters', 'cnlab-it');
const namespace = 'it-workloads';

let kc: KubeConfig;
let toolchain: Toolchain;
let kubeconfig: string;

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

const kubectl = (...args: string[]) => run(toolchain.kubectl, ['--kubeconfig', kubeconfig, ...args]);

before(async () => {
  const up = await cli('cluster', 'up');
  assert.equal(up.code, 0, `cluster up failed:\n${up.stderr}`);
  kubeconfig = (await cli('cluster', 'kubeconfig')).stdout.trim();
  kc = loadKubeConfig({ provider: 'local', kubeconfig });
  toolchain = (await cachedToolchain()) as Toolchain;
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: namespace } } });
});

after(async () => {
  await cli('cluster', 'down');
});

// The simulated nodes stay for the scheduling lessons: a pod that tolerates their taint and
// selects them runs there (and nothing runs in it). Real pods are real-node.test.ts's subject.
test('a Deployment of 3 replicas that selects the simulated nodes runs 3 pods on them behind a Service with ready endpoints', async () => {
  const labels = { app: 'web' };
  await kc.makeApiClient(AppsV1Api).createNamespacedDeployment({
    namespace,
    body: {
      metadata: { name: 'web', labels },
      spec: {
        replicas: 3,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            nodeSelector: { 'cnlab.dev/node': 'simulated' },
            tolerations: [{ key: 'cnlab.dev/simulated', operator: 'Exists', effect: 'NoSchedule' }],
            containers: [{ name: 'web', image: 'nginx:1.26', ports: [{ containerPort: 80 }] }],
          },
        },
      },
    },
  });
  await kc.makeApiClient(CoreV1Api).createNamespacedService({
    namespace,
    body: { metadata: { name: 'web' }, spec: { selector: labels, ports: [{ port: 80, targetPort: 80 }] } },
  });

  const core = kc.makeApiClient(CoreV1Api);
  const kwokNodes = new Set(
    (await core.listNode()).items
      .filter((node) => node.metadata?.annotations?.['kwok.x-k8s.io/node'] === 'fake')
      .map((node) => node.metadata?.name),
  );
  assert.ok(kwokNodes.size >= 2, `expected at least 2 kwok nodes, found ${[...kwokNodes].join(', ')}`);

  const pods = await eventually('3 Running pods with IPs', async () => {
    const list = await core.listNamespacedPod({ namespace, labelSelector: 'app=web' });
    const running = list.items.filter((pod) => pod.status?.phase === 'Running' && pod.status.podIP);
    return running.length === 3 ? running : undefined;
  });
  for (const pod of pods) assert.ok(kwokNodes.has(pod.spec?.nodeName), `${pod.metadata?.name} runs on ${pod.spec?.nodeName}`);

  const ready = await eventually('3 ready endpoints for Service web', async () => {
    const slices = await kc
      .makeApiClient(DiscoveryV1Api)
      .listNamespacedEndpointSlice({ namespace, labelSelector: 'kubernetes.io/service-name=web' });
    const endpoints = slices.items.flatMap((slice) => slice.endpoints).filter((endpoint) => endpoint.conditions?.ready);
    return endpoints.length === 3 ? endpoints : undefined;
  });
  assert.deepEqual(
    ready.flatMap((endpoint) => endpoint.addresses).sort(),
    pods.map((pod) => pod.status?.podIP).sort(),
  );
});

test('kubectl and the API server both report the pinned Kubernetes version', async () => {
  const result = await kubectl('version', '-o', 'json');
  assert.equal(result.code, 0, result.stderr);
  const reported = JSON.parse(result.stdout) as { clientVersion: { gitVersion: string }; serverVersion: { gitVersion: string } };
  assert.equal(reported.clientVersion.gitVersion, versions.kubernetes);
  assert.equal(reported.serverVersion.gitVersion, versions.kubernetes);
});

test('status names the provider, version, API URL, nodes and health', async () => {
  const status = await cli('cluster', 'status');
  assert.equal(status.code, 0, status.stdout + status.stderr);
  assert.match(status.stdout, /^provider: +local$/m);
  assert.match(status.stdout, new RegExp(`^version: +${versions.kubernetes.replaceAll('.', '\\.')}$`, 'm'));
  assert.match(status.stdout, /^api: +https:\/\/127\.0\.0\.1:\d+$/m);
  // Two simulated nodes and the real one.
  assert.match(status.stdout, /^nodes: +3 \(3 Ready\)$/m);
  assert.match(status.stdout, /^health: +healthy$/m);
});

test('every control plane component listens on loopback only', async () => {
  const pids = await Promise.all(
    (await readdir(join(clusterDir, 'pids'))).map(async (file) => (await readFile(join(clusterDir, 'pids', file), 'utf8')).trim()),
  );
  assert.ok(pids.length >= 5, `expected etcd, apiserver, controller-manager, scheduler and kwok, got ${pids.length}`);
  const sockets = await run('ss', ['-Hltnp']);
  assert.equal(sockets.code, 0, sockets.stderr);
  const ours = sockets.stdout.split('\n').filter((line) => pids.some((pid) => line.includes(`pid=${pid},`)));
  assert.ok(ours.length >= pids.length, `expected listening sockets for every component:\n${sockets.stdout}`);
  for (const line of ours) assert.match(line.split(/\s+/)[3] ?? '', /^127\.0\.0\.1:\d+$/, line);
});

test('the admin kubeconfig and the PKI are readable by the platform user only', async () => {
  assert.equal((await stat(kubeconfig)).mode & 0o077, 0);
  assert.equal((await stat(clusterDir)).mode & 0o077, 0);
});

test('kubectl exec into a simulated pod never runs a command on the host', async () => {
  const pod = (await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace, labelSelector: 'app=web' })).items[0];
  const marker = join(stateDir, 'exec-escaped');
  const result = await kubectl('exec', '-n', namespace, String(pod?.metadata?.name), '--', 'touch', marker);
  assert.notEqual(result.code, 0);
  assert.equal(existsSync(marker), false);
});

test('kubectl logs returns the simulated output the platform configures', async () => {
  const pod = (await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace, labelSelector: 'app=web' })).items[0];
  const logsFile = join(stateDir, 'web.log');
  // kwok replays files in the CRI log format the kubelet writes: time, stream, tag, message.
  await writeFile(logsFile, '2026-01-01T10:00:00.000000000Z stdout F 10.0.0.1 - - "GET / HTTP/1.1" 200 615\n');
  await kc.makeApiClient(CustomObjectsApi).createClusterCustomObject({
    group: 'kwok.x-k8s.io',
    version: 'v1alpha1',
    plural: 'clusterlogs',
    body: {
      apiVersion: 'kwok.x-k8s.io/v1alpha1',
      kind: 'ClusterLogs',
      metadata: { name: 'it-web' },
      spec: { selector: { matchNamespaces: [namespace] }, logs: [{ containers: ['web'], logsFile }] },
    },
  });
  const logs = await eventually('simulated logs', async () => {
    const result = await kubectl('logs', '-n', namespace, String(pod?.metadata?.name));
    return result.code === 0 && result.stdout.includes('GET /') ? result.stdout : undefined;
  });
  assert.match(logs, /"GET \/ HTTP\/1\.1" 200/);
});

test('a control plane that died is reported, and `up` brings it back', async () => {
  const apiserver = Number(await readFile(join(clusterDir, 'pids', 'kube-apiserver.pid'), 'utf8'));
  process.kill(apiserver, 'SIGKILL');
  await eventually('the API server to exit', async () => (isAlive(apiserver) ? undefined : true), 10_000);

  const status = await cli('cluster', 'status');
  assert.equal(status.code, 1);
  assert.match(status.stdout, /^health: +unhealthy: the API server at https:\/\/127\.0\.0\.1:\d+ does not answer/m);

  const up = await cli('cluster', 'up');
  assert.equal(up.code, 0, up.stderr);
  assert.match(up.stderr, /exists but is not healthy/);
  assert.equal((await cli('cluster', 'status')).code, 0);
});

test('down stops every component and forgets the cluster', async () => {
  const pids = await Promise.all(
    (await readdir(join(clusterDir, 'pids'))).map(async (file) => Number(await readFile(join(clusterDir, 'pids', file), 'utf8'))),
  );
  const down = await cli('cluster', 'down');
  assert.equal(down.code, 0, down.stderr);
  for (const pid of pids) assert.equal(isAlive(pid), false, `process ${pid} still runs after down`);
  assert.equal(existsSync(clusterDir), false);
  const status = await cli('cluster', 'status');
  assert.equal(status.code, 1);
  assert.match(status.stdout, /no cluster is up/);
});

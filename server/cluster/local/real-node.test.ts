// Integration test of the local provider's real node: containers that really run, behind the
// same CLI and API a learner uses. Nothing is mocked; every wait is on a condition.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { AppsV1Api, AutoscalingV2Api, CoreV1Api, type KubeConfig, NetworkingV1Api, PatchStrategy, setHeaderOptions, type V1ContainerStatus, type V1Pod, Watch } from '@kubernetes/client-node';
import { run } from '../../exec.ts';
import { projectRoot } from '../../paths.ts';
import { isAlive } from '../../process.ts';
import { loadKubeConfig } from '../health.ts';
import { writeImageArchive } from '../images/archive.ts';
import { cachedImages } from '../images/build.ts';
import { loadedIntoKind } from '../kind/provider.ts';
import { createSteps } from '../../steps.ts';
import { nodePaths } from './node/configs.ts';
import type { NodePlan } from './node/plan.ts';
import { nodeInitPid } from './node/runtime.ts';
import { cachedToolchain, ensureNodeToolchain, type Toolchain } from './toolchain.ts';

const stateDir = await mkdtemp(join(tmpdir(), 'cnlab-node-'));
const clusterName = 'cnlab-node-it';
const env = { ...process.env, CNLAB_STATE_DIR: stateDir, CNLAB_CLUSTER_NAME: clusterName, CNLAB_PROVIDER: 'local' };
const cli = (...args: string[]) => run(process.execPath, [join(projectRoot, 'server', 'cli.ts'), ...args], { env });
const namespace = 'node-it';

let kc: KubeConfig;
let core: CoreV1Api;
let toolchain: Toolchain;
let kubeconfig: string;
let plan: NodePlan;

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const kubectl = (...args: string[]) => run(toolchain.kubectl, ['--kubeconfig', kubeconfig, '-n', namespace, ...args]);

const pod = (name: string, spec: Partial<V1Pod['spec']> & { containers: NonNullable<V1Pod['spec']>['containers'] }, labels: Record<string, string> = {}) =>
  core.createNamespacedPod({ namespace, body: { metadata: { name, labels }, spec: { terminationGracePeriodSeconds: 0, ...spec } } });

const containerStatus = async (name: string) => (await core.readNamespacedPod({ name, namespace })).status?.containerStatuses?.[0];

const waitReady = (name: string) =>
  eventually(`pod ${name} Ready`, async () => {
    const status = (await core.readNamespacedPod({ name, namespace })).status;
    return status?.conditions?.some((condition) => condition.type === 'Ready' && condition.status === 'True') ? status : undefined;
  });

before(async () => {
  const up = await cli('cluster', 'up');
  assert.equal(up.code, 0, `cluster up failed:\n${up.stderr}`);
  assert.doesNotMatch(up.stderr, /no real node/, 'this machine should run a real node (root, namespaces, overlayfs)');
  kubeconfig = (await cli('cluster', 'kubeconfig')).stdout.trim();
  kc = loadKubeConfig({ provider: 'local', kubeconfig });
  core = kc.makeApiClient(CoreV1Api);
  toolchain = (await cachedToolchain()) as Toolchain;
  plan = JSON.parse(readFileSync(join(stateDir, 'nodes', clusterName, 'plan.json'), 'utf8')) as NodePlan;
  await core.createNamespace({ body: { metadata: { name: namespace } } });
});

after(async () => {
  await cli('cluster', 'down');
});

test('ordinary pods land on the real node; the simulated nodes are tainted', async () => {
  const nodes = (await core.listNode()).items;
  const real = nodes.filter((node) => node.metadata?.labels?.['cnlab.dev/node'] === 'real');
  assert.equal(real.length, 1);
  assert.match(real[0]?.status?.nodeInfo?.containerRuntimeVersion ?? '', /^containerd:\/\/2\./);
  for (const node of nodes.filter((each) => each.metadata?.annotations?.['kwok.x-k8s.io/node'] === 'fake')) {
    assert.ok(node.spec?.taints?.some((taint) => taint.key === 'cnlab.dev/simulated' && taint.effect === 'NoSchedule'), `${node.metadata?.name} is not tainted`);
  }
  await pod('placed', { containers: [{ name: 'main', image: 'busybox:1.37', command: ['sleep', '3600'] }] });
  const status = await waitReady('placed');
  const placed = await core.readNamespacedPod({ name: 'placed', namespace });
  assert.equal(placed.spec?.nodeName, real[0]?.metadata?.name);
  assert.match(status.podIP ?? '', /^10\.244\.0\.\d+$/);
});

test('a container runs a real process: kubectl logs and kubectl exec show its output', async () => {
  await pod('talker', { containers: [{ name: 'main', image: 'busybox:1.37', command: ['sh', '-c', 'echo "started as $(id -u) on $(hostname)"; exec sleep 3600'] }] });
  await waitReady('talker');
  const logs = await eventually('the log line', async () => {
    const result = await kubectl('logs', 'talker');
    return result.stdout.includes('started as') ? result.stdout : undefined;
  });
  assert.match(logs, /started as 0 on talker/);
  const exec = await kubectl('exec', 'talker', '--', 'sh', '-c', 'echo $((6 * 7)); cat /proc/1/cmdline | tr "\\0" " "');
  assert.equal(exec.code, 0, exec.stderr);
  assert.match(exec.stdout, /^42\nsleep 3600 $/);
});

test('a failing liveness probe restarts the container', async () => {
  await pod('unwell', {
    containers: [
      {
        name: 'main',
        image: 'busybox:1.37',
        command: ['sh', '-c', 'touch /tmp/healthy; sleep 2; rm /tmp/healthy; exec sleep 3600'],
        livenessProbe: { exec: { command: ['cat', '/tmp/healthy'] }, periodSeconds: 1, failureThreshold: 1 },
      },
    ],
  });
  await eventually('a restart', async () => ((await containerStatus('unwell'))?.restartCount ?? 0) >= 1 || undefined);
  const events = await core.listNamespacedEvent({ namespace, fieldSelector: 'involvedObject.name=unwell' });
  assert.ok(events.items.some((event) => /Liveness probe failed/.test(event.message ?? '')), 'no "Liveness probe failed" event');
});

/**
 * Watches a pod until its first container's status passes `predicate`: every status the kubelet
 * reports is seen, however briefly it lasts (polling can miss a short back-off on a busy machine).
 */
async function watchContainer(name: string, what: string, predicate: (status: V1ContainerStatus) => boolean, timeoutMs = 120_000): Promise<V1ContainerStatus> {
  let request: { abort(): void } | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await new Promise<V1ContainerStatus>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
      const seen = (object: V1Pod) => {
        const status = object.status?.containerStatuses?.[0];
        if (status && predicate(status)) resolve(status);
      };
      void new Watch(kc)
        .watch(`/api/v1/namespaces/${namespace}/pods`, { fieldSelector: `metadata.name=${name}` }, (_phase: string, object: V1Pod) => seen(object), (error: unknown) => {
          if (error) reject(error as Error);
        })
        .then((started) => {
          request = started;
          // What happened before the watch began: the pod as it is now.
          return core.readNamespacedPod({ name, namespace }).then(seen);
        }, reject);
    });
  } finally {
    clearTimeout(timer);
    request?.abort();
  }
}

test('a container that keeps exiting reaches CrashLoopBackOff', async () => {
  await pod('crasher', { containers: [{ name: 'main', image: 'busybox:1.37', command: ['sh', '-c', 'echo crashing; exit 3'] }] });
  const status = await watchContainer('crasher', 'CrashLoopBackOff', (current) => current.state?.waiting?.reason === 'CrashLoopBackOff');
  assert.equal(status.lastState?.terminated?.exitCode, 3);
  assert.match((await kubectl('logs', 'crasher')).stdout, /crashing/);
});

test('an image tag the registry does not have fails as on any cluster: ErrImagePull, then ImagePullBackOff', async () => {
  await pod('missing', { containers: [{ name: 'main', image: 'nginx:9.99-does-not-exist' }] });
  const status = await eventually('ImagePullBackOff', async () => {
    const current = await containerStatus('missing');
    return current?.state?.waiting?.reason === 'ImagePullBackOff' ? current : undefined;
  });
  const events = await core.listNamespacedEvent({ namespace, fieldSelector: 'involvedObject.name=missing' });
  assert.ok(events.items.some((event) => /not found/.test(event.message ?? '')), `no "not found" pull event for ${status.image}`);
});

test('a Service answers another pod by its DNS name', async () => {
  await pod(
    'server',
    {
      containers: [
        { name: 'main', image: 'busybox:1.37', command: ['sh', '-c', 'while true; do printf "HTTP/1.0 200 OK\\r\\n\\r\\nhello from $(hostname)\\n" | nc -l -p 8080; done'] },
      ],
    },
    { app: 'server' },
  );
  await core.createNamespacedService({ namespace, body: { metadata: { name: 'greeter' }, spec: { selector: { app: 'server' }, ports: [{ port: 80, targetPort: 8080 }] } } });
  await waitReady('server');
  const answer = await eventually('an answer through the Service', async () => {
    const result = await kubectl('exec', 'talker', '--', 'wget', '-qO-', '-T', '2', `http://greeter.${namespace}.svc.cluster.local`);
    return result.code === 0 ? result.stdout : undefined;
  });
  assert.equal(answer, 'hello from server\n');
});

test('a default-deny NetworkPolicy blocks traffic between pods, and an allow rule lets it through again', async () => {
  const networking = kc.makeApiClient(NetworkingV1Api);
  const reach = async () => (await kubectl('exec', 'talker', '--', 'wget', '-qO-', '-T', '1', 'http://greeter')).code === 0;
  assert.equal(await eventually('the Service to answer before any policy', async () => ((await reach()) ? true : undefined)), true);
  await networking.createNamespacedNetworkPolicy({ namespace, body: { metadata: { name: 'deny-all' }, spec: { podSelector: {}, policyTypes: ['Ingress'] } } });
  await eventually('the policy to block the Service', async () => ((await reach()) ? undefined : true));
  await networking.createNamespacedNetworkPolicy({
    namespace,
    body: {
      metadata: { name: 'allow-talker' },
      spec: { podSelector: { matchLabels: { app: 'server' } }, ingress: [{ _from: [{ podSelector: { matchLabels: { role: 'client' } } }], ports: [{ port: 8080 }] }] },
    },
  });
  // Only the labelled client is let through: the rule selects by label, not by namespace.
  await core.patchNamespacedPod({ name: 'talker', namespace, body: { metadata: { labels: { role: 'client' } } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
  await eventually('the allow rule to let the client through', async () => ((await reach()) ? true : undefined));
  const other = await kubectl('exec', 'placed', '--', 'wget', '-qO-', '-T', '1', 'http://greeter');
  assert.notEqual(other.code, 0, 'a pod without the client label still reached the server');
  await networking.deleteNamespacedNetworkPolicy({ name: 'deny-all', namespace });
  await networking.deleteNamespacedNetworkPolicy({ name: 'allow-talker', namespace });
});

test('claims bind: a StatefulSet of 3 with volumeClaimTemplates becomes ready, each pod with its own volume', async () => {
  await kc.makeApiClient(AppsV1Api).createNamespacedStatefulSet({
    namespace,
    body: {
      metadata: { name: 'db' },
      spec: {
        serviceName: 'db',
        replicas: 3,
        selector: { matchLabels: { app: 'db' } },
        template: {
          metadata: { labels: { app: 'db' } },
          spec: {
            terminationGracePeriodSeconds: 0,
            containers: [{ name: 'main', image: 'busybox:1.37', command: ['sh', '-c', 'hostname > /data/owner; exec sleep 3600'], volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
          },
        },
        volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '16Mi' } } } }],
      },
    },
  });
  await eventually('3 ready replicas', async () => {
    const set = await kc.makeApiClient(AppsV1Api).readNamespacedStatefulSet({ name: 'db', namespace });
    return set.status?.readyReplicas === 3 ? true : undefined;
  }, 120_000);
  const claims = (await core.listNamespacedPersistentVolumeClaim({ namespace })).items;
  assert.deepEqual(claims.map((claim) => [claim.metadata?.name, claim.status?.phase, claim.spec?.storageClassName]).sort(), [0, 1, 2].map((n) => [`data-db-${n}`, 'Bound', 'local-path']));
  assert.equal((await kubectl('exec', 'db-2', '--', 'cat', '/data/owner')).stdout, 'db-2\n');
});

test('a HorizontalPodAutoscaler scales a Deployment on real CPU use', async () => {
  await kc.makeApiClient(AppsV1Api).createNamespacedDeployment({
    namespace,
    body: {
      metadata: { name: 'burner' },
      spec: {
        selector: { matchLabels: { app: 'burner' } },
        template: {
          metadata: { labels: { app: 'burner' } },
          spec: {
            terminationGracePeriodSeconds: 0,
            containers: [{ name: 'main', image: 'busybox:1.37', command: ['sh', '-c', 'while :; do :; done'], resources: { requests: { cpu: '50m' }, limits: { cpu: '200m' } } }],
          },
        },
      },
    },
  });
  await kc.makeApiClient(AutoscalingV2Api).createNamespacedHorizontalPodAutoscaler({
    namespace,
    body: {
      metadata: { name: 'burner' },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'burner' },
        minReplicas: 1,
        maxReplicas: 2,
        metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }],
      },
    },
  });
  // Metrics come every 15 s and the autoscaler looks every 15 s: a minute or two, as on any cluster.
  const scaled = await eventually('the autoscaler to scale out', async () => {
    const hpa = await kc.makeApiClient(AutoscalingV2Api).readNamespacedHorizontalPodAutoscaler({ name: 'burner', namespace });
    return (hpa.status?.desiredReplicas ?? 0) >= 2 ? hpa : undefined;
  }, 240_000);
  assert.ok((scaled.status?.currentMetrics?.[0]?.resource?.current.averageUtilization ?? 0) > 50, JSON.stringify(scaled.status));
  const top = await kubectl('top', 'pods', '-l', 'app=burner');
  assert.match(top.stdout, /burner-\S+\s+\d+m/, top.stdout + top.stderr);
  await kc.makeApiClient(AppsV1Api).deleteNamespacedDeployment({ name: 'burner', namespace });
});

test('pods reach the API server but nothing else on the host, and nothing off the machine', async () => {
  const listener = createServer((socket) => socket.end('host service\n'));
  await new Promise<void>((resolve) => listener.listen(0, '0.0.0.0', resolve));
  const port = (listener.address() as AddressInfo).port;
  try {
    const hostAddresses = [plan.hostIp, ...Object.values(networkInterfaces()).flat().filter((address) => address && address.family === 'IPv4' && !address.internal).map((address) => address?.address)];
    for (const address of hostAddresses) {
      const result = await kubectl('exec', 'talker', '--', 'nc', '-w', '2', String(address), String(port));
      assert.doesNotMatch(result.stdout, /host service/, `a pod reached a host service at ${address}:${port}`);
    }
    // The API server answers, but a caller without credentials learns only that it is alive.
    const alive = await kubectl('exec', 'talker', '--', 'wget', '-qO-', '-T', '3', '--no-check-certificate', 'https://kubernetes.default.svc/livez');
    assert.equal(alive.stdout, 'ok');
    const anonymous = await kubectl('exec', 'talker', '--', 'sh', '-c', 'wget -qO- -T 3 --no-check-certificate https://kubernetes.default.svc/api 2>&1; true');
    assert.match(anonymous.stdout, /401 Unauthorized/, anonymous.stdout);
  } finally {
    listener.close();
  }
});

/** A stand-in for the world off the machine: a network namespace with a public and a private address, each answering on :8080. */
async function outsideWorld(): Promise<{ publicIp: string; privateIp: string; close(): Promise<void> }> {
  const name = `cnlab-out-${process.pid}`;
  const link = `cnlo${process.pid % 100000}`;
  const must = async (args: string[]) => {
    const result = await run(args[0] as string, args.slice(1));
    assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
  };
  await must(['ip', 'netns', 'add', name]);
  await must(['ip', 'link', 'add', link, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', name]);
  for (const [host, outside] of [['198.51.100.2/24', '198.51.100.1/24'], ['10.123.45.2/24', '10.123.45.1/24']]) {
    await must(['ip', 'addr', 'add', host as string, 'dev', link]);
    await must(['ip', 'netns', 'exec', name, 'ip', 'addr', 'add', outside as string, 'dev', 'eth0']);
  }
  await must(['ip', 'link', 'set', link, 'up']);
  await must(['ip', 'netns', 'exec', name, 'ip', 'link', 'set', 'eth0', 'up']);
  const server = spawn('ip', ['netns', 'exec', name, 'socat', 'TCP-LISTEN:8080,fork,reuseaddr', 'SYSTEM:echo outside'], { stdio: 'ignore' });
  await eventually('the outside server to listen', async () => ((await run('ip', ['netns', 'exec', name, 'ss', '-Hltn', 'sport = :8080'])).stdout.includes('8080') ? true : undefined));
  return {
    publicIp: '198.51.100.1',
    privateIp: '10.123.45.1',
    async close() {
      server.kill();
      await run('ip', ['netns', 'del', name]);
    },
  };
}

test('CNLAB_POD_EGRESS=internet lets pods reach public addresses, never private ones or the host; `none` closes it again', async () => {
  const outside = await outsideWorld();
  const forwarding = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8');
  const reaches = async (address: string) => /outside/.test((await kubectl('exec', 'talker', '--', 'nc', '-w', '2', address, '8080')).stdout);
  const upWith = async (egress: string) => {
    const up = await run(process.execPath, [join(projectRoot, 'server', 'cli.ts'), 'cluster', 'up'], { env: { ...env, CNLAB_POD_EGRESS: egress } });
    assert.equal(up.code, 0, up.stderr);
    return up.stderr + up.stdout;
  };
  try {
    assert.equal(await reaches(outside.publicIp), false, 'with the default egress a pod reached an address off the node');
    assert.match(await upWith('internet'), /pod egress is now "internet"/);
    assert.equal(await eventually('a public address to answer a pod', async () => ((await reaches(outside.publicIp)) ? true : undefined)), true);
    assert.equal(await reaches(outside.privateIp), false, 'a pod reached a private address');
    assert.equal(await reaches(plan.hostIp), false, 'a pod reached the host');
    const corefile = (await core.readNamespacedConfigMap({ name: 'coredns', namespace: 'kube-system' })).data?.Corefile ?? '';
    assert.match(corefile, /forward \. \d/, 'CoreDNS has no upstream with internet egress');
    assert.doesNotMatch(await upWith('internet'), /pod egress is now/, 'an unchanged egress was applied again');
    await upWith('none');
    assert.equal(await reaches(outside.publicIp), false, 'egress stayed open after going back to none');
  } finally {
    await upWith('none');
    writeFileSync('/proc/sys/net/ipv4/ip_forward', forwarding);
    await outside.close();
  }
});

test('the catalogue as an image archive imports into containerd under every tag, as `kind load image-archive` does', async () => {
  const cache = await cachedImages();
  assert.ok(cache, 'the image catalogue is built by cluster up');
  const images = cache.catalogue.filter(loadedIntoKind);
  assert.ok(images.some((image) => image.references.includes('docker.io/library/nginx:1.26')));
  assert.ok(!images.some((image) => image.repository.startsWith('registry.k8s.io/')), "kind's own components are not replaced");
  const archive = join(stateDir, 'catalogue.tar');
  await writeImageArchive(cache.storageDir, images, archive);
  const node = await ensureNodeToolchain(createSteps(() => {}));
  const init = nodeInitPid(plan);
  assert.ok(init);
  // kind runs the same command inside its node: ctr --namespace=k8s.io images import --all-platforms --digests.
  const ctr = (...args: string[]) =>
    run('nsenter', ['--target', String(init), '--mount', '--', node.ctr, '--address', nodePaths(plan.dir).containerdSocket, '--namespace', 'cnlab-archive-it', ...args]);
  try {
    const imported = await ctr('images', 'import', '--all-platforms', '--digests', archive);
    assert.equal(imported.code, 0, imported.stderr);
    const listed = new Set((await ctr('images', 'ls', '-q')).stdout.split('\n'));
    for (const reference of images.flatMap((image) => image.references)) assert.ok(listed.has(reference), `${reference} is not in the archive`);
  } finally {
    const listed = (await ctr('images', 'ls', '-q')).stdout.split('\n').filter(Boolean);
    if (listed.length > 0) await ctr('images', 'rm', '--sync', ...listed);
    await ctr('namespaces', 'rm', 'cnlab-archive-it');
  }
});

test('status lists every node component with its log; a stopped node is reported and `up` brings it back', async () => {
  const status = await cli('cluster', 'status', '--json');
  assert.equal(status.code, 0, status.stdout);
  const components = (JSON.parse(status.stdout) as { components: { name: string; healthy: boolean; log: string }[] }).components;
  for (const name of ['containerd', 'kubelet', 'kube-proxy', 'registry', 'api-relay', 'kube-apiserver', 'etcd']) {
    const component = components.find((each) => each.name === name);
    assert.ok(component?.healthy, `${name} is not healthy: ${JSON.stringify(component)}`);
    assert.ok(existsSync(component.log), `${name} has no log at ${component.log}`);
  }

  const init = Number(readFileSync(join(plan.dir, 'node.pid'), 'utf8'));
  process.kill(init, 'SIGKILL');
  await eventually('the node to stop', async () => (isAlive(init) ? undefined : true), 10_000);
  const degraded = await cli('cluster', 'status');
  assert.equal(degraded.code, 1);
  assert.match(degraded.stdout, /^health: +unhealthy: degraded: containerd the node is not running/m);

  const up = await cli('cluster', 'up');
  assert.equal(up.code, 0, up.stderr);
  assert.equal((await cli('cluster', 'status')).code, 0);
  await pod('after-restart', { containers: [{ name: 'main', image: 'busybox:1.37', command: ['sleep', '3600'] }] });
  await waitReady('after-restart');
});

test('down leaves no process, mount, interface, firewall table or cgroup behind', async () => {
  const cgroupDirs = readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((line) => line.split(' '))
    .filter((fields) => fields[2] === 'cgroup' || fields[2] === 'cgroup2')
    .map((fields) => join(fields[1] as string, `cnlab-${plan.id}`));
  const down = await cli('cluster', 'down');
  assert.equal(down.code, 0, down.stderr);
  const processes = await run('ps', ['-eo', 'args']);
  assert.doesNotMatch(processes.stdout, new RegExp(plan.dir), 'a process of the node still runs');
  assert.doesNotMatch(readFileSync('/proc/self/mountinfo', 'utf8'), new RegExp(plan.dir), 'a mount of the node is left');
  assert.doesNotMatch((await run('ip', ['-o', 'link'])).stdout, new RegExp(`${plan.hostInterface}[@:]`), 'the node link is left');
  assert.doesNotMatch((await run('nft', ['list', 'tables'])).stdout, new RegExp(`cnlab-${plan.id}`), 'the host firewall table is left');
  for (const dir of cgroupDirs) assert.equal(existsSync(dir), false, `cgroup ${dir} is left`);
  assert.equal(existsSync(plan.dir), false, 'the node folder is left');
});

import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { loadKubeConfig } from './health.ts';
import { kubeconfigProvider } from './kubeconfig-provider.ts';

// Inside a pod the Helm chart's server has no kubeconfig file: it must find the cluster through
// its ServiceAccount, and only where it really is in a pod.

let dir: string;
let serviceAccountDir: string;
const saved = { ...process.env };

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cnlab-kubeconfig-'));
  serviceAccountDir = join(dir, 'serviceaccount');
  await mkdir(serviceAccountDir);
  await writeFile(join(serviceAccountDir, 'token'), 'a-token');
  // No ~/.kube/config to find.
  process.env.HOME = dir;
});

after(async () => {
  process.env = saved;
  await rm(dir, { recursive: true, force: true });
});

const inPod = (env: Record<string, string | undefined>) => {
  delete process.env.KUBECONFIG;
  delete process.env.KUBERNETES_SERVICE_HOST;
  Object.assign(process.env, env);
};

test('in a pod without a kubeconfig, the provider uses the ServiceAccount and the in-cluster address', async () => {
  inPod({ KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' });
  const provider = kubeconfigProvider({ serviceAccountDir });
  assert.equal(await provider.exists(), true);
  const kc = loadKubeConfig({ provider: 'kubeconfig', kubeconfig: serviceAccountDir, inCluster: true });
  assert.equal(kc.getCurrentCluster()?.server, 'https://10.96.0.1:443');
  assert.match(String(kc.getCurrentCluster()?.caFile), /serviceaccount\/ca\.crt$/);
});

test('outside a pod, or without a mounted token, there is no cluster to use', async () => {
  inPod({});
  assert.equal(await kubeconfigProvider({ serviceAccountDir }).exists(), false);
  inPod({ KUBERNETES_SERVICE_HOST: '10.96.0.1' });
  assert.equal(await kubeconfigProvider({ serviceAccountDir: join(dir, 'none') }).exists(), false);
  await assert.rejects(kubeconfigProvider({ serviceAccountDir: join(dir, 'none') }).up({} as never), /no kubeconfig found .* not a pod with a ServiceAccount token/);
});

test('a KUBECONFIG naming a missing file is reported, not replaced by the pod\'s credentials', async () => {
  inPod({ KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBECONFIG: join(dir, 'missing.yaml') });
  assert.equal(await kubeconfigProvider({ serviceAccountDir }).exists(), false);
});

test('a kubeconfig file, where there is one, wins over the pod\'s credentials', async () => {
  const file = join(dir, 'config.yaml');
  await writeFile(file, 'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://192.0.2.1:6443"}}]\nusers: [{name: u, user: {}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n');
  inPod({ KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBECONFIG: file });
  assert.equal(await kubeconfigProvider({ serviceAccountDir }).exists(), true);
  assert.equal(loadKubeConfig({ provider: 'kubeconfig', kubeconfig: file }).getCurrentCluster()?.server, 'https://192.0.2.1:6443');
});

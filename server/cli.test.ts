// The CLI's answers to bad input and broken environments: one clear message, never a stack trace.
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { run } from './exec.ts';
import { cacheDir, projectRoot } from './paths.ts';
import { versions } from './versions.ts';

async function cli(args: string[], extraEnv: NodeJS.ProcessEnv = {}) {
  const env: NodeJS.ProcessEnv = { ...process.env, CNLAB_STATE_DIR: await mkdtemp(join(tmpdir(), 'cnlab-cli-')), ...extraEnv };
  delete env.CNLAB_PROVIDER;
  return run(process.execPath, [join(projectRoot, 'server', 'cli.ts'), ...args], { env });
}

const noStackTrace = (output: string) => assert.doesNotMatch(output, /\n\s+at /);

test('an unknown provider is named, with the valid choices', async () => {
  const result = await cli(['cluster', 'up', '--provider', 'minikube']);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /unknown provider "minikube"/);
  assert.match(result.stderr, /auto, local, kind, kubeconfig/);
  noStackTrace(result.stderr);
});

test('status and down with no cluster say so', async () => {
  const status = await cli(['cluster', 'status']);
  assert.equal(status.code, 1);
  assert.match(status.stdout, /no cluster is up/);
  const down = await cli(['cluster', 'down']);
  assert.equal(down.code, 0);
  assert.match(down.stderr, /no cluster is up/);
});

test('a damaged cluster record is named in one line, with what to do', async () => {
  const stateDir = await mkdtemp(join(tmpdir(), 'cnlab-cli-'));
  const cases = [
    ['{"provider": "local", "kubecon', /is not JSON/, [['cluster', 'status'], ['cluster', 'down'], ['grade', '--lab', 'service-endpoints', '--namespace', 'x']]],
    ['{"provider": "minikube", "kubeconfig": "/x"}', /provider: Invalid option/, [['cluster', 'status']]],
  ] as const;
  for (const [content, why, commands] of cases) {
    await writeFile(join(stateDir, 'cluster.json'), content);
    for (const args of commands) {
      const result = await cli([...args], { CNLAB_STATE_DIR: stateDir });
      assert.equal(result.code, 1, args.join(' '));
      assert.match(result.stderr, new RegExp(`error: the cluster record ${join(stateDir, 'cluster.json')} is damaged`), args.join(' '));
      assert.match(result.stderr, why);
      assert.match(result.stderr, /what to do: delete it and run `cnlab cluster up` again/);
      noStackTrace(result.stderr);
    }
  }
});

test('the kubeconfig provider without a kubeconfig explains what to set', async () => {
  const result = await cli(['cluster', 'up', '--provider', 'kubeconfig'], { KUBECONFIG: '/nonexistent/kubeconfig' });
  assert.equal(result.code, 1);
  assert.match(result.stderr, /no kubeconfig found/);
  assert.match(result.stderr, /set KUBECONFIG/);
});

test('images server --push names what a push target lacks before anything is built', async () => {
  const result = await cli(['images', 'server', '--push', 'ghcr.io']);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /--push ghcr.io names no repository/);
  assert.match(result.stderr, /--push ghcr.io\/acme\/cnlab-server/);
  noStackTrace(result.stderr);
});

test('a missing Go toolchain is reported before anything is built', async () => {
  const result = await cli(['cluster', 'build'], {
    CNLAB_GO: '/nonexistent/go',
    CNLAB_CACHE_DIR: await mkdtemp(join(tmpdir(), 'cnlab-cache-')),
  });
  assert.equal(result.code, 1);
  assert.match(result.stderr, /CNLAB_GO="\/nonexistent\/go" cannot be run, and the local provider builds Kubernetes/);
  assert.match(result.stderr, /what to do: install Go/);
  noStackTrace(result.stderr);
});

test('an API port already taken is named before the control plane starts', async () => {
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  const port = (taken.address() as { port: number }).port;
  try {
    const result = await cli(['cluster', 'up', '--provider', 'local'], { CNLAB_API_PORT: String(port), CNLAB_CLUSTER_NAME: 'cnlab-port' });
    assert.equal(result.code, 1);
    assert.match(result.stderr, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use`));
  } finally {
    taken.close();
  }
});

test('a damaged binary in the cache is detected and rebuilt, not trusted', async () => {
  const cache = await mkdtemp(join(tmpdir(), 'cnlab-cache-'));
  const kwokDir = `kwok-${versions.kwok}`;
  await cp(join(cacheDir(), 'bin', kwokDir), join(cache, 'bin', kwokDir), { recursive: true });
  // The other components are shared read-only, so only kwok is rebuilt.
  for (const other of [`kubernetes-${versions.kubernetes}`, `etcd-${versions.etcd}`]) {
    await symlink(join(cacheDir(), 'bin', other), join(cache, 'bin', other));
  }
  const kwokctl = join(cache, 'bin', kwokDir, 'kwokctl');
  const original = (await stat(kwokctl)).size;
  await writeFile(kwokctl, (await readFile(kwokctl)).subarray(0, 1024), { mode: 0o755 });

  const result = await cli(['cluster', 'build'], { CNLAB_CACHE_DIR: cache });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, new RegExp(`${kwokDir}: cached binaries are incomplete; rebuilding`));
  assert.equal((await stat(kwokctl)).size, original);
});

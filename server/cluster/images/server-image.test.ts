// The server image as the Helm chart runs it: built by the catalogue's machinery from the npm
// build (its checks already ran node and the CLI inside it), holding node, the app, the site and
// the learner tools but no dev packages or tests, runnable from its unpacked layer, and pushed
// to another registry over the OCI distribution API byte for byte.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { run } from '../../exec.ts';
import { createSteps } from '../../steps.ts';
import { blobPath, type Manifest, readBlob, tagDigest } from './archive.ts';
import { MEDIA_TYPES } from './oci.ts';
import { remoteRegistry, type RunningRegistry, startRegistry } from './registry.ts';
import { runInImage } from './sandbox.ts';
import { buildServerImage, pushFromStorage, SERVER_IMAGE_PATHS, SERVER_IMAGE_USER, serverImageVersion } from './server-image.ts';

let dir: string;
let storageDir: string;
let built: Awaited<ReturnType<typeof buildServerImage>>;
let manifest: Manifest;
let files: Set<string>;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cnlab-server-image-'));
  storageDir = join(dir, 'storage');
  built = await buildServerImage(createSteps(() => undefined), storageDir);
  manifest = JSON.parse((await readBlob(storageDir, built.digest, 'the manifest')).toString('utf8')) as Manifest;
  const layer = manifest.layers[0]?.digest ?? '';
  const listed = await run('tar', ['-tzf', blobPath(storageDir, layer)]);
  assert.equal(listed.code, 0, listed.stderr);
  files = new Set(listed.stdout.split('\n').map((line) => line.replace(/^\.\//, '').replace(/\/$/, '')));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('the image is tagged with the server version and runs as the cnlab account, `cnlab start` by default', async () => {
  const version = await serverImageVersion();
  assert.deepEqual(built.references, [`docker.io/cnlab/server:${version}`]);
  assert.equal(await tagDigest(storageDir, 'docker.io/cnlab/server', version), built.digest);
  assert.equal(manifest.layers.length, 1);
  const config = JSON.parse((await readBlob(storageDir, manifest.config.digest, 'the config')).toString('utf8')) as { config: { User: string; Entrypoint: string[]; Cmd: string[]; Env: string[] } };
  assert.equal(config.config.User, `${SERVER_IMAGE_USER}:${SERVER_IMAGE_USER}`);
  assert.deepEqual(config.config.Entrypoint, [SERVER_IMAGE_PATHS.node, `${SERVER_IMAGE_PATHS.app}/server/cli.ts`]);
  assert.deepEqual(config.config.Cmd, ['start']);
  assert.ok(config.config.Env.includes(`CNLAB_CACHE_DIR=${SERVER_IMAGE_PATHS.cache}`));
});

test('it holds node, the server, the built site, the course, production packages and the learner tools; no dev packages, no tests', () => {
  const app = SERVER_IMAGE_PATHS.app.slice(1);
  for (const path of [
    SERVER_IMAGE_PATHS.node.slice(1),
    `${app}/package.json`,
    `${app}/server/cli.ts`,
    `${app}/server/sessions/learner-admission.yaml`,
    `${app}/dist/index.html`,
    `${app}/labs/deployment-rollout/lab.yaml`,
    `${app}/exams/kcna/README.md`,
    `${app}/content/curriculum.yaml`,
    `${app}/node_modules/fastify/package.json`,
    `${app}/node_modules/@kubernetes/client-node/package.json`,
    `${app}/node_modules/pg/package.json`,
    'usr/lib/x86_64-linux-gnu/libstdc++.so.6',
  ]) {
    assert.ok(files.has(path), `${path} is in the image`);
  }
  assert.ok([...files].some((path) => /^opt\/cnlab\/cache\/bin\/kubernetes-v[^/]+\/kubectl$/.test(path)), 'kubectl');
  assert.ok([...files].some((path) => /^opt\/cnlab\/cache\/bin\/helm-v[^/]+\/helm$/.test(path)), 'helm');
  for (const path of [`${app}/node_modules/typescript`, `${app}/node_modules/@playwright/test`, `${app}/node_modules/node`, `${app}/server/cli.test.ts`]) {
    assert.ok(!files.has(path), `${path} is not in the image`);
  }
  assert.ok(![...files].some((path) => path.endsWith('.test.ts')), 'no test files');
  // kube-apiserver and the rest of the control plane stay out: the server needs only the learner tools.
  assert.ok(![...files].some((path) => path.endsWith('/kube-apiserver')));
});

test('node and the server run from the unpacked layer, without the host\'s Node or packages', async () => {
  const root = join(dir, 'rootfs');
  await mkdir(root);
  const unpacked = await run('tar', ['-xzf', blobPath(storageDir, manifest.layers[0]?.digest ?? ''), '-C', root]);
  assert.equal(unpacked.code, 0, unpacked.stderr);
  const config = { Env: ['PATH=/usr/local/bin:/usr/bin:/bin', `CNLAB_CACHE_DIR=${SERVER_IMAGE_PATHS.cache}`] };
  const node = await runInImage(root, config, [SERVER_IMAGE_PATHS.node, '--version'], join(dir, 'node-version'));
  assert.equal(node.code, 0, node.output);
  const pinned = (JSON.parse(await readFile(join(import.meta.dirname, '..', '..', '..', 'package.json'), 'utf8')) as { dependencies: { node: string } }).dependencies.node;
  assert.equal(node.output.trim(), `v${pinned}`);
  const help = await runInImage(root, config, [SERVER_IMAGE_PATHS.node, `${SERVER_IMAGE_PATHS.app}/server/cli.ts`, 'images', '--help'], join(dir, 'cli-help'));
  assert.equal(help.code, 0, help.output);
  assert.match(help.output, /server .*platform's own server image/);
});

test('--push copies the image to another registry over the distribution API, with the same digest', async () => {
  let target: RunningRegistry | undefined;
  try {
    target = await startRegistry(join(dir, 'target'), dir, { readonly: false });
    const version = built.image.version;
    const digest = await pushFromStorage(storageDir, { repository: built.image.repository, tag: version }, remoteRegistry(`http://${target.address}`), 'platform/cnlab', [version]);
    assert.equal(digest, built.digest);
    const response = await fetch(`http://${target.address}/v2/platform/cnlab/manifests/${version}`, { headers: { accept: MEDIA_TYPES.manifest } });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('docker-content-digest'), built.digest);
    for (const part of [manifest.config, ...manifest.layers]) {
      assert.equal((await fetch(`http://${target.address}/v2/platform/cnlab/blobs/${part.digest}`, { method: 'HEAD' })).status, 200, part.digest);
    }
  } finally {
    await target?.stop();
  }
});

// Integration test of the catalogue as the node will see it: the built (or cached) catalogue,
// served by docker-registry with the read-only config the node runtime uses, answers every
// catalogued tag with an image whose config carries the true version, and a tag it does not
// have with 404, which is what makes a pod's ErrImagePull.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createSteps } from '../../steps.ts';
import { ensureNodeToolchain, ensureToolchain } from '../local/toolchain.ts';
import { catalogueBinaries, ensureImages, type ImageCache, registryConfig } from './build.ts';
import { MEDIA_TYPES } from './oci.ts';
import { freePort, REGISTRY_BINARY } from './registry.ts';

let cache: ImageCache;
let registry: ChildProcess;
let base: string;

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

before(async () => {
  const steps = createSteps();
  cache = await ensureImages(steps, { binaries: catalogueBinaries(await ensureNodeToolchain(steps), await ensureToolchain(steps)) });
  const address = `127.0.0.1:${await freePort()}`;
  const config = join(await mkdtemp(join(tmpdir(), 'cnlab-registry-')), 'config.yml');
  await writeFile(config, registryConfig(cache.storageDir, address));
  registry = spawn(REGISTRY_BINARY, ['serve', config], { stdio: 'ignore' });
  base = `http://${address}/v2`;
  await eventually('the registry to answer', async () => ((await fetch(`${base}/`).catch(() => undefined))?.status === 200 ? true : undefined));
});

after(() => {
  registry?.kill();
});

const manifestOf = (repository: string, tag: string) => fetch(`${base}/${repository}/manifests/${tag}`, { headers: { accept: MEDIA_TYPES.manifest } });

test('every catalogued tag is an amd64 image whose config names its true version', async () => {
  for (const image of cache.catalogue) {
    const digests = new Set<string>();
    for (const tag of image.tags) {
      const response = await manifestOf(image.repository, tag);
      assert.equal(response.status, 200, `${image.repository}:${tag}`);
      assert.equal(response.headers.get('content-type'), MEDIA_TYPES.manifest);
      digests.add(response.headers.get('docker-content-digest') ?? '');
      const manifest = (await response.json()) as { config: { digest: string }; layers: { digest: string; size: number }[] };
      const config = (await (await fetch(`${base}/${image.repository}/blobs/${manifest.config.digest}`)).json()) as {
        architecture: string;
        os: string;
        config: { Labels: Record<string, string>; Env?: string[] };
      };
      assert.equal(config.architecture, 'amd64');
      assert.equal(config.os, 'linux');
      assert.equal(config.config.Labels['org.opencontainers.image.version'], image.version, `${image.repository}:${tag}`);
      if (image.debian) assert.match(config.config.Labels['io.cnlab.debian.sources'] ?? '', /\S+=\S+/);
      for (const layer of manifest.layers) {
        const head = await fetch(`${base}/${image.repository}/blobs/${layer.digest}`, { method: 'HEAD' });
        assert.equal(head.status, 200);
        assert.equal(Number(head.headers.get('content-length')), layer.size);
      }
    }
    assert.equal(digests.size, 1, `the tags of ${image.repository} ${image.version} are one image`);
  }
});

test('a tag or repository the catalogue lacks is a 404, as upstream answers it', async () => {
  const missingTag = await manifestOf('docker.io/library/nginx', '0.0.1');
  assert.equal(missingTag.status, 404);
  assert.equal(((await missingTag.json()) as { errors: { code: string }[] }).errors[0]?.code, 'MANIFEST_UNKNOWN');
  const missingRepository = await manifestOf('docker.io/library/postgres', '16');
  assert.equal(missingRepository.status, 404);
  // distribution 2.8 answers an unknown repository's manifest as unknown too.
  assert.match(((await missingRepository.json()) as { errors: { code: string }[] }).errors[0]?.code ?? '', /^(MANIFEST|NAME)_UNKNOWN$/);
});

test('the registry refuses uploads: clusters cannot change the catalogue', async () => {
  const upload = await fetch(`${base}/docker.io/library/nginx/blobs/uploads/`, { method: 'POST' });
  assert.equal(upload.status, 405);
});

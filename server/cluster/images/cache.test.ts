// The cache's promises, on a one-image catalogue made from a binary (seconds, no Debian mirror):
// built once, trusted only when complete, rebuilt when its input changes, instant when warm.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { after, before, test } from 'node:test';
import { CnlabError } from '../../errors.ts';
import { run } from '../../exec.ts';
import { createSteps } from '../../steps.ts';
import { cachedImages, ensureImages } from './build.ts';
import { MEDIA_TYPES } from './oci.ts';
import { type RunningRegistry, startRegistry } from './registry.ts';

const scratch = await mkdtemp(join(tmpdir(), 'cnlab-images-cache-'));
process.env.CNLAB_CACHE_DIR = join(scratch, 'cache');
const catalogueFile = join(scratch, 'catalogue.yaml');
const binary = join(scratch, 'hello');
const lines: string[] = [];
const steps = createSteps((line) => lines.push(line));

async function compileHello(greeting: string): Promise<void> {
  await writeFile(join(scratch, 'hello.c'), `#include <stdio.h>\nint main(void) { puts("${greeting}"); return 0; }\n`);
  const compiled = await run('gcc', ['-Os', '-static', '-o', binary, join(scratch, 'hello.c')]);
  assert.equal(compiled.code, 0, compiled.stderr);
}

let registry: RunningRegistry | undefined;

before(async () => {
  await compileHello('hello 1.0');
  await writeFile(
    catalogueFile,
    [
      'suites: {}',
      'baseImage: { passwd: [], group: [], files: [] }',
      'prune: []',
      'images:',
      '  - repository: docker.io/cnlab/hello',
      '    binary: { name: hello, output: /hello }',
      '    base: false',
      '    config: { Entrypoint: [/hello] }',
      "    checks: [{ run: [/hello], expect: '^hello {{version}}\\n$' }]",
      "    versions: [{ version: '1.0', tags: ['1.0', '1'] }]",
      '',
    ].join('\n'),
  );
});

after(async () => {
  await registry?.stop();
});

test('a binary image needs its binary', async () => {
  await assert.rejects(ensureImages(steps, { catalogueFile }), (error: unknown) => error instanceof CnlabError && /binary "hello", which was not given/.test(error.message));
  assert.equal(await cachedImages({ catalogueFile }), undefined);
});

test('the build removes what an interrupted one left, and then the cache is complete and warm', async () => {
  const gone = spawn('true');
  const deadPid = await new Promise<number>((resolve) => gone.on('exit', () => resolve(gone.pid ?? 0)));
  const leftover = join(process.env.CNLAB_CACHE_DIR ?? '', 'images', `0123456789abcdef.partial-${deadPid}`);
  await mkdir(join(leftover, 'registry'), { recursive: true });

  const built = await ensureImages(steps, { catalogueFile, binaries: { hello: binary } });
  assert.deepEqual(built.catalogue.map((image) => image.references), [['docker.io/cnlab/hello:1.0', 'docker.io/cnlab/hello:1']]);
  assert.ok(!(await readdir(join(process.env.CNLAB_CACHE_DIR ?? '', 'images'))).some((name) => name.includes('.partial-')), 'no partial folder is left');
  assert.deepEqual(await cachedImages({ catalogueFile }), built);

  const started = performance.now();
  assert.deepEqual(await ensureImages(steps, { catalogueFile, binaries: { hello: binary } }), built);
  const warmMs = performance.now() - started;
  assert.ok(warmMs < 50, `a warm ensureImages took ${warmMs.toFixed(1)} ms`);

  registry = await startRegistry(built.storageDir, scratch, { readonly: true });
  const manifest = await fetch(`http://${registry.address}/v2/docker.io/cnlab/hello/manifests/1`, { headers: { accept: MEDIA_TYPES.manifest } });
  assert.equal(manifest.status, 200);
  const { config } = (await manifest.json()) as { config: { digest: string } };
  const image = (await (await fetch(`http://${registry.address}/v2/docker.io/cnlab/hello/blobs/${config.digest}`)).json()) as {
    config: { Entrypoint: string[]; Labels: Record<string, string> };
  };
  assert.deepEqual(image.config.Entrypoint, ['/hello']);
  assert.equal(image.config.Labels['org.opencontainers.image.version'], '1.0');
  await registry.stop();
  registry = undefined;
});

test('another binary means another build; a check that fails publishes nothing', async () => {
  const before = await cachedImages({ catalogueFile });
  await compileHello('hello 1.0 again');
  await assert.rejects(ensureImages(steps, { catalogueFile, binaries: { hello: binary } }), (error: unknown) => error instanceof CnlabError && /the check `\/hello` ended with 0/.test(error.message));
  assert.ok(lines.some((line) => line.includes('from other binaries; building it again')));
  assert.ok(!(await readdir(join(process.env.CNLAB_CACHE_DIR ?? '', 'images'))).some((name) => name.includes('.partial-')), 'the failed build left nothing');
  assert.deepEqual(await cachedImages({ catalogueFile }), before, 'the previous build stays until a new one completes');

  await compileHello('hello 1.0');
  const rebuilt = await ensureImages(steps, { catalogueFile, binaries: { hello: binary } });
  assert.equal(rebuilt.storageDir, before?.storageDir);
});

// Layers are reproducible: the same files give the same digests whenever and in whatever order
// they were written, and paths resolve inside the image as the container will see them.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, symlink, utimes, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { run } from '../../exec.ts';
import { writeLayer } from './oci.ts';
import { hostPath } from './rootfs.ts';

const scratch = await mkdtemp(join(tmpdir(), 'cnlab-layer-'));

async function tree(name: string, reversed: boolean, time: number): Promise<string> {
  const root = join(scratch, name);
  const steps = [
    async () => {
      await mkdir(join(root, 'usr', 'bin'), { recursive: true });
      await writeFile(join(root, 'usr', 'bin', 'tool'), '#!/bin/sh\necho tool\n');
      await chmod(join(root, 'usr', 'bin', 'tool'), 0o755);
    },
    async () => {
      await mkdir(join(root, 'etc'), { recursive: true });
      await writeFile(join(root, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
    },
    async () => {
      await mkdir(join(root, 'data'), { recursive: true });
      await writeFile(join(root, 'data', 'seed'), 'x');
    },
  ];
  for (const step of reversed ? steps.reverse() : steps) await step();
  await mkdir(join(root, 'usr', 'lib'), { recursive: true });
  await symlink('usr/bin', join(root, 'bin'));
  for (const path of ['usr/bin/tool', 'etc/passwd', 'data/seed', 'etc', 'data']) await utimes(join(root, path), time, time);
  const out = join(scratch, `${name}-out`);
  await mkdir(out);
  return out;
}

test('the same files give the same layer digests, whatever their times and creation order', async () => {
  const owned = new Map([['data', '999:999']]);
  const first = await writeLayer(join(scratch, 'a'), await tree('a', false, 1_600_000_000), owned);
  const second = await writeLayer(join(scratch, 'b'), await tree('b', true, 1_700_000_000), owned);
  assert.equal(first.layer.digest, second.layer.digest);
  assert.equal(first.diffId, second.diffId);
  assert.notEqual(first.diffId, first.layer.digest, 'the diff id is of the uncompressed tar');

  const listing = await run('tar', ['-tvzf', first.layer.path]);
  assert.equal(listing.code, 0, listing.stderr);
  const lines = listing.stdout.trim().split('\n');
  const owner = (path: string) => lines.find((line) => line.split(/\s+/)[5] === path)?.split(/\s+/)[1];
  assert.equal(owner('usr/bin/tool'), '0/0');
  assert.equal(owner('data/'), '999/999');
  assert.equal(owner('data/seed'), '999/999', 'the owner applies to what is inside too');
  assert.ok(lines.every((line) => line.includes('1970-01-01')), 'every entry has the fixed time');
  assert.ok(lines.some((line) => line.startsWith('lrwxrwxrwx') && line.endsWith('bin -> usr/bin')));
});

test('a different file gives a different layer', async () => {
  const out = await tree('c', false, 1_600_000_000);
  await writeFile(join(scratch, 'c', 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/ash\n');
  const changed = await writeLayer(join(scratch, 'c'), out);
  const original = await writeLayer(join(scratch, 'a'), join(scratch, 'a-out'));
  assert.notEqual(changed.layer.digest, original.layer.digest);
});

test('image paths resolve through links inside the image, never out of it', async () => {
  const root = join(scratch, 'links');
  await mkdir(join(root, 'run'), { recursive: true });
  await mkdir(join(root, 'var'), { recursive: true });
  await mkdir(join(root, 'usr', 'bin'), { recursive: true });
  await symlink('/run', join(root, 'var', 'run'));
  await symlink('usr/bin', join(root, 'bin'));
  await symlink('../../etc', join(root, 'usr', 'bin', 'up'));
  assert.equal(await hostPath(root, '/var/run/nginx.pid'), join(root, 'run', 'nginx.pid'));
  assert.equal(await hostPath(root, '/bin/sh'), join(root, 'usr', 'bin', 'sh'));
  assert.equal(await hostPath(root, '/bin/up/passwd'), join(root, 'etc', 'passwd'));
  assert.equal(await hostPath(root, '/../../etc/passwd'), join(root, 'etc', 'passwd'));
  assert.equal(await hostPath(root, '/var/run'), join(root, 'var', 'run'), 'the last part is the link itself');
});

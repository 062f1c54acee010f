// OCI image parts: a root file system as one reproducible gzipped tar layer, the image config
// and the manifest, each a content-addressed blob.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CnlabError } from '../../errors.ts';
import { run, tail } from '../../exec.ts';
import type { ImageConfig } from './catalogue.ts';

export const MEDIA_TYPES = {
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
} as const;

export type Blob = { mediaType: string; digest: string; size: number; path: string };

// Every file gets this time: an image's bytes depend on the catalogue, not on when it was built.
const MTIME = 0;

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

async function tool(command: string, args: string[]): Promise<void> {
  const result = await run(command, args).catch(() => {
    throw new CnlabError(`${command} cannot be run`, `install GNU ${command}: it writes the image layers`);
  });
  if (result.code !== 0) throw new CnlabError(`${command} ${args[0]} failed writing an image layer:\n${tail(result.stderr)}`);
}

/**
 * Tars `root` into `outDir` with GNU tar: sorted names, fixed time, owner root except for the
 * paths in `owned` (path inside root -> "uid:gid", applied to everything under it), then gzip -n.
 * The same files always give the same bytes. Returns the layer blob and its uncompressed digest.
 */
export async function writeLayer(root: string, outDir: string, owned: Map<string, string> = new Map()): Promise<{ layer: Blob; diffId: string }> {
  const tar = join(outDir, 'layer.tar');
  const common = ['--format=gnu', '--sort=name', '--numeric-owner', `--mtime=@${MTIME}`, '-C', root];
  const topLevel = (await readdir(root)).sort();
  // Paths with another owner are left out first, then appended with that owner.
  const excluded = [...owned.keys()].flatMap((path) => [`--exclude=${path}`]);
  await tool('tar', ['-c', '-f', tar, ...common, '--owner=0', '--group=0', '--anchored', '--no-wildcards', ...excluded, '--', ...topLevel]);
  for (const [path, owner] of [...owned].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const [uid, gid] = owner.split(':');
    await tool('tar', ['-r', '-f', tar, ...common, `--owner=${uid}`, `--group=${gid}`, '--', path]);
  }
  const diffId = await sha256(tar);
  await tool('gzip', ['-n', '-f', tar]);
  const path = `${tar}.gz`;
  return { layer: { mediaType: MEDIA_TYPES.layer, digest: await sha256(path), size: (await stat(path)).size, path }, diffId };
}

async function writeJson(outDir: string, name: string, mediaType: string, value: unknown): Promise<Blob> {
  const bytes = Buffer.from(JSON.stringify(value));
  const path = join(outDir, name);
  await writeFile(path, bytes);
  return { mediaType, digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`, size: bytes.length, path };
}

const asSet = (items: string[] | undefined) => (items ? Object.fromEntries(items.map((item) => [item, {}])) : undefined);

/** The image config (application/vnd.oci.image.config.v1+json) for a one-layer amd64 image. */
export async function writeConfig(outDir: string, config: ImageConfig, labels: Record<string, string>, diffId: string, createdBy: string): Promise<Blob> {
  return writeJson(outDir, 'config.json', MEDIA_TYPES.config, {
    architecture: 'amd64',
    os: 'linux',
    config: {
      User: config.User,
      Env: config.Env,
      Entrypoint: config.Entrypoint,
      Cmd: config.Cmd,
      WorkingDir: config.WorkingDir,
      ExposedPorts: asSet(config.ExposedPorts),
      Volumes: asSet(config.Volumes),
      StopSignal: config.StopSignal,
      Labels: labels,
    },
    rootfs: { type: 'layers', diff_ids: [diffId] },
    history: [{ created_by: createdBy }],
  });
}

export async function writeManifest(outDir: string, config: Blob, layer: Blob): Promise<Blob> {
  const descriptor = (blob: Blob) => ({ mediaType: blob.mediaType, digest: blob.digest, size: blob.size });
  return writeJson(outDir, 'manifest.json', MEDIA_TYPES.manifest, {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.manifest,
    config: descriptor(config),
    layers: [descriptor(layer)],
  });
}

// The catalogue as an OCI image-layout tar, for clusters whose nodes cannot pull from our
// registry: `kind load image-archive` hands it to the node's `ctr images import`. The tar is
// made from the registry's own storage (distribution's filesystem layout), so the images are
// byte for byte the ones the local cluster pulls.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CnlabError } from '../../errors.ts';
import { run, tail } from '../../exec.ts';
import type { CatalogueImage } from './catalogue.ts';
import { MEDIA_TYPES } from './oci.ts';

type Descriptor = { mediaType: string; digest: string; size: number; annotations?: Record<string, string> };
export type Manifest = { config: Descriptor; layers: Descriptor[] };

const v2 = (storageDir: string) => join(storageDir, 'docker', 'registry', 'v2');
/** Where distribution's filesystem storage keeps a blob. */
export const blobPath = (storageDir: string, digest: string) => {
  const hex = digest.replace(/^sha256:/, '');
  return join(v2(storageDir), 'blobs', 'sha256', hex.slice(0, 2), hex, 'data');
};

export async function readBlob(storageDir: string, digest: string, what: string): Promise<Buffer> {
  const path = blobPath(storageDir, digest);
  if (!existsSync(path)) throw new CnlabError(`the image cache lacks ${what} (${digest})`, 'run `cnlab images build` to rebuild the catalogue');
  return readFile(path);
}

/** The manifest digest a tag points at in the registry's storage. */
export async function tagDigest(storageDir: string, repository: string, tag: string): Promise<string> {
  const link = join(v2(storageDir), 'repositories', repository, '_manifests', 'tags', tag, 'current', 'link');
  const digest = (await readFile(link, 'utf8').catch(() => '')).trim();
  if (!/^sha256:[0-9a-f]{64}$/.test(digest)) throw new CnlabError(`the image cache has no ${repository}:${tag}`, 'run `cnlab images build` to rebuild the catalogue');
  return digest;
}

/**
 * Writes `images` (every tag of each) from the registry storage at `storageDir` to `file` as an
 * OCI image layout. Each tag is an index entry named with containerd's full-reference annotation
 * (docker.io/library/nginx:1.26), which `ctr images import` uses as the image name.
 */
export async function writeImageArchive(storageDir: string, images: CatalogueImage[], file: string): Promise<void> {
  const staging = await mkdtemp(join(tmpdir(), 'cnlab-archive-'));
  try {
    const blobs = new Set<string>();
    const manifests: Descriptor[] = [];
    for (const image of images) {
      for (const tag of image.tags) {
        const digest = await tagDigest(storageDir, image.repository, tag);
        const bytes = await readBlob(storageDir, digest, `the manifest of ${image.repository}:${tag}`);
        const manifest = JSON.parse(bytes.toString('utf8')) as Manifest;
        for (const part of [manifest.config, ...manifest.layers]) {
          if (!existsSync(blobPath(storageDir, part.digest))) throw new CnlabError(`the image cache lacks a blob of ${image.repository}:${tag} (${part.digest})`, 'run `cnlab images build` to rebuild the catalogue');
          blobs.add(part.digest);
        }
        blobs.add(digest);
        manifests.push({
          mediaType: MEDIA_TYPES.manifest,
          digest,
          size: bytes.length,
          annotations: { 'io.containerd.image.name': `${image.repository}:${tag}`, 'org.opencontainers.image.ref.name': tag },
        });
      }
    }
    await writeFile(join(staging, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    await writeFile(join(staging, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }));
    await mkdir(join(staging, 'blobs', 'sha256'), { recursive: true });
    // Links, not copies: tar follows them (-h), so the cache is read once, straight into the archive.
    for (const digest of blobs) await symlink(blobPath(storageDir, digest), join(staging, 'blobs', 'sha256', digest.replace(/^sha256:/, '')));
    const tarred = await run('tar', ['-c', '-h', '-f', file, '--format=posix', '-C', staging, 'oci-layout', 'index.json', 'blobs']);
    if (tarred.code !== 0) throw new CnlabError(`could not write the image archive ${file}:\n${tail(tarred.stderr)}`);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

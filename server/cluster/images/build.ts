// The image catalogue of the embedded cluster's node, built once into a registry's storage.
//
// Repositories keep their upstream host (docker.io/library/nginx); see registry.ts.
//
// For the node runtime:
//   ensureImages(steps, { binaries })      builds what is missing and returns the cache; warm, it
//                                          returns at once. `binaries` names the files of catalogue
//                                          images of the `binary` kind (the add-ons' CoreDNS,
//                                          metrics-server and local-path-provisioner, the shell's kubectl): pass
//                                          catalogueBinaries(nodeToolchain, toolchain).
//   cachedImages()                         the cache if it is complete, without building.
//   ImageCache                             { storageDir, catalogue }: serve storageDir with
//   registryConfig(storageDir, address)    this read-only docker-registry config (run it with
//                                          `/usr/bin/docker-registry serve FILE`), and point
//   mirrorHosts(registryAddress)           containerd's certs.d/<host>/hosts.toml at it.
//
// The cache is <cache>/images/<id>/, where id hashes catalogue.yaml, the source of the modules
// that decide an image's bytes (BUILDER_SOURCES) and the Kubernetes version (pause is compiled
// from its source): no edit of the catalogue or of the builder goes unbuilt. A folder is trusted
// only when its stamp, written last, names that id; an interrupted build leaves a .partial
// folder that the next build removes and starts again. Debian's package lists and .debs are kept
// across builds in <cache>/images/apt/<suite>/. Folders of earlier catalogues stay (a running
// cluster may serve one); deleting <cache>/images frees them.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rename, rm, stat, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { CnlabError } from '../../errors.ts';
import { run, tail } from '../../exec.ts';
import { findGo } from '../../go.ts';
import { cacheDir } from '../../paths.ts';
import { isAlive } from '../../process.ts';
import type { Steps } from '../../steps.ts';
import { versions } from '../../versions.ts';
import { type CatalogueImage, catalogueFile as defaultCatalogue, type LoadedCatalogue, loadCatalogue, parseCatalogue } from './catalogue.ts';
import { runCheck } from './sandbox.ts';
import { type DebPackage, fetchPackages, type Suite, unpack, updateSuite, upstreamVersion } from './debian.ts';
import { writeConfig, writeLayer, writeManifest } from './oci.ts';
import { localRegistry, pushImage, startRegistry } from './registry.ts';
import { finishRootfs, mergedUsr } from './rootfs.ts';

export { mirrorHosts, registryConfig } from './registry.ts';
export type { CatalogueImage } from './catalogue.ts';

export type ImageCache = { storageDir: string; catalogue: CatalogueImage[] };

/**
 * The files for the catalogue's `binary` images from the toolchains' paths (the NodeToolchain's
 * add-ons, the Toolchain's kubectl for the learner's shell image):
 * ensureImages(steps, { binaries: catalogueBinaries(nodeToolchain, toolchain) }).
 */
export function catalogueBinaries(node: { coredns: string; metricsServer: string; localPathProvisioner: string }, toolchain: { kubectl: string }): Record<string, string> {
  return { coredns: node.coredns, 'metrics-server': node.metricsServer, 'local-path-provisioner': node.localPathProvisioner, kubectl: toolchain.kubectl };
}

export type EnsureOptions = {
  /** Files for the catalogue's `binary` images, by name. */
  binaries?: Record<string, string>;
  /** Another catalogue than server/cluster/images/catalogue.yaml, for tests. */
  catalogueFile?: string;
};

const BUILDER_SOURCES = ['build.ts', 'debian.ts', 'rootfs.ts', 'oci.ts'].map((name) => join(import.meta.dirname, name));
const STAMP = 'cnlab-complete.json';

export type BuiltImage = { references: string[]; digest: string; size: number };
/** Written last into a complete cache folder, with the catalogue it was built from. */
type Stamp = { id: string; binaries: Record<string, string>; images: BuiltImage[]; catalogue: CatalogueImage[] };

const imagesRoot = () => join(cacheDir(), 'images');

/**
 * The catalogue's text and the id of its cache folder. Any edit of the file, even of a comment,
 * means a new build; the id is known without parsing, so a warm cache is found at once.
 */
async function identify(file: string): Promise<{ text: string; id: string; folder: string }> {
  const text = await readFile(file, 'utf8');
  const hash = createHash('sha256').update(`${text}\n${versions.kubernetes}\n`);
  for (const source of BUILDER_SOURCES) hash.update(await readFile(source));
  const id = hash.digest('hex').slice(0, 16);
  return { text, id, folder: join(imagesRoot(), id) };
}

// A binary is identified by path, size and modification time: hashing tens of megabytes would
// break the promise that a warm ensureImages returns at once.
async function fingerprints(images: CatalogueImage[], binaries: Record<string, string>): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  for (const image of images) {
    if (!image.binary) continue;
    const path = binaries[image.binary.name];
    if (!path) {
      throw new CnlabError(
        `${image.references[0]} is made from the binary "${image.binary.name}", which was not given`,
        `pass it: ensureImages(steps, { binaries: { ${image.binary.name}: '/path/to/it' } }); catalogueBinaries(nodeToolchain) gives all of them`,
      );
    }
    const info = await stat(path).catch(() => {
      throw new CnlabError(`the binary for ${image.references[0]} does not exist: ${path}`, 'build it first');
    });
    result[image.binary.name] = `${path}:${info.size}:${info.mtimeMs}`;
  }
  return result;
}

const sameBinaries = (stamp: Stamp, binaries: Record<string, string>) => JSON.stringify(stamp.binaries) === JSON.stringify(binaries);

async function readStamp(folder: string, id: string): Promise<Stamp | undefined> {
  try {
    const stamp = JSON.parse(await readFile(join(folder, STAMP), 'utf8')) as Stamp;
    return stamp.id === id && Array.isArray(stamp.catalogue) && existsSync(join(folder, 'registry', 'docker', 'registry', 'v2', 'repositories')) ? stamp : undefined;
  } catch {
    return undefined;
  }
}

/** The built catalogue, if complete; builds nothing. Binary images are taken as built from whatever was given then. */
export async function cachedImages(options: Pick<EnsureOptions, 'catalogueFile'> = {}): Promise<ImageCache | undefined> {
  const { id, folder } = await identify(options.catalogueFile ?? defaultCatalogue);
  const stamp = await readStamp(folder, id);
  return stamp ? { storageDir: join(folder, 'registry'), catalogue: stamp.catalogue } : undefined;
}

/** Builds the catalogue unless its cache is complete (and made from the same binaries), then returns it. */
export async function ensureImages(steps: Steps, options: EnsureOptions = {}): Promise<ImageCache> {
  const file = options.catalogueFile ?? defaultCatalogue;
  const { text, id, folder } = await identify(file);
  const storageDir = join(folder, 'registry');
  const stamp = await readStamp(folder, id);
  if (stamp && sameBinaries(stamp, await fingerprints(stamp.catalogue, options.binaries ?? {}))) return { storageDir, catalogue: stamp.catalogue };
  const loaded = parseCatalogue(file, text);
  const binaries = await fingerprints(loaded.images, options.binaries ?? {});
  if (existsSync(folder)) steps.info(`images: the cache in ${folder} is incomplete or from other binaries; building it again`);
  const built = await build(loaded, id, folder, binaries, options.binaries ?? {}, steps);
  return { storageDir, catalogue: built.catalogue };
}

/** Whether each catalogue image is built, for `cnlab images list`. */
export async function describeImages(): Promise<{ image: CatalogueImage; source: string; built: BuiltImage | undefined }[]> {
  const loaded = await loadCatalogue();
  const { id, folder } = await identify(defaultCatalogue);
  const stamp = await readStamp(folder, id);
  return loaded.images.map((image) => ({
    image,
    source: [
      image.debian && `debian ${image.suite}: ${image.debian.packages.join(' ')}`,
      image.compile && `kubernetes ${versions.kubernetes}: gcc ${image.compile.source}`,
      image.binary && `binary ${image.binary.name}`,
    ]
      .filter(Boolean)
      .join(', '),
    built: stamp?.images.find((built) => built.references[0] === image.references[0]),
  }));
}

async function removeAbandoned(root: string): Promise<void> {
  for (const entry of await readdir(root)) {
    const owner = Number(entry.includes('.partial-') ? entry.split('.partial-')[1] : Number.NaN);
    if (Number.isInteger(owner) && owner !== process.pid && !isAlive(owner)) await rm(join(root, entry), { recursive: true, force: true });
  }
}

async function build(loaded: LoadedCatalogue, id: string, folder: string, binaries: Record<string, string>, binaryPaths: Record<string, string>, steps: Steps): Promise<Stamp> {
  const root = imagesRoot();
  await mkdir(root, { recursive: true });
  // Leftovers of an interrupted build are never reused; a build still running elsewhere is left alone.
  await removeAbandoned(root);
  const work = `${folder}.partial-${process.pid}`;
  await rm(work, { recursive: true, force: true });
  await mkdir(join(work, 'registry'), { recursive: true });
  const context: BuildContext = { loaded, work, binaryPaths, updated: new Set(), kubernetesDir: undefined };

  const built: BuiltImage[] = [];
  try {
    const registry = await startRegistry(join(work, 'registry'), work, { readonly: false });
    try {
      for (const [index, image] of loaded.images.entries()) {
        const label = `image ${index + 1}/${loaded.images.length} ${image.repository}:${image.version}`;
        built.push(await steps.step(label, () => buildImage(context, image, join(work, 'build', String(index)), registry.address)));
      }
    } finally {
      await registry.stop();
    }
  } catch (error) {
    // Nothing of a failed build is reused: the next one starts from the catalogue again.
    await rm(work, { recursive: true, force: true });
    throw error;
  }
  await rm(join(work, 'build'), { recursive: true, force: true });
  const text = `${JSON.stringify({ id, binaries, images: built, catalogue: loaded.images } satisfies Stamp, null, 2)}\n`;
  await writeFile(join(work, STAMP), text);
  const finishedElsewhere = await readStamp(folder, id);
  if (finishedElsewhere && sameBinaries(finishedElsewhere, binaries)) {
    // Another process built the same catalogue meanwhile, and a cluster may already serve it.
    await rm(work, { recursive: true, force: true });
  } else {
    await rm(folder, { recursive: true, force: true });
    await rename(work, folder);
  }
  const total = built.reduce((sum, image) => sum + image.size, 0);
  steps.info(`images: ${built.length} built, ${(total / 1e6).toFixed(1)} MB compressed, in ${folder}`);
  // As the stamp keeps it, so a cold and a warm call return the same value.
  return JSON.parse(text) as Stamp;
}

type BuildContext = {
  loaded: LoadedCatalogue;
  work: string;
  binaryPaths: Record<string, string>;
  /** Suites whose package lists this build fetched already. */
  updated: Set<string>;
  kubernetesDir: string | undefined;
};

/**
 * One image outside the catalogue (the platform's own server image): built like the catalogue's,
 * from its Debian suites, base files and pruning, with `addFiles` putting the image's own files
 * into its root file system, then pushed into the registry storage at `storageDir`.
 */
export async function buildImageInto(steps: Steps, image: CatalogueImage, addFiles: (rootfs: string) => Promise<void>, storageDir: string): Promise<BuiltImage> {
  await mkdir(imagesRoot(), { recursive: true });
  const work = join(imagesRoot(), `${image.repository.replaceAll('/', '_')}.partial-${process.pid}`);
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  const context: BuildContext = { loaded: await loadCatalogue(), work, binaryPaths: {}, updated: new Set(), kubernetesDir: undefined };
  try {
    const registry = await startRegistry(storageDir, work, { readonly: false });
    try {
      return await steps.step(`image ${image.references.join(', ')}`, () => buildImage(context, image, join(work, 'build'), registry.address, addFiles));
    } finally {
      await registry.stop();
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function buildImage(context: BuildContext, image: CatalogueImage, dir: string, registryAddress: string, addFiles?: (rootfs: string) => Promise<void>): Promise<BuiltImage> {
  const rootfs = join(dir, 'rootfs');
  await mkdir(rootfs, { recursive: true });
  const labels: Record<string, string> = { 'org.opencontainers.image.version': image.version };
  const origin: string[] = [];

  if (image.debian) {
    const packages = await debianPackages(context, image, dir);
    await mergedUsr(rootfs);
    for (const deb of packages) await unpack(deb.file, rootfs);
    const sources = [...new Map(packages.map((deb) => [deb.source.name, deb.source.version])).entries()].sort(([a], [b]) => (a < b ? -1 : 1));
    labels['io.cnlab.debian.suite'] = image.suite ?? '';
    labels['io.cnlab.debian.sources'] = sources.map(([name, version]) => `${name}=${version}`).join(' ');
    origin.push(`Debian ${image.suite} packages ${packages.map((deb) => `${deb.name}=${deb.version}`).join(' ')}`);
  }
  if (image.compile) {
    const source = await kubernetesSource(context, image.compile.source, image.compile.sha256);
    const output = join(rootfs, image.compile.output);
    await mkdir(join(output, '..'), { recursive: true });
    const compiled = await run('gcc', [...image.compile.flags, '-o', output, source]).catch(() => {
      throw new CnlabError(`gcc cannot be run: ${image.references[0]} is compiled from ${image.compile?.source}`, 'install it: sudo apt-get install gcc libc6-dev');
    });
    if (compiled.code !== 0) throw new CnlabError(`gcc failed compiling ${image.compile.source}:\n${tail(compiled.stderr)}`, 'a static build needs libc6-dev (libc.a): sudo apt-get install libc6-dev');
    // As build/pause/Makefile does.
    const stripped = await run('strip', [output]);
    if (stripped.code !== 0) throw new CnlabError(`strip failed on ${image.compile.output}:\n${tail(stripped.stderr)}`, 'install binutils');
    labels['io.cnlab.kubernetes.source'] = `k8s.io/kubernetes@${versions.kubernetes} ${image.compile.source}`;
    origin.push(`gcc ${image.compile.flags.join(' ')} ${image.compile.source} of k8s.io/kubernetes@${versions.kubernetes}`);
  }
  if (image.binary) {
    const output = join(rootfs, image.binary.output);
    await mkdir(join(output, '..'), { recursive: true });
    await copyFile(context.binaryPaths[image.binary.name] ?? '', output);
    await chmod(output, 0o755);
    origin.push(`the binary ${image.binary.name}`);
  }
  if (addFiles) {
    await addFiles(rootfs);
    origin.push(`the files of ${image.repository}`);
  }

  const owned = await finishRootfs(rootfs, image, context.loaded.catalogue, dir);
  const { layer, diffId } = await writeLayer(rootfs, dir, owned);
  const config = await writeConfig(dir, image.config, labels, diffId, `cnlab: ${origin.join('; ')}`);
  const manifest = await writeManifest(dir, config, layer);
  // After the layer is written: a check may leave files behind (pid files, a database).
  for (const check of image.checks) await runCheck(rootfs, image, check, join(dir, 'check-output'));
  await pushImage(localRegistry(registryAddress), image.repository, image.tags, [layer, config], manifest);
  await rm(dir, { recursive: true, force: true });
  return { references: image.references, digest: manifest.digest, size: layer.size + config.size + manifest.size };
}

async function debianPackages(context: BuildContext, image: CatalogueImage, dir: string): Promise<DebPackage[]> {
  const debian = image.debian;
  const suiteName = image.suite ?? '';
  const suite: Suite = { name: suiteName, sources: context.loaded.catalogue.suites[suiteName] ?? [], dir: join(imagesRoot(), 'apt', suiteName) };
  if (!debian) return [];
  if (!context.updated.has(suiteName)) {
    await updateSuite(suite);
    context.updated.add(suiteName);
  }
  const packages = await fetchPackages(suite, debian.packages, debian.omit, join(dir, 'apt'));
  const pinned = packages.find((deb) => deb.name === debian.versionOf);
  if (debian.versionOf && upstreamVersion(pinned?.version ?? '') !== image.version) {
    throw new CnlabError(
      `${image.references[0]}: Debian ${suiteName}'s ${debian.versionOf} is ${pinned?.version ?? 'missing'}, not version ${image.version}`,
      'the tags would lie about the version: update the version and its tags in server/cluster/images/catalogue.yaml to what Debian ships',
    );
  }
  return packages;
}

/** A file of the Kubernetes source tree, from the Go module cache, checked against its sha256. */
async function kubernetesSource(context: BuildContext, file: string, sha256: string): Promise<string> {
  if (!context.kubernetesDir) {
    const go = await findGo(`the pause image is compiled from the Kubernetes ${versions.kubernetes} source it downloads`);
    const downloaded = await run(go.bin, ['mod', 'download', '-json', `k8s.io/kubernetes@${versions.kubernetes}`], { env: go.env, cwd: context.work });
    const dir = downloaded.code === 0 ? (JSON.parse(downloaded.stdout) as { Dir?: string }).Dir : undefined;
    if (!dir) {
      throw new CnlabError(
        `\`go mod download k8s.io/kubernetes@${versions.kubernetes}\` failed:\n${tail(downloaded.stderr || downloaded.stdout)}`,
        'check that the Go module proxy is reachable (go env GOPROXY), then build again',
      );
    }
    context.kubernetesDir = dir;
  }
  const path = join(context.kubernetesDir, file);
  const actual = createHash('sha256').update(await readFile(path)).digest('hex');
  if (actual !== sha256) {
    throw new CnlabError(
      `${file} of Kubernetes ${versions.kubernetes} has sha256 ${actual}, not the ${sha256} the catalogue was written for`,
      'the source changed: check which versions it now makes, then update the sha256 and versions in server/cluster/images/catalogue.yaml',
    );
  }
  return path;
}

// The platform's own image: the server as `cnlab start` runs it, on a Debian base with the Node
// the project pins (the `node` npm package's binary), the production npm packages, the built
// course site, the labs, exams and lessons, and the learner tools (kubectl, helm) in the cache
// folder where the toolchain looks for them. Nothing is built at start: no Go, no apt, no astro.
// It is built with the catalogue's machinery (build.ts: Debian packages, base files, one
// reproducible layer, checks run inside it) into a registry's storage, and pushed from there to
// any registry over the OCI distribution API.
import { existsSync, realpathSync } from 'node:fs';
import { copyFile, cp, mkdir, readFile } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import { CnlabError } from '../../errors.ts';
import { run, tail } from '../../exec.ts';
import { cacheDir, projectRoot } from '../../paths.ts';
import type { Steps } from '../../steps.ts';
import { ensureLearnerTools, learnerToolFiles } from '../local/toolchain.ts';
import { blobPath, type Manifest, readBlob, tagDigest } from './archive.ts';
import { type BuiltImage, buildImageInto } from './build.ts';
import type { CatalogueImage } from './catalogue.ts';
import { type Blob, MEDIA_TYPES } from './oci.ts';
import { pushImage, type RegistryClient } from './registry.ts';

/** Where the image keeps the project, the cache with the learner tools, and the state folder. */
export const SERVER_IMAGE_PATHS = { app: '/opt/cnlab', cache: '/opt/cnlab/cache', state: '/var/lib/cnlab', node: '/usr/local/bin/node' } as const;
/** Its account: not root, and not an id a host account is likely to have. */
export const SERVER_IMAGE_USER = 10001;

/** What the server reads at run time, besides node_modules: its code, the site, the course. */
const APP_ENTRIES = ['package.json', 'server', 'labs', 'exams', 'content', 'dist'];

export async function serverImageVersion(): Promise<string> {
  return (JSON.parse(await readFile(join(projectRoot, 'package.json'), 'utf8')) as { version: string }).version;
}

/** The recipe, as a catalogue entry would be: Debian trixie's C and C++ runtime for Node, and the checks that prove it runs. */
export function serverImage(version: string, repository = 'docker.io/cnlab/server'): CatalogueImage {
  const { app, cache, state, node } = SERVER_IMAGE_PATHS;
  const user = `${SERVER_IMAGE_USER}:${SERVER_IMAGE_USER}`;
  return {
    repository,
    version,
    suite: 'trixie',
    tags: [version],
    references: [`${repository}:${version}`],
    debian: { packages: ['libc6', 'libstdc++6', 'libgcc-s1'], omit: [] },
    base: true,
    busybox: false,
    passwd: [`cnlab:x:${SERVER_IMAGE_USER}:${SERVER_IMAGE_USER}:cnlab:${state}:/usr/sbin/nologin`],
    group: [`cnlab:x:${SERVER_IMAGE_USER}:`],
    files: [{ path: state, dir: true, mode: '0700', owner: user }],
    config: {
      User: user,
      Env: [
        'PATH=/usr/local/bin:/usr/bin:/bin',
        `HOME=${state}`,
        `CNLAB_CACHE_DIR=${cache}`,
        `CNLAB_STATE_DIR=${state}`,
        'CNLAB_PROVIDER=kubeconfig',
        'HOST=0.0.0.0',
        'PORT=4321',
      ],
      Entrypoint: [node, `${app}/server/cli.ts`],
      Cmd: ['start'],
      WorkingDir: app,
      ExposedPorts: ['4321/tcp'],
      StopSignal: 'SIGTERM',
    },
    checks: [
      { run: [node, '--version'], expect: '^v24\\.', exit: 0 },
      // Every module of the CLI loads: the production packages are all there.
      { run: [node, `${app}/server/cli.ts`, '--help'], expect: 'Usage: cnlab', exit: 0 },
      { run: [`${cache}/${learnerToolFiles().find((file) => file.endsWith(`${sep}kubectl`))}`, 'version', '--client'], expect: 'Client Version: v1\\.', exit: 0 },
    ],
  };
}

/** The production npm packages, as npm resolves them (`npm ls --omit=dev`), relative to node_modules, outermost only. */
async function productionPackages(): Promise<string[]> {
  const listed = await run('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: projectRoot }).catch(() => {
    throw new CnlabError('npm cannot be run: it lists the production packages of the server image', 'run this where npm is on PATH (it is, wherever `npm start` works)');
  });
  const roots = [join(projectRoot, 'node_modules'), realpathSync(join(projectRoot, 'node_modules'))].map((root) => `${root}${sep}`);
  const packages = listed.stdout
    .split('\n')
    .map((line) => roots.find((root) => line.startsWith(root)) && line.slice((roots.find((root) => line.startsWith(root)) as string).length))
    .filter((path): path is string => Boolean(path))
    // The Node binary goes to /usr/local/bin on its own.
    .filter((path) => path !== 'node' && !path.startsWith(`node${sep}`))
    .sort();
  if (packages.length === 0) throw new CnlabError(`\`npm ls --omit=dev\` listed no packages:\n${tail(listed.stderr)}`, 'run `npm install` first');
  // What the lockfile calls devOptional is installed for a dev tool and only optional to the
  // production packages (typescript as i18next's optional peer): the server runs without it.
  const lock = JSON.parse(await readFile(join(projectRoot, 'package-lock.json'), 'utf8')) as { packages: Record<string, { devOptional?: boolean }> };
  const needed = packages.filter((path) => !lock.packages[`node_modules/${path.split(sep).join('/')}`]?.devOptional);
  // A package inside another's folder comes with it.
  return needed.filter((path, index) => !needed.slice(0, index).some((outer) => path.startsWith(`${outer}${sep}`)));
}

async function copyInto(rootfs: string, from: string, to: string): Promise<void> {
  const target = join(rootfs, to);
  await mkdir(dirname(target), { recursive: true });
  await cp(from, target, { recursive: true, verbatimSymlinks: true, filter: (source) => !source.endsWith('.test.ts') });
}

/** Builds the server image into the registry storage at `storageDir` (the local cluster's: the node pulls it as docker.io/cnlab/server). */
export async function buildServerImage(steps: Steps, storageDir: string, repository?: string): Promise<BuiltImage & { image: CatalogueImage }> {
  if (!existsSync(join(projectRoot, 'dist', 'index.html'))) throw new CnlabError('the course site is not built', 'run `npm run build` first');
  await ensureLearnerTools(steps);
  const packages = await steps.step('server image: list the production npm packages', productionPackages);
  const image = serverImage(await serverImageVersion(), repository);
  const { app, cache, node } = SERVER_IMAGE_PATHS;
  const built = await buildImageInto(steps, image, async (rootfs) => {
    for (const entry of APP_ENTRIES) await copyInto(rootfs, join(projectRoot, entry), join(app, entry));
    for (const path of packages) await copyInto(rootfs, join(projectRoot, 'node_modules', path), join(app, 'node_modules', path));
    for (const file of learnerToolFiles()) await copyInto(rootfs, join(cacheDir(), file), join(cache, file));
    await mkdir(join(rootfs, dirname(node)), { recursive: true });
    await copyFile(realpathSync(join(projectRoot, 'node_modules', '.bin', 'node')), join(rootfs, node));
  }, storageDir);
  return { ...built, image };
}

/** Copies an image from registry storage to a registry: its layers and config, then its manifest under every tag. */
export async function pushFromStorage(storageDir: string, source: { repository: string; tag: string }, target: RegistryClient, repository: string, tags: string[]): Promise<string> {
  const digest = await tagDigest(storageDir, source.repository, source.tag);
  const manifestBytes = await readBlob(storageDir, digest, `the manifest of ${source.repository}:${source.tag}`);
  const manifest = JSON.parse(manifestBytes.toString('utf8')) as Manifest;
  const asBlob = (part: { mediaType: string; digest: string; size: number }): Blob => ({ ...part, path: blobPath(storageDir, part.digest) });
  await pushImage(target, repository, tags, [...manifest.layers, manifest.config].map(asBlob), asBlob({ mediaType: MEDIA_TYPES.manifest, digest, size: manifestBytes.length }));
  return digest;
}

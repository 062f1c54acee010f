import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CnlabError } from '../../errors.ts';
import { run, tail } from '../../exec.ts';
import { findGo } from '../../go.ts';
import { cacheDir, projectRoot, stateDir } from '../../paths.ts';
import type { Steps } from '../../steps.ts';
import { versions } from '../../versions.ts';
import { dockerDaemon } from '../docker.ts';
import { writeImageArchive } from '../images/archive.ts';
import { catalogueBinaries, ensureImages } from '../images/build.ts';
import type { CatalogueImage } from '../images/catalogue.ts';
import { ensureNodeToolchain, ensureToolchain } from '../local/toolchain.ts';
import type { ClusterAccess, ClusterProvider } from '../provider.ts';

const configFile = join(projectRoot, 'server', 'cluster', 'kind', 'kind-config.yaml');

/**
 * The catalogue images a kind node gets: the learners' (docker.io), not the node's own
 * components (registry.k8s.io: kind's node image brings its own pause and CoreDNS, and ours
 * would replace them under the same names).
 */
export const loadedIntoKind = (image: CatalogueImage) => !image.repository.startsWith('registry.k8s.io/');

/** kind: the provider wherever a Docker daemon answers. */
export function kindProvider(options: { clusterName: string }): ClusterProvider {
  const binDir = join(cacheDir(), 'bin', `kind-${versions.kind}`);
  const kind = join(binDir, 'kind');
  const kubeconfigDir = join(stateDir(), 'kind', options.clusterName);
  const access: ClusterAccess = {
    provider: 'kind',
    kubeconfig: join(kubeconfigDir, 'kubeconfig'),
    context: `kind-${options.clusterName}`,
  };

  async function clusters(): Promise<string[]> {
    const listed = await run(kind, ['get', 'clusters']);
    return listed.code === 0 ? listed.stdout.split('\n').filter(Boolean) : [];
  }

  // A kind binary is reused only if it reports the pinned version; anything else is reinstalled.
  async function ensureKind(): Promise<void> {
    if (existsSync(kind) && (await run(kind, ['version'])).stdout.includes(` ${versions.kind} `)) return;
    const go = await findGo('cnlab installs kind with it');
    const installed = await run(go.bin, ['install', `sigs.k8s.io/kind@${versions.kind}`], { env: { ...go.env, GOBIN: binDir } });
    if (installed.code !== 0) throw new CnlabError(`could not install kind ${versions.kind}:\n${tail(installed.stderr)}`);
  }

  async function requireDocker(): Promise<void> {
    const docker = await dockerDaemon();
    if (docker.state === 'absent') {
      throw new CnlabError('the kind provider needs Docker, and no docker command was found', 'use --provider local');
    }
    if (docker.state === 'broken') {
      throw new CnlabError(`the kind provider needs Docker, and its daemon is not usable: ${docker.reason}`, 'start Docker, or use --provider local');
    }
  }

  /**
   * Loads the image catalogue into the kind node, so `nginx:1.26` is the same image (and
   * version) as on the local cluster and labs pass alike. Once per cluster and catalogue: a
   * marker names the cache folder that was loaded. Where the catalogue cannot be built (it needs
   * root and the node's build tools), the node pulls from the images' registries, and says so.
   */
  async function loadCatalogue(progress: Steps): Promise<void> {
    let cache;
    try {
      cache = await ensureImages(progress, { binaries: catalogueBinaries(await ensureNodeToolchain(progress), await ensureToolchain(progress)) });
    } catch (error) {
      progress.info(`WARNING: the image catalogue could not be built, so the kind node pulls images from their registries (versions may differ from the labs'): ${(error as Error).message}`);
      return;
    }
    const marker = join(kubeconfigDir, 'catalogue-loaded');
    if ((await readFile(marker, 'utf8').catch(() => '')) === cache.storageDir) return;
    const images = cache.catalogue.filter(loadedIntoKind);
    const archive = join(kubeconfigDir, 'catalogue.tar');
    await progress.step(`load ${images.length} catalogue images into the kind node`, async () => {
      try {
        await writeImageArchive(cache.storageDir, images, archive);
        const loaded = await run(kind, ['load', 'image-archive', archive, '--name', options.clusterName]);
        if (loaded.code !== 0) throw new CnlabError(`kind could not load the image catalogue:\n${tail(loaded.stderr)}`, 'run `cnlab cluster up` again');
      } finally {
        await rm(archive, { force: true });
      }
    });
    await writeFile(marker, cache.storageDir);
  }

  return {
    name: 'kind',

    async exists() {
      if ((await dockerDaemon()).state !== 'ok' || !existsSync(kind)) return false;
      return (await clusters()).includes(options.clusterName);
    },

    async up(progress) {
      await requireDocker();
      await progress.step(`install kind ${versions.kind}`, ensureKind);
      await mkdir(kubeconfigDir, { recursive: true, mode: 0o700 });
      const args = ['--name', options.clusterName, '--kubeconfig', access.kubeconfig];
      if ((await clusters()).includes(options.clusterName)) {
        // Re-export so the kubeconfig matches the running cluster even if the file was removed.
        const exported = await run(kind, ['export', 'kubeconfig', ...args]);
        if (exported.code !== 0) throw new CnlabError(`kind could not export the kubeconfig:\n${tail(exported.stderr)}`);
      } else {
        const created = await progress.step(`create kind cluster "${options.clusterName}"`, () =>
          run(kind, ['create', 'cluster', ...args, '--config', configFile, '--wait', '120s']),
        );
        if (created.code !== 0) {
          throw new CnlabError(`kind could not create the cluster:\n${tail(created.stderr)}`, 'check `docker info`, then run `cnlab cluster up` again');
        }
      }
      await chmod(kubeconfigDir, 0o700);
      await chmod(access.kubeconfig, 0o600);
      await loadCatalogue(progress);
      return access;
    },

    async down(progress) {
      await requireDocker();
      await progress.step(`delete kind cluster "${options.clusterName}"`, async () => {
        const deleted = await run(kind, ['delete', 'cluster', '--name', options.clusterName, '--kubeconfig', access.kubeconfig]);
        if (deleted.code !== 0) throw new CnlabError(`kind could not delete the cluster:\n${tail(deleted.stderr)}`);
      });
      await rm(kubeconfigDir, { recursive: true, force: true });
    },
  };
}

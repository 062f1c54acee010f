import { existsSync } from 'node:fs';
import { chmod, readFile, readdir, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { CnlabError } from '../../errors.ts';
import { run, tail } from '../../exec.ts';
import { projectRoot, stateDir } from '../../paths.ts';
import { isAlive } from '../../process.ts';
import type { Steps as Progress } from '../../steps.ts';
import { waitHealthy } from '../health.ts';
import type { ClusterAccess, ClusterProvider } from '../provider.ts';
import { cachedToolchain, ensureToolchain, type Toolchain } from './toolchain.ts';

/** Simulated nodes: enough for scheduling, spreading and anti-affinity to mean something. */
export const LOCAL_NODE_COUNT = 2;

const configFile = join(projectRoot, 'server', 'cluster', 'local', 'kwokctl.yaml');

export function localProvider(options: { clusterName: string; apiPort?: number }): ClusterProvider {
  const workdir = join(stateDir(), 'kwok');
  const clusterDir = join(workdir, 'clusters', options.clusterName);
  const access: ClusterAccess = { provider: 'local', kubeconfig: join(clusterDir, 'kubeconfig.yaml') };
  // KWOK_WORKDIR keeps kwokctl's state with ours; the KWOK_*_BINARY variables point it at the
  // binaries we built so it never tries to download one; an empty --kubeconfig keeps it out of
  // the user's ~/.kube/config.
  const kwokctl = (toolchain: Toolchain, args: string[]) =>
    run(toolchain.kwokctl, [...args, '--name', options.clusterName], {
      env: {
        ...process.env,
        KWOK_WORKDIR: workdir,
        KWOK_KUBE_APISERVER_BINARY: toolchain.kubeApiserver,
        KWOK_KUBE_CONTROLLER_MANAGER_BINARY: toolchain.kubeControllerManager,
        KWOK_KUBE_SCHEDULER_BINARY: toolchain.kubeScheduler,
        KWOK_KUBECTL_BINARY: toolchain.kubectl,
        KWOK_ETCD_BINARY: toolchain.etcd,
        KWOK_CONTROLLER_BINARY: toolchain.kwok,
      },
    });
  const failed = (what: string, output: { stdout: string; stderr: string }, hint?: string) =>
    new CnlabError(`kwokctl could not ${what}:\n${tail(output.stderr || output.stdout)}`, hint);

  const exists = async () => existsSync(join(clusterDir, 'kwok.yaml'));
  // `delete cluster` rejects an empty --kubeconfig (create accepts it); a file inside the
  // cluster folder keeps it away from ~/.kube/config and disappears with the folder.
  const deleteCluster = (toolchain: Toolchain) =>
    kwokctl(toolchain, ['delete', 'cluster', '--kubeconfig', join(clusterDir, 'kwokctl-contexts.yaml')]);

  async function create(toolchain: Toolchain, progress: Progress): Promise<void> {
    if (options.apiPort !== undefined) await assertPortFree(options.apiPort);
    const created = await progress.step(`start the control plane (cluster "${options.clusterName}")`, () =>
      kwokctl(toolchain, [
        'create',
        'cluster',
        '--config',
        configFile,
        '--kubeconfig',
        '',
        ...(options.apiPort === undefined ? [] : ['--kube-apiserver-port', String(options.apiPort)]),
        '--wait',
        '120s',
      ]),
    );
    if (created.code !== 0) {
      await deleteCluster(toolchain);
      throw failed('create the cluster', created, 'run `cnlab cluster up` again; if it keeps failing, the lines above say which component did not start');
    }
    await protectSecrets();
    const scaled = await progress.step(`add ${LOCAL_NODE_COUNT} simulated nodes`, () =>
      kwokctl(toolchain, ['scale', 'node', '--replicas', String(LOCAL_NODE_COUNT)]),
    );
    if (scaled.code !== 0) throw failed('add nodes', scaled);
  }

  // The folder holds the CA key and the admin client key: only the platform's user may read it.
  async function protectSecrets(): Promise<void> {
    await chmod(stateDir(), 0o700);
    await chmod(clusterDir, 0o700);
    await chmod(access.kubeconfig, 0o600);
  }

  async function waitForNodes(progress: Progress): Promise<void> {
    const health = await progress.step(`wait for ${LOCAL_NODE_COUNT} Ready nodes`, () =>
      waitHealthy(access, LOCAL_NODE_COUNT, 60_000),
    );
    if (!health.healthy || health.readyNodes < LOCAL_NODE_COUNT) {
      throw new CnlabError(
        `the local cluster did not become healthy: ${health.message ?? `${health.readyNodes} of ${LOCAL_NODE_COUNT} nodes Ready`}`,
        `run \`cnlab cluster down\` and then \`cnlab cluster up\`; component logs are in ${join(clusterDir, 'logs')}`,
      );
    }
  }

  return {
    name: 'local',
    exists,

    async up(progress) {
      const toolchain = await ensureToolchain(progress);
      if (await exists()) {
        const health = await waitHealthy(access, LOCAL_NODE_COUNT, 0);
        if (health.healthy && health.readyNodes >= LOCAL_NODE_COUNT) {
          progress.info(`cluster "${options.clusterName}" is already up at ${health.apiUrl}`);
          return access;
        }
        progress.info(`cluster "${options.clusterName}" exists but is not healthy (${health.message}); restarting it`);
        await forgetStoppedComponents(clusterDir);
        const started = await progress.step('restart the control plane', () => kwokctl(toolchain, ['start', 'cluster']));
        if (started.code !== 0) {
          progress.info(`restart failed; recreating the cluster:\n${tail(started.stderr, 5)}`);
          await deleteCluster(toolchain);
          await create(toolchain, progress);
        }
      } else {
        await create(toolchain, progress);
      }
      await waitForNodes(progress);
      return access;
    },

    async down(progress) {
      if (!(await exists())) {
        progress.info(`no local cluster "${options.clusterName}" to stop`);
        return;
      }
      const components = await componentPids(clusterDir);
      const toolchain = await cachedToolchain();
      const deleted = toolchain
        ? await progress.step(`delete cluster "${options.clusterName}"`, () => deleteCluster(toolchain))
        : undefined;
      // kwokctl stops components by pid file; anything that outlived it (or a cluster whose
      // binaries were removed from the cache) is stopped here, so `down` leaves nothing running.
      for (const { pid } of components) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
      // A signal is not an exit: `down` returns once every component is really gone.
      const deadline = Date.now() + 10_000;
      while (components.some(({ pid }) => isAlive(pid)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      if (!toolchain) await rm(clusterDir, { recursive: true, force: true });
      if (deleted && deleted.code !== 0) throw failed('delete the cluster', deleted);
    },
  };
}

type ComponentPid = { pidFile: string; pid: number };

async function componentPids(clusterDir: string): Promise<ComponentPid[]> {
  const pidDir = join(clusterDir, 'pids');
  if (!existsSync(pidDir)) return [];
  const entries = await Promise.all(
    (await readdir(pidDir)).map(async (file) => ({
      pidFile: join(pidDir, file),
      pid: Number.parseInt(await readFile(join(pidDir, file), 'utf8'), 10),
    })),
  );
  return entries.filter(({ pid }) => Number.isInteger(pid) && pid > 1);
}

/**
 * kwokctl skips a component whose pid answers signal 0, and a zombie does until its parent
 * (often init, which may reap late) collects it: the pid file of every stopped component goes,
 * so `kwokctl start` starts it again.
 */
async function forgetStoppedComponents(clusterDir: string): Promise<void> {
  for (const { pidFile, pid } of await componentPids(clusterDir)) if (!isAlive(pid)) await rm(pidFile, { force: true });
}

function assertPortFree(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new CnlabError(
          `port ${port} on 127.0.0.1 is already in use (${error.code}), so the API server cannot listen there`,
          'stop whatever uses it (`ss -ltnp | grep :PORT`), or unset CNLAB_API_PORT to let cnlab pick a free port',
        ),
      ),
    );
    server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
  });
}

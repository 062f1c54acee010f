import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CnlabError } from '../../errors.ts';
import { run, tail } from '../../exec.ts';
import { findGo, type Go } from '../../go.ts';
import { cacheDir } from '../../paths.ts';
import type { Steps as Progress } from '../../steps.ts';
import { versions } from '../../versions.ts';
import { isAlive } from '../../process.ts';
import { kubernetesWrapperGoMod } from './wrapper-module.ts';

/** Absolute paths of the binaries the local provider runs, all built from source. */
export type Toolchain = {
  kubeApiserver: string;
  kubeControllerManager: string;
  kubeScheduler: string;
  kubectl: string;
  etcd: string;
  kwok: string;
  kwokctl: string;
  /** Not the cluster's: the learner's, bound into every sandbox beside kubectl. */
  helm: string;
};

type Component = {
  /** Folder name under the cache, one per version so upgrades never mix binaries. */
  id: string;
  binaries: string[];
  build(go: Go, workDir: string, outDir: string, progress: Progress): Promise<void>;
};

const STAMP = 'cnlab-complete.json';
type Stamp = { id: string; sizes: Record<string, number> };

const controlPlaneCommands = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubectl'];
// The real node's agents, from the same version and wrapper module as the control plane; a
// component of their own so adding them never rebuilds the control plane's cache folder.
const nodeCommands = ['kubelet', 'kube-proxy'];

/** Builds Kubernetes commands from the published module, stamped so they report the true version. */
async function buildKubernetes(commands: string[], goTool: Go, workDir: string, outDir: string, progress: Progress): Promise<void> {
  const version = versions.kubernetes;
  const downloaded = await progress.step(`kubernetes ${version}: download module`, () =>
    goJson(goTool, workDir, ['mod', 'download', '-json', `k8s.io/kubernetes@${version}`]),
  );
  const goMod = await readFile(String(downloaded.GoMod), 'utf8');
  const info = JSON.parse(await readFile(String(downloaded.Info), 'utf8')) as { Time: string };
  await writeFile(join(workDir, 'go.mod'), kubernetesWrapperGoMod(goMod, version));
  await writeFile(
    join(workDir, 'tools.go'),
    `//go:build tools\n\n// Package tools pins the Kubernetes commands this module builds.\npackage tools\n\nimport (\n${commands
      .map((command) => `\t_ "k8s.io/kubernetes/cmd/${command}"`)
      .join('\n')}\n)\n`,
  );
  await progress.step(`kubernetes ${version}: resolve dependencies`, () => go(goTool, workDir, ['mod', 'tidy']));
  const [major, minor] = version.slice(1).split('.');
  const stamp = (name: string, value: string) => `-X k8s.io/component-base/version.${name}=${value}`;
  const ldflags = [
    '-s -w',
    stamp('gitVersion', version),
    stamp('gitMajor', String(major)),
    stamp('gitMinor', String(minor)),
    stamp('gitTreeState', 'clean'),
    stamp('buildDate', info.Time),
  ].join(' ');
  await progress.step(`kubernetes ${version}: compile ${commands.join(', ')}`, () =>
    go(goTool, workDir, ['build', '-trimpath', '-ldflags', ldflags, '-o', `${outDir}/`, ...commands.map((command) => `k8s.io/kubernetes/cmd/${command}`)]),
  );
}

const components: Component[] = [
  {
    id: `kubernetes-${versions.kubernetes}`,
    binaries: controlPlaneCommands,
    build: (goTool, workDir, outDir, progress) => buildKubernetes(controlPlaneCommands, goTool, workDir, outDir, progress),
  },
  {
    id: `etcd-${versions.etcd}`,
    binaries: ['etcd'],
    async build(goTool, workDir, outDir, progress) {
      // etcd's own main package is a one-line call into etcdmain; the wrapper does the same
      // so the server module (with its published dependencies) can be built from the proxy.
      await writeFile(
        join(workDir, 'go.mod'),
        `module cnlab.local/etcd-build\n\ngo 1.26\n\nrequire go.etcd.io/etcd/server/v3 ${versions.etcd}\n`,
      );
      await writeFile(
        join(workDir, 'main.go'),
        'package main\n\nimport (\n\t"os"\n\n\t"go.etcd.io/etcd/server/v3/etcdmain"\n)\n\nfunc main() {\n\tetcdmain.Main(os.Args)\n}\n',
      );
      await progress.step(`etcd ${versions.etcd}: resolve dependencies`, () => go(goTool, workDir, ['mod', 'tidy']));
      await progress.step(`etcd ${versions.etcd}: compile`, () =>
        go(goTool, workDir, ['build', '-trimpath', '-ldflags', '-s -w', '-o', join(outDir, 'etcd'), '.']),
      );
    },
  },
  {
    id: `kwok-${versions.kwok}`,
    binaries: ['kwok', 'kwokctl'],
    async build(goTool, workDir, outDir, progress) {
      await progress.step(`kwok ${versions.kwok}: go install kwok, kwokctl`, () =>
        go({ ...goTool, env: { ...goTool.env, GOBIN: outDir } }, workDir, [
          'install',
          '-trimpath',
          `sigs.k8s.io/kwok/cmd/kwok@${versions.kwok}`,
          `sigs.k8s.io/kwok/cmd/kwokctl@${versions.kwok}`,
        ]),
      );
    },
  },
  againstKubernetes({
    module: 'helm.sh/helm/v4',
    version: versions.helm,
    binary: 'helm',
    target: 'helm.sh/helm/v4/cmd/helm',
    // What its Makefile stamps: `helm version` tells the truth.
    ldflags: `-X helm.sh/helm/v4/internal/version.version=${versions.helm}`,
  }),
];

/** CoreDNS's plugins of a kubeadm Corefile: cluster names only, no cloud DNS providers to compile. */
const corednsPlugins = ['cache', 'errors', 'forward', 'health', 'kubernetes', 'loadbalance', 'log', 'loop', 'metrics', 'ready', 'reload'];

/** What the real node runs beside the control plane; built only where a real node can run. */
const nodeComponents: Component[] = [
  {
    id: `kubernetes-node-${versions.kubernetes}`,
    binaries: nodeCommands,
    build: (goTool, workDir, outDir, progress) => buildKubernetes(nodeCommands, goTool, workDir, outDir, progress),
  },
  {
    id: `containerd-${versions.containerd}`,
    binaries: ['containerd', 'containerd-shim-runc-v2', 'ctr'],
    async build(goTool, workDir, outDir, progress) {
      // Without cgo only the btrfs snapshotter is lost; the node uses overlayfs.
      await progress.step(`containerd ${versions.containerd}: go install containerd, its runc shim, ctr`, () =>
        go({ ...goTool, env: { ...goTool.env, GOBIN: outDir } }, workDir, [
          'install',
          '-trimpath',
          '-tags',
          'urfave_cli_no_docs',
          '-ldflags',
          `-s -w -X github.com/containerd/containerd/v2/version.Version=${versions.containerd}`,
          ...['containerd', 'containerd-shim-runc-v2', 'ctr'].map((command) => `github.com/containerd/containerd/v2/cmd/${command}@${versions.containerd}`),
        ]),
      );
    },
  },
  {
    id: `runc-${versions.runc}`,
    binaries: ['runc'],
    async build(goTool, workDir, outDir, progress) {
      // runc's namespace setup (nsexec) is C, and seccomp filters need libseccomp: the one cgo build.
      await progress.step(`runc ${versions.runc}: go install (cgo, libseccomp)`, () =>
        go({ ...goTool, env: { ...goTool.env, GOBIN: outDir, CGO_ENABLED: '1' } }, workDir, [
          'install',
          '-trimpath',
          '-tags',
          'seccomp',
          '-ldflags',
          `-s -w -X main.version=${versions.runc.replace(/^v/, '')}`,
          `github.com/opencontainers/runc@${versions.runc}`,
        ]),
      );
    },
  },
  againstKubernetes({
    module: 'github.com/coredns/coredns',
    version: versions.coredns,
    binary: 'coredns',
    target: '.',
    files: {
      'main.go': `// CoreDNS with the plugins a cluster's DNS needs; its main is CoreDNS's own.\npackage main\n\nimport (\n${corednsPlugins
        .map((plugin) => `\t_ "github.com/coredns/coredns/plugin/${plugin}"\n`)
        .join('')}\n\t"github.com/coredns/coredns/coremain"\n)\n\nfunc main() { coremain.Run() }\n`,
    },
  }),
  againstKubernetes({
    module: 'sigs.k8s.io/metrics-server',
    version: versions.metricsServer,
    binary: 'metrics-server',
    target: 'sigs.k8s.io/metrics-server/cmd/metrics-server',
    // What its Makefile stamps: `metrics-server --version` tells the truth.
    ldflags: `-X k8s.io/client-go/pkg/version.gitVersion=${versions.metricsServer}`,
  }),
  againstKubernetes({
    module: 'github.com/rancher/local-path-provisioner',
    version: versions.localPathProvisioner,
    binary: 'local-path-provisioner',
    target: 'github.com/rancher/local-path-provisioner',
    ldflags: `-X main.VERSION=${versions.localPathProvisioner}`,
  }),
  againstKubernetes({
    module: 'github.com/cloudnativelabs/kube-router/v2',
    version: versions.kubeRouter,
    binary: 'kube-router',
    target: 'github.com/cloudnativelabs/kube-router/v2/cmd/kube-router',
  }),
];

/** Absolute paths of the real node's binaries. */
export type NodeToolchain = {
  kubelet: string;
  kubeProxy: string;
  containerd: string;
  ctr: string;
  runc: string;
  /** containerd finds its shim on PATH: this folder goes first on the node's PATH. */
  containerdBinDir: string;
  /** Runs as a pod: its binary becomes an image of the catalogue. */
  coredns: string;
  /** NetworkPolicy enforcement (its firewall only: kube-proxy routes Services, the bridge carries pods). */
  kubeRouter: string;
  /** Run as pods, like CoreDNS: resource metrics and local PersistentVolumes. */
  metricsServer: string;
  localPathProvisioner: string;
};

/** A file that makes `go mod tidy` keep a command's module (the wrapper module has no code of its own). */
const toolsGo = (command: string) => `//go:build tools\n\n// Package tools pins the command this module builds.\npackage tools\n\nimport _ "${command}"\n`;

type KubernetesProgram = {
  module: string;
  version: string;
  binary: string;
  /** The package to build: a command of the module, or `.` for a main package in `files`. */
  target: string;
  /** The wrapper module's own files; by default one that pins `target`. */
  files?: Record<string, string>;
  ldflags?: string;
};

/**
 * A Go program that uses the Kubernetes libraries, built against the control plane's own
 * versions of them (the wrapper module's replace list): it shares their compiled packages
 * instead of compiling another client-go, and takes the newer of its own and Kubernetes'
 * dependencies (so an older release is built with current, patched libraries).
 */
function againstKubernetes(program: KubernetesProgram): Component {
  const name = `${program.binary} ${program.version}`;
  return {
    id: `${program.binary}-${program.version}`,
    binaries: [program.binary],
    async build(goTool, workDir, outDir, progress) {
      const downloaded = await progress.step(`${name}: read the Kubernetes module list`, () =>
        goJson(goTool, workDir, ['mod', 'download', '-json', `k8s.io/kubernetes@${versions.kubernetes}`]),
      );
      const goMod = kubernetesWrapperGoMod(await readFile(String(downloaded.GoMod), 'utf8'), versions.kubernetes)
        .replace('module cnlab.local/kubernetes-build', `module cnlab.local/${program.binary}-build`)
        .replace(`require k8s.io/kubernetes ${versions.kubernetes}`, `require ${program.module} ${program.version}`);
      await writeFile(join(workDir, 'go.mod'), goMod);
      for (const [file, text] of Object.entries(program.files ?? { 'tools.go': toolsGo(program.target) })) await writeFile(join(workDir, file), text);
      await progress.step(`${name}: resolve dependencies`, () => go(goTool, workDir, ['mod', 'tidy']));
      await progress.step(`${name}: compile`, () =>
        go(goTool, workDir, ['build', '-trimpath', '-ldflags', `-s -w ${program.ldflags ?? ''}`.trim(), '-o', join(outDir, program.binary), program.target]),
      );
    },
  };
}

function binDir(component: Component): string {
  return join(cacheDir(), 'bin', component.id);
}

/**
 * A cache folder is trusted only if its stamp was written last and every binary still matches it
 * (of `binaries`, for a caller that needs only some: the server image holds kubectl alone).
 */
async function isComplete(component: Component, binaries = component.binaries): Promise<boolean> {
  const dir = binDir(component);
  try {
    const stamp = JSON.parse(await readFile(join(dir, STAMP), 'utf8')) as Stamp;
    if (stamp.id !== component.id) return false;
    for (const name of binaries) {
      const info = await stat(join(dir, name));
      if (info.size !== stamp.sizes[name] || (info.mode & 0o111) === 0) return false;
    }
    return true;
  } catch {
    return false;
  }
}

function toolchainPaths(): Toolchain {
  const path = (id: string, name: string) => join(cacheDir(), 'bin', id, name);
  const k8s = `kubernetes-${versions.kubernetes}`;
  const kwok = `kwok-${versions.kwok}`;
  return {
    kubeApiserver: path(k8s, 'kube-apiserver'),
    kubeControllerManager: path(k8s, 'kube-controller-manager'),
    kubeScheduler: path(k8s, 'kube-scheduler'),
    kubectl: path(k8s, 'kubectl'),
    etcd: path(`etcd-${versions.etcd}`, 'etcd'),
    kwok: path(kwok, 'kwok'),
    kwokctl: path(kwok, 'kwokctl'),
    helm: path(`helm-${versions.helm}`, 'helm'),
  };
}

async function ensureComponents(list: Component[], progress: Progress): Promise<void> {
  for (const component of list) {
    if (await isComplete(component)) continue;
    if (existsSync(binDir(component))) progress.info(`${component.id}: cached binaries are incomplete; rebuilding`);
    await buildComponent(component, progress);
  }
}

async function allComplete(list: Component[]): Promise<boolean> {
  for (const component of list) if (!(await isComplete(component))) return false;
  return true;
}

/** Builds whatever part of the pinned control plane is missing or damaged, then returns it. */
export async function ensureToolchain(progress: Progress): Promise<Toolchain> {
  await ensureComponents(components, progress);
  return toolchainPaths();
}

/** What learner shells run, bound into every sandbox: no control plane, so a server on any cluster (or in its image) needs only these. */
export type LearnerTools = Pick<Toolchain, 'kubectl' | 'helm'>;

const learnerComponents = () =>
  (['kubectl', 'helm'] as const).map((tool) => ({ tool, component: components.find((candidate) => candidate.binaries.includes(tool)) as Component }));

/**
 * The cache files a copy of the learner tools needs, relative to the cache folder: each tool and
 * the stamp of its component, which ensureLearnerTools trusts (the server image is made of them).
 */
export function learnerToolFiles(): string[] {
  return learnerComponents().flatMap(({ tool, component }) => [join('bin', component.id, tool), join('bin', component.id, STAMP)]);
}

/** kubectl and helm, building (with Go) only the components they come from, and only when missing. */
export async function ensureLearnerTools(progress: Progress): Promise<LearnerTools> {
  for (const { tool, component } of learnerComponents()) {
    if (!(await isComplete(component, [tool]))) await ensureComponents([component], progress);
  }
  const { kubectl, helm } = toolchainPaths();
  return { kubectl, helm };
}

/** The toolchain if it is already fully built, without building anything. */
export async function cachedToolchain(): Promise<Toolchain | undefined> {
  return (await allComplete(components)) ? toolchainPaths() : undefined;
}

function nodeToolchainPaths(): NodeToolchain {
  const path = (id: string, name: string) => join(cacheDir(), 'bin', id, name);
  const containerdDir = join(cacheDir(), 'bin', `containerd-${versions.containerd}`);
  return {
    kubelet: path(`kubernetes-node-${versions.kubernetes}`, 'kubelet'),
    kubeProxy: path(`kubernetes-node-${versions.kubernetes}`, 'kube-proxy'),
    containerd: join(containerdDir, 'containerd'),
    ctr: join(containerdDir, 'ctr'),
    runc: path(`runc-${versions.runc}`, 'runc'),
    containerdBinDir: containerdDir,
    coredns: path(`coredns-${versions.coredns}`, 'coredns'),
    kubeRouter: path(`kube-router-${versions.kubeRouter}`, 'kube-router'),
    metricsServer: path(`metrics-server-${versions.metricsServer}`, 'metrics-server'),
    localPathProvisioner: path(`local-path-provisioner-${versions.localPathProvisioner}`, 'local-path-provisioner'),
  };
}

/** Builds the real node's binaries where missing (the kubelet shares the control plane's Go build cache). */
export async function ensureNodeToolchain(progress: Progress): Promise<NodeToolchain> {
  await ensureComponents(nodeComponents, progress);
  return nodeToolchainPaths();
}

export async function cachedNodeToolchain(): Promise<NodeToolchain | undefined> {
  return (await allComplete(nodeComponents)) ? nodeToolchainPaths() : undefined;
}

async function buildComponent(component: Component, progress: Progress): Promise<void> {
  const goTool = await findGo('the local provider builds Kubernetes, etcd, kwok and the node runtime from source with it');
  const root = join(cacheDir(), 'bin');
  await mkdir(root, { recursive: true });
  // Leftovers of an interrupted build are never reused; a build still running elsewhere is left alone.
  for (const entry of await readdir(root)) {
    const builder = Number(entry.startsWith(`${component.id}.partial-`) ? entry.split('.partial-')[1] : Number.NaN);
    if (Number.isInteger(builder) && !isAlive(builder)) await rm(join(root, entry), { recursive: true, force: true });
  }
  const outDir = join(root, `${component.id}.partial-${process.pid}`);
  const workDir = join(cacheDir(), 'build', `${component.id}-${process.pid}`);
  await rm(workDir, { recursive: true, force: true });
  await mkdir(workDir, { recursive: true });
  await mkdir(outDir, { recursive: true });
  await component.build(goTool, workDir, outDir, progress);

  const sizes: Record<string, number> = {};
  for (const name of component.binaries) {
    const file = join(outDir, name);
    if (!existsSync(file)) throw new CnlabError(`the build of ${component.id} did not produce ${name}`);
    sizes[name] = (await stat(file)).size;
  }
  const stamp: Stamp = { id: component.id, sizes };
  await writeFile(join(outDir, STAMP), `${JSON.stringify(stamp, null, 2)}\n`);
  await rm(binDir(component), { recursive: true, force: true });
  await rename(outDir, binDir(component));
  await rm(workDir, { recursive: true, force: true });
}

async function go(tool: Go, cwd: string, args: string[]): Promise<string> {
  const result = await run(tool.bin, args, { env: tool.env, cwd });
  if (result.code !== 0) {
    throw new CnlabError(
      `\`go ${args.slice(0, 2).join(' ')}\` failed in ${cwd}:\n${tail(result.stderr || result.stdout)}`,
      'check that the Go module proxy is reachable (go env GOPROXY) and there is disk space; the next run starts this step again',
    );
  }
  return result.stdout;
}

async function goJson(tool: Go, cwd: string, args: string[]): Promise<Record<string, unknown>> {
  return JSON.parse(await go(tool, cwd, args)) as Record<string, unknown>;
}


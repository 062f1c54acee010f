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
};

type Component = {
  /** Folder name under the cache, one per version so upgrades never mix binaries. */
  id: string;
  binaries: string[];
  build(go: Go, workDir: string, outDir: string, progress: Progress): Promise<void>;
};

const STAMP = 'cnlab-complete.json';
type Stamp = { id: string; sizes: Record<string, number> };

const kubernetesCommands = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubectl'];

const components: Component[] = [
  {
    id: `kubernetes-${versions.kubernetes}`,
    binaries: kubernetesCommands,
    async build(goTool, workDir, outDir, progress) {
      const version = versions.kubernetes;
      const downloaded = await progress.step(`kubernetes ${version}: download module`, () =>
        goJson(goTool, workDir, ['mod', 'download', '-json', `k8s.io/kubernetes@${version}`]),
      );
      const goMod = await readFile(String(downloaded.GoMod), 'utf8');
      const info = JSON.parse(await readFile(String(downloaded.Info), 'utf8')) as { Time: string };
      await writeFile(join(workDir, 'go.mod'), kubernetesWrapperGoMod(goMod, version));
      await writeFile(
        join(workDir, 'tools.go'),
        `//go:build tools\n\n// Package tools pins the Kubernetes commands this module builds.\npackage tools\n\nimport (\n${kubernetesCommands
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
      await progress.step(`kubernetes ${version}: compile ${kubernetesCommands.join(', ')} (the long part)`, () =>
        go(goTool, workDir, [
          'build',
          '-trimpath',
          '-ldflags',
          ldflags,
          '-o',
          `${outDir}/`,
          ...kubernetesCommands.map((command) => `k8s.io/kubernetes/cmd/${command}`),
        ]),
      );
    },
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
];

function binDir(component: Component): string {
  return join(cacheDir(), 'bin', component.id);
}

/** A cache folder is trusted only if its stamp was written last and every binary still matches it. */
async function isComplete(component: Component): Promise<boolean> {
  const dir = binDir(component);
  try {
    const stamp = JSON.parse(await readFile(join(dir, STAMP), 'utf8')) as Stamp;
    if (stamp.id !== component.id) return false;
    for (const name of component.binaries) {
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
  };
}

/** Builds whatever part of the pinned toolchain is missing or damaged, then returns it. */
export async function ensureToolchain(progress: Progress): Promise<Toolchain> {
  for (const component of components) {
    if (await isComplete(component)) continue;
    if (existsSync(binDir(component))) progress.info(`${component.id}: cached binaries are incomplete; rebuilding`);
    await buildComponent(component, progress);
  }
  return toolchainPaths();
}

/** The toolchain if it is already fully built, without building anything. */
export async function cachedToolchain(): Promise<Toolchain | undefined> {
  for (const component of components) if (!(await isComplete(component))) return undefined;
  return toolchainPaths();
}

async function buildComponent(component: Component, progress: Progress): Promise<void> {
  const goTool = await findGo('the local provider builds Kubernetes, etcd and kwok from source with it');
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


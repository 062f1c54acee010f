// Cgroups, for whatever must be held together and bounded: the real node's processes, each
// learner session. Two shapes exist: cgroup v2 (one unified tree) and cgroup v1 (one hierarchy
// per controller). Everything here is root's business; callers check that first.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CnlabError } from './errors.ts';
import { isAlive } from './process.ts';

type Mount = { path: string; type: 'cgroup' | 'cgroup2'; options: string[] };

function cgroupMounts(): Mount[] {
  return readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((line) => line.split(' '))
    .filter((fields) => fields[2] === 'cgroup' || fields[2] === 'cgroup2')
    .map((fields) => ({ path: fields[1] as string, type: fields[2] as Mount['type'], options: (fields[3] ?? '').split(',') }));
}

/**
 * Every cgroup hierarchy mounted, v1 and v2 alike (on a hybrid machine runc also places
 * containers in the v2 tree beside the v1 controllers).
 */
export function cgroupHierarchies(): string[] {
  return cgroupMounts().map((mount) => mount.path);
}

/**
 * Creates a cgroup (and its parents) in each hierarchy given; returns its folder in each. cpuset
 * cgroups start empty in v1 and must inherit their parent's CPUs and memory nodes before a
 * process may join them.
 */
export async function makeCgroup(relative: string, hierarchies: string[] = cgroupHierarchies()): Promise<string[]> {
  const dirs: string[] = [];
  for (const hierarchy of hierarchies) {
    let dir = hierarchy;
    for (const part of relative.split('/').filter(Boolean)) {
      dir = join(dir, part);
      await mkdir(dir, { recursive: true });
      for (const file of ['cpuset.cpus', 'cpuset.mems']) {
        const parent = join(dir, '..', file);
        if (existsSync(parent) && readFileSync(join(dir, file), 'utf8').trim() === '') await writeFile(join(dir, file), readFileSync(parent, 'utf8'));
      }
    }
    dirs.push(dir);
  }
  return dirs;
}

/** Every pid in these cgroups and those below them. */
export function cgroupPids(dirs: string[]): number[] {
  const pids = new Set<number>();
  const walk = (dir: string) => {
    try {
      for (const pid of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n')) if (pid) pids.add(Number(pid));
      for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) walk(join(dir, entry.name));
    } catch {
      // A cgroup removed while we walk it holds no processes.
    }
  };
  for (const dir of dirs) walk(dir);
  return [...pids];
}

/** Removes a cgroup and those below it; the kernel refuses (EBUSY) for a moment after its last process was killed. */
export async function removeCgroupTree(dir: string, deadline = Date.now() + 10_000): Promise<void> {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) await removeCgroupTree(join(dir, entry.name), deadline);
  for (;;) {
    try {
      await rmdir(dir);
      return;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY' || Date.now() > deadline) throw new CnlabError(`could not remove the cgroup ${dir} (${code})`, `see \`cat ${dir}/cgroup.procs\` for what still runs in it`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** Kills every process in these cgroups (and those a dying fork bomb still makes), then removes the cgroups. */
export async function killCgroups(dirs: string[], extraPids: () => number[] = () => [], timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pids = [...cgroupPids(dirs), ...extraPids()].filter(isAlive);
    if (pids.length === 0) break;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
    if (Date.now() > deadline) throw new CnlabError(`the processes ${pids.join(', ')} in ${dirs.join(', ')} did not stop`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  for (const dir of dirs) await removeCgroupTree(dir, deadline);
}

/** What a bounded cgroup may use. */
export type CgroupLimits = { memoryBytes: number; cpus: number; processes: number };

/** How this machine bounds a group of processes: its cgroup version and where, or why it cannot. */
export type CgroupSupport =
  | { version: 'v2'; root: string }
  | { version: 'v1'; memory: string; cpu: string; pids: string }
  | { version: 'none'; reason: string };

const LIMITED = ['memory', 'cpu', 'pids'] as const;
const CPU_PERIOD_US = 100_000;

/**
 * cgroup v2 where its tree offers the memory, cpu and pids controllers; else v1 where each of
 * them has a hierarchy (a hybrid machine's unified tree without controllers counts as v1).
 */
export function cgroupSupport(): CgroupSupport {
  if (process.getuid?.() !== 0) return { version: 'none', reason: `creating cgroups needs root, and cnlab runs as uid ${process.getuid?.()}` };
  const mounts = cgroupMounts();
  for (const mount of mounts.filter((candidate) => candidate.type === 'cgroup2')) {
    const offered = readFileSync(join(mount.path, 'cgroup.controllers'), 'utf8').trim().split(/\s+/);
    if (LIMITED.every((controller) => offered.includes(controller))) return { version: 'v2', root: mount.path };
  }
  const v1 = (controller: string) => mounts.find((mount) => mount.type === 'cgroup' && mount.options.includes(controller))?.path;
  const [memory, cpu, pids] = LIMITED.map(v1);
  if (memory && cpu && pids) return { version: 'v1', memory, cpu, pids };
  const missing = LIMITED.filter((controller) => !v1(controller));
  return { version: 'none', reason: `neither a cgroup v2 tree with memory, cpu and pids nor cgroup v1 hierarchies for ${missing.join(', ')} are mounted` };
}

/**
 * Creates the parent of bounded cgroups; for v2, with the controllers passed down to its
 * children (through every ancestor's subtree_control). Fails where the machine will not let
 * this process make them (a container's cgroup that holds processes of its own, say).
 */
export async function makeLimitedParent(support: Exclude<CgroupSupport, { version: 'none' }>, parent: string): Promise<void> {
  if (support.version === 'v1') {
    await makeCgroup(parent, [support.memory, support.cpu, support.pids]);
    return;
  }
  const enable = LIMITED.map((controller) => `+${controller}`).join(' ');
  await writeFile(join(support.root, 'cgroup.subtree_control'), enable);
  const [dir] = await makeCgroup(parent, [support.root]);
  await writeFile(join(dir as string, 'cgroup.subtree_control'), enable);
}

/**
 * Creates `parent/name` (the parent made by makeLimitedParent) with these limits; returns its
 * folder in each hierarchy used (one for v2, one per controller for v1).
 */
export async function makeLimitedCgroup(support: Exclude<CgroupSupport, { version: 'none' }>, parent: string, name: string, limits: CgroupLimits): Promise<string[]> {
  const quota = String(Math.round(limits.cpus * CPU_PERIOD_US));
  if (support.version === 'v2') {
    const [dir] = await makeCgroup(`${parent}/${name}`, [support.root]);
    const at = dir as string;
    await writeFile(join(at, 'memory.max'), String(limits.memoryBytes));
    // Without this, a session over its limit would move to swap instead of being stopped.
    if (existsSync(join(at, 'memory.swap.max'))) await writeFile(join(at, 'memory.swap.max'), '0');
    await writeFile(join(at, 'cpu.max'), `${quota} ${CPU_PERIOD_US}`);
    await writeFile(join(at, 'pids.max'), String(limits.processes));
    return [at];
  }
  const [memory, cpu, pids] = (await Promise.all([support.memory, support.cpu, support.pids].map((hierarchy) => makeCgroup(`${parent}/${name}`, [hierarchy])))).map(([dir]) => dir as string) as [string, string, string];
  await writeFile(join(memory, 'memory.limit_in_bytes'), String(limits.memoryBytes));
  // memory+swap, where swap is accounted, may only be set once the memory limit is (it cannot be below it).
  if (existsSync(join(memory, 'memory.memsw.limit_in_bytes'))) await writeFile(join(memory, 'memory.memsw.limit_in_bytes'), String(limits.memoryBytes));
  await writeFile(join(cpu, 'cpu.cfs_period_us'), String(CPU_PERIOD_US));
  await writeFile(join(cpu, 'cpu.cfs_quota_us'), quota);
  await writeFile(join(pids, 'pids.max'), String(limits.processes));
  return [...new Set([memory, cpu, pids])];
}

/** The folders of `relative` in the hierarchies this support uses (whether or not they exist). */
export function cgroupDirs(support: Exclude<CgroupSupport, { version: 'none' }>, relative: string): string[] {
  const roots = support.version === 'v2' ? [support.root] : [support.memory, support.cpu, support.pids];
  return [...new Set(roots.map((root) => join(root, relative)))];
}

import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { type CgroupLimits, type CgroupSupport, cgroupDirs, cgroupSupport, killCgroups, makeLimitedCgroup, makeLimitedParent } from '../cgroups.ts';

/**
 * Each session's processes in a cgroup of their own, so that memory, CPU time and processes are
 * bounded per session rather than per process: cgroup v2 where the machine has it, v1 where it
 * has only that, none without root (the per-process limits of the sandbox still hold).
 */
export class SessionCgroups {
  support: CgroupSupport;
  /** One parent per sessions folder: servers with different state folders never touch each other's sessions. */
  readonly #parent: string;

  constructor(sessionsDir: string, support: CgroupSupport = cgroupSupport()) {
    this.support = support;
    this.#parent = `cnlab-sessions-${createHash('sha256').update(sessionsDir).digest('hex').slice(0, 12)}`;
  }

  /** In words, for the server's startup log. */
  describe(limits: CgroupLimits): string {
    const { support } = this;
    if (support.version === 'none') return `learner sessions have no cgroup (${support.reason}): memory and processes are limited per process only`;
    return `learner sessions run in cgroups (${support.version}): ${Math.round(limits.memoryBytes / 1024 / 1024)} MiB of memory, ${limits.cpus} CPU and ${limits.processes} processes each`;
  }

  /** The folders of a session's cgroup, in each hierarchy used; none without cgroups. */
  dirs(session: string): string[] {
    return this.support.version === 'none' ? [] : cgroupDirs(this.support, `${this.#parent}/${session}`);
  }

  /** Creates a session's cgroup; returns the cgroup.procs files its sandbox joins. */
  async create(session: string, limits: CgroupLimits): Promise<string[]> {
    if (this.support.version === 'none') return [];
    const dirs = await makeLimitedCgroup(this.support, this.#parent, session, limits);
    return dirs.map((dir) => join(dir, 'cgroup.procs'));
  }

  /** Ends whatever still runs in a session's cgroup and removes it. */
  remove(session: string): Promise<void> {
    return killCgroups(this.dirs(session));
  }

  /**
   * Clears what a crashed run left and makes the parent of this server's session cgroups; where
   * that is refused, sessions go without cgroups, and `describe` says why.
   */
  async prepare(): Promise<void> {
    if (this.support.version === 'none') return;
    await this.removeAll();
    const { version } = this.support;
    try {
      await makeLimitedParent(this.support, this.#parent);
    } catch (error) {
      this.support = { version: 'none', reason: `cgroup ${version} is mounted, but this server may not create cgroups in it (${(error as Error).message})` };
    }
  }

  /** Removes every session cgroup of this sessions folder, with the parent: at start (what a crashed run left) and at stop. */
  removeAll(): Promise<void> {
    return this.support.version === 'none' ? Promise.resolve() : killCgroups(cgroupDirs(this.support, this.#parent));
  }
}

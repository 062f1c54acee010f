import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cgroupHierarchies } from '../../../cgroups.ts';
import { run } from '../../../exec.ts';
import { setting } from '../../../settings.ts';

export type Preflight = { ok: true } | { ok: false; reason: string };

/** Programs the node runs or is built with, and the Debian package of each (packages.txt, which scripts/ensure-node-packages.sh installs). */
export const NODE_PROGRAMS: Record<string, string> = Object.fromEntries(
  readFileSync(join(import.meta.dirname, 'packages.txt'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() && !line.startsWith('#'))
    .map((line) => line.split('=') as [string, string]),
);

// Debian puts these in /usr/bin and /usr/sbin; a root shell has both on its PATH, but not every
// service manager passes PATH on, so the usual folders are where to look.
const BIN_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
const onPath = (program: string) => (program.startsWith('/') ? existsSync(program) : BIN_DIRS.some((dir) => existsSync(`${dir}/${program}`)));

/**
 * Whether this machine can run a real node, and if not, why in one sentence. The local
 * provider then runs simulated nodes only and says so.
 */
export async function nodePreflight(): Promise<Preflight> {
  if (setting('CNLAB_REAL_NODE') === 'off') return { ok: false, reason: 'CNLAB_REAL_NODE=off turns the real node off' };
  if (process.getuid?.() !== 0) {
    return { ok: false, reason: `a real node needs root (containerd and the kubelet create namespaces, mounts and cgroups), and cnlab runs as uid ${process.getuid?.()}` };
  }
  const missing = Object.entries(NODE_PROGRAMS).filter(([program]) => !onPath(program));
  if (missing.length > 0) {
    return { ok: false, reason: `the real node needs ${missing.map(([program, pkg]) => `${program} (Debian package ${pkg})`).join(', ')}` };
  }
  if (!readFileSync('/proc/filesystems', 'utf8').includes('overlay')) {
    return { ok: false, reason: 'the kernel has no overlay filesystem, which containerd needs for container images' };
  }
  if (cgroupHierarchies().length === 0) return { ok: false, reason: 'no cgroup hierarchy is mounted under /sys/fs/cgroup' };
  const probe = await run('unshare', ['--pid', '--fork', '--net', '--mount', '--mount-proc', 'true']).catch((error: Error) => ({ code: 127, stderr: error.message }));
  if (probe.code !== 0) return { ok: false, reason: `this machine does not allow new PID, mount and network namespaces (${probe.stderr.trim()})` };
  return { ok: true };
}

import { join } from 'node:path';
import { run, tail } from '../exec.ts';

/**
 * Syscalls a learner's shell and its tools never need, and an attacker inside the sandbox wants:
 * the kernel keyring, tracing and reading other processes, kernel modules and kexec, mounts and
 * new namespaces, eBPF, userfaultfd and perf events (favourite exploit primitives), io_uring, and
 * the host-wide switches (reboot, swap, accounting, the kernel log). Each answers EPERM.
 */
export const BLOCKED_SYSCALLS = [
  'keyctl',
  'add_key',
  'request_key',
  'ptrace',
  'process_vm_readv',
  'process_vm_writev',
  'init_module',
  'finit_module',
  'delete_module',
  'kexec_load',
  'kexec_file_load',
  'mount',
  'umount2',
  'pivot_root',
  'move_mount',
  'open_tree',
  'fsopen',
  'fsconfig',
  'fsmount',
  'fspick',
  'mount_setattr',
  'chroot',
  'unshare',
  'setns',
  'bpf',
  'userfaultfd',
  'perf_event_open',
  'io_uring_setup',
  'io_uring_enter',
  'io_uring_register',
  'open_by_handle_at',
  'name_to_handle_at',
  'reboot',
  'swapon',
  'swapoff',
  'acct',
  'syslog',
  'quotactl',
  'iopl',
  'ioperm',
  'uselib',
  'vhangup',
] as const;

const GENERATOR = join(import.meta.dirname, 'seccomp-filter.py');
/** Debian's Python, which python3-seccomp installs libseccomp's bindings for (another python3 on PATH would not have them). */
const PYTHON = '/usr/bin/python3';

/** Compiles the sandbox's seccomp filter (libseccomp, through python3-seccomp) into `dir`; returns its path. */
export async function writeSeccompFilter(dir: string): Promise<string> {
  const file = join(dir, 'seccomp.bpf');
  const result = await run(PYTHON, [GENERATOR, file, ...BLOCKED_SYSCALLS]).catch((error: Error) => ({ code: 127, stdout: '', stderr: error.message }));
  if (result.code !== 0) {
    const why = /No module named .?seccomp/.test(result.stderr) || result.code === 127 ? 'python3-seccomp is not installed (Debian package python3-seccomp)' : tail(result.stderr || result.stdout, 3);
    throw new Error(`the seccomp filter could not be made: ${why}`);
  }
  return file;
}

import { existsSync, lstatSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../exec.ts';

// The learner's shell runs in bubblewrap: its own mount, PID, network, IPC and UTS namespaces; the
// system's /usr read-only; a home of its own; no view of the server's files, environment,
// database or admin kubeconfig. Its network namespace holds only loopback, where socat relays one
// port to the server's API relay socket: the API server is the one thing the shell can reach
// (not etcd, not kwok, not the lab server, not the internet).

/** Where things are inside the sandbox. */
export const INSIDE = {
  home: '/home/learner',
  kubectlCompletion: '/etc/cnlab/kubectl-completion.bash',
  kubeconfig: '/home/learner/.kube/config',
  apiSocket: '/run/cnlab/kube-api.sock',
  apiPort: 6443,
  binDir: '/opt/cnlab/bin',
} as const;

export type SandboxLimits = {
  /** Processes the learner may run at once (RLIMIT_NPROC; per session only when the server is root). */
  processes: number;
  /** Largest file the learner may write, in bytes (RLIMIT_FSIZE). */
  fileBytes: number;
  /** Address space of each process, in bytes (RLIMIT_AS). */
  memoryBytes: number;
  /** Size of the private /tmp, in bytes. */
  tmpBytes: number;
};

export const defaultLimits: SandboxLimits = {
  processes: 128,
  fileBytes: 100 * 1024 * 1024,
  memoryBytes: 1024 * 1024 * 1024,
  tmpBytes: 64 * 1024 * 1024,
};

export type SandboxSpec = {
  /** The session's folder on the host: home/ and etc/ live in it. */
  sessionDir: string;
  namespace: string;
  kubectl: string;
  /** `kubectl completion bash`, generated once per server rather than once per shell. */
  kubectlCompletion: string;
  apiSocket: string;
  /** Host uid/gid the shell runs as; only a root server can choose them. */
  uid?: number;
  limits: SandboxLimits;
};

const SYSTEM_LINKS = ['bin', 'lib', 'lib32', 'lib64', 'libx32', 'sbin'];

/** /bin, /lib, ... as on the host: symlinks into /usr on merged-/usr systems, read-only binds elsewhere. */
function systemDirs(): string[] {
  const args = ['--ro-bind', '/usr', '/usr'];
  for (const name of SYSTEM_LINKS) {
    const path = `/${name}`;
    if (!existsSync(path)) continue;
    if (lstatSync(path).isSymbolicLink()) args.push('--symlink', readlinkSync(path), path);
    else args.push('--ro-bind', path, path);
  }
  return args;
}

const SHELL_START = [
  // The relay lives as long as the shell; if a learner kills it, only their own kubectl stops.
  `socat TCP-LISTEN:${INSIDE.apiPort},bind=127.0.0.1,fork,reuseaddr UNIX-CONNECT:${INSIDE.apiSocket} 2>/dev/null &`,
  // Not exec: however the shell ends, the relay ends with it. (bwrap's init waits for every
  // process of the sandbox, so a relay left behind would keep the whole sandbox alive.)
  'bash -i',
  'status=$?',
  'kill $! 2>/dev/null',
  'exit $status',
].join('\n');

/** The command line that starts a learner's shell in its sandbox. */
export function sandboxCommand(spec: SandboxSpec, entry: string[] = ['sh', '-c', SHELL_START]): { file: string; args: string[] } {
  const { limits } = spec;
  const privileged = spec.uid !== undefined;
  const args = [
    '--unshare-pid',
    '--unshare-ipc',
    '--unshare-uts',
    '--unshare-net',
    '--unshare-cgroup-try',
    '--die-with-parent',
    '--hostname',
    'cnlab',
    ...systemDirs(),
    // Folders bwrap creates take the caller's umask; the shell must be able to enter them.
    ...['/etc', '/etc/cnlab', '/home', '/run', '/run/cnlab', '/opt', '/opt/cnlab', INSIDE.binDir].flatMap((dir) => ['--perms', '0755', '--dir', dir]),
    '--proc',
    '/proc',
    '--dev',
    '/dev',
    '--perms',
    '1777',
    '--size',
    String(limits.tmpBytes),
    '--tmpfs',
    '/tmp',
    '--bind',
    join(spec.sessionDir, 'home'),
    INSIDE.home,
    '--ro-bind',
    join(spec.sessionDir, 'etc', 'passwd'),
    '/etc/passwd',
    '--ro-bind',
    join(spec.sessionDir, 'etc', 'group'),
    '/etc/group',
    '--ro-bind',
    join(spec.sessionDir, 'etc', 'bashrc'),
    '/etc/bash.bashrc',
    '--ro-bind',
    spec.kubectl,
    `${INSIDE.binDir}/kubectl`,
    '--ro-bind',
    spec.kubectlCompletion,
    INSIDE.kubectlCompletion,
    '--ro-bind',
    spec.apiSocket,
    INSIDE.apiSocket,
    '--clearenv',
    '--setenv',
    'HOME',
    INSIDE.home,
    '--setenv',
    'USER',
    'learner',
    '--setenv',
    'TERM',
    'xterm-256color',
    '--setenv',
    'LANG',
    'C.UTF-8',
    '--setenv',
    'PATH',
    `${INSIDE.binDir}:/usr/local/bin:/usr/bin:/bin`,
    '--setenv',
    'KUBECONFIG',
    INSIDE.kubeconfig,
    '--setenv',
    'CNLAB_NAMESPACE',
    spec.namespace,
    '--chdir',
    INSIDE.home,
  ];
  const limit = [
    'prlimit',
    `--nproc=${limits.processes}`,
    `--fsize=${limits.fileBytes}`,
    `--as=${limits.memoryBytes}`,
    '--core=0',
    '--',
    ...entry,
  ];
  if (privileged) {
    // bwrap mounts as root, then setpriv becomes the session's own uid with no capabilities
    // left, so the process limit counts this session's processes only.
    const id = String(spec.uid);
    args.push('--cap-add', 'CAP_SETUID', '--cap-add', 'CAP_SETGID', '--cap-add', 'CAP_SETPCAP', '--');
    args.push('setpriv', `--reuid=${id}`, `--regid=${id}`, '--clear-groups', '--inh-caps=-all', '--bounding-set=-all', '--no-new-privs', ...limit);
  } else {
    args.push('--unshare-user', '--uid', '1000', '--gid', '1000', '--disable-userns', '--', ...limit);
  }
  return { file: 'bwrap', args };
}

/** The files the sandbox binds from the session folder, in the learner's own words. */
export function sandboxEtc(spec: { namespace: string; uid: number }): Record<string, string> {
  return {
    passwd: `learner:x:${spec.uid}:${spec.uid}:cnlab learner:${INSIDE.home}:/bin/bash\n`,
    group: `learner:x:${spec.uid}:\n`,
    bashrc: [
      '# cnlab: your shell in namespace $CNLAB_NAMESPACE',
      '[ -z "$PS1" ] && return',
      `PS1='\\[\\e[1;32m\\]learner\\[\\e[0m\\]@\\[\\e[1;36m\\]${spec.namespace}\\[\\e[0m\\]:\\w\\$ '`,
      'HISTFILE=~/.bash_history',
      'alias k=kubectl',
      // Completion loads on the first Tab, not at every shell start: sourcing bash-completion
      // (whose helpers kubectl's script needs) costs more CPU than the rest of a session start.
      '_cnlab_complete() {',
      '  complete -r kubectl k',
      '  [ -r /usr/share/bash-completion/bash_completion ] && . /usr/share/bash-completion/bash_completion',
      `  . ${INSIDE.kubectlCompletion}`,
      '  complete -o default -F __start_kubectl k',
      '  __start_kubectl "$@"',
      '}',
      'complete -o default -F _cnlab_complete kubectl k',
      '',
    ].join('\n'),
  };
}

export type SandboxProbe = { ok: true } | { ok: false; reason: string };

/** Starts a throwaway sandbox the way a session would: the terminal refuses to run without one. */
export async function probeSandbox(spec: SandboxSpec): Promise<SandboxProbe> {
  const command = sandboxCommand(spec, ['sh', '-c', 'for tool in bash socat; do command -v $tool >/dev/null || echo "$tool is not installed"; done']);
  try {
    const result = await run(command.file, command.args, { timeoutMs: 10_000 });
    const missing = result.stdout.trim();
    if (result.code === 0 && !missing) return { ok: true };
    return { ok: false, reason: missing || result.stderr.trim() || `bwrap exited with code ${result.code}` };
  } catch {
    return { ok: false, reason: 'bubblewrap (bwrap) is not installed' };
  }
}

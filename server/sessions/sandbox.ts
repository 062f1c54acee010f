import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { CgroupLimits } from '../cgroups.ts';
import { run } from '../exec.ts';

// The learner's shell runs in bubblewrap: its own mount, PID, network, IPC and UTS namespaces; the
// learner toolset (toolset.txt) as a read-only /usr, not the host's; a home and /tmp of its own,
// bounded; no view of the server's files, environment, database or admin kubeconfig. Its
// network namespace holds only loopback, where socat relays one port to the session's API relay
// socket: the API server is the one thing the shell can reach (not etcd, not kwok, not the lab
// server, not the internet).

/** Where things are inside the sandbox. */
export const INSIDE = {
  home: '/home/learner',
  kubectlCompletion: '/etc/cnlab/kubectl-completion.bash',
  kubeconfig: '/home/learner/.kube/config',
  /** The session's kubeconfig as the server wrote it; the shell copies it into the home, where kubectl may change it. */
  kubeconfigTemplate: '/etc/cnlab/kubeconfig',
  apiSocket: '/run/cnlab/kube-api.sock',
  apiPort: 6443,
  binDir: '/opt/cnlab/bin',
} as const;

/** What one session may use; the cgroup's share (memory, cpus, processes) holds where the machine has cgroups. */
export type SessionLimits = CgroupLimits & {
  /** Largest file the learner may write, in bytes (RLIMIT_FSIZE). */
  fileBytes: number;
  /** Address space of each process, in bytes (RLIMIT_AS). */
  processMemoryBytes: number;
  /** Files each process may hold open (RLIMIT_NOFILE). */
  openFiles: number;
  /** Size of the home, in bytes. */
  homeBytes: number;
  /** Files and folders the home may hold (a root server only: bubblewrap's own tmpfs takes no inode limit). */
  homeFiles: number;
  /** Size of the private /tmp, in bytes. */
  tmpBytes: number;
  /** Files and folders /tmp may hold (a root server only). */
  tmpFiles: number;
  /** Connections the session may hold open to the API at once. */
  apiConnections: number;
};

/** The limits no setting changes. */
export const FIXED_LIMITS = {
  fileBytes: 100 * 1024 * 1024,
  processMemoryBytes: 1024 * 1024 * 1024,
  // The host's limit is in the tens of thousands; a shell and its tools need far fewer.
  openFiles: 1024,
  tmpBytes: 64 * 1024 * 1024,
  tmpFiles: 4096,
} as const satisfies Partial<SessionLimits>;

export type SandboxSpec = {
  /** The session's folder on the host: etc/ lives in it, and home/ and tmp/ are where a root server mounts the session's spaces. */
  sessionDir: string;
  namespace: string;
  kubectl: string;
  helm: string;
  /** `kubectl completion bash`, generated once per server rather than once per shell. */
  kubectlCompletion: string;
  /** The session's own API relay socket. */
  apiSocket: string;
  /** The learner toolset's /usr (toolset.ts). */
  usr: string;
  /** The compiled seccomp filter (seccomp.ts). */
  seccompFilter: string;
  /** The cgroup.procs files the sandbox joins before anything in it runs (none where the machine has no cgroups for sessions). */
  cgroupProcs: string[];
  /** Host uid/gid the shell runs as; only a root server can choose them. */
  uid?: number;
  limits: SessionLimits;
};

/** The toolset's /usr as the system: /bin and the like are links into it, as on a merged-/usr system. */
function systemDirs(usr: string): string[] {
  const links = ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32'].filter((name) => existsSync(join(usr, name)));
  return ['--ro-bind', usr, '/usr', ...links.flatMap((name) => ['--symlink', `usr/${name}`, `/${name}`])];
}

const SHELL_START = [
  // The home starts empty: the kubeconfig is copied in so that `kubectl config` may change it.
  `mkdir -p ~/.kube && cp ${INSIDE.kubeconfigTemplate} ${INSIDE.kubeconfig} && chmod 600 ${INSIDE.kubeconfig}`,
  // The relay lives as long as the shell; if a learner kills it, only their own kubectl stops.
  `socat TCP-LISTEN:${INSIDE.apiPort},bind=127.0.0.1,fork,reuseaddr UNIX-CONNECT:${INSIDE.apiSocket} 2>/dev/null &`,
  // Not exec: however the shell ends, the relay ends with it. (bwrap's init waits for every
  // process of the sandbox, so a relay left behind would keep the whole sandbox alive.)
  'bash -i',
  'status=$?',
  'kill $! 2>/dev/null',
  'exit $status',
].join('\n');

// The stages before bubblewrap, each a shell that does one thing and execs the next with the
// rest of its arguments (no learner input reaches them). The first joins the session's cgroups,
// so that nothing the sandbox starts escapes them, and opens the seccomp filter on the fd bwrap
// reads it from.
const SECCOMP_FD = 9;
const JOIN_CGROUPS = `filter=$1; shift; while [ "$1" != -- ]; do echo $$ > "$1" || exit 1; shift; done; shift; exec "$@" ${SECCOMP_FD}< "$filter"`;
// A root server mounts the home and /tmp itself, because only mount(8) limits a tmpfs's files
// as well as its size; the mount namespace is the sandbox's alone and goes with it.
const MOUNT_SPACES = 'mount -t tmpfs -o "$1" cnlab-home "$2" && mount -t tmpfs -o "$3" cnlab-tmp "$4" && shift 5 && exec "$@"';

const tmpfsOptions = (bytes: number, files: number, mode: string, uid?: number) =>
  [`size=${bytes}`, `nr_inodes=${files}`, `mode=${mode}`, ...(uid === undefined ? [] : [`uid=${uid}`, `gid=${uid}`]), 'nosuid', 'nodev'].join(',');

/** The command line that starts a learner's shell in its sandbox. */
export function sandboxCommand(spec: SandboxSpec, entry: string[] = ['sh', '-c', SHELL_START]): { file: string; args: string[] } {
  const { limits } = spec;
  const privileged = spec.uid !== undefined;
  const home = join(spec.sessionDir, 'home');
  const tmp = join(spec.sessionDir, 'tmp');
  const spaces = privileged
    ? ['--bind', home, INSIDE.home, '--bind', tmp, '/tmp']
    : ['--perms', '0700', '--size', String(limits.homeBytes), '--tmpfs', INSIDE.home, '--perms', '1777', '--size', String(limits.tmpBytes), '--tmpfs', '/tmp'];
  const args = [
    '--unshare-pid',
    '--unshare-ipc',
    '--unshare-uts',
    '--unshare-net',
    '--unshare-cgroup-try',
    '--die-with-parent',
    '--hostname',
    'cnlab',
    ...systemDirs(spec.usr),
    // Folders bwrap creates take the caller's umask; the shell must be able to enter them.
    ...['/etc', '/etc/cnlab', '/home', '/run', '/run/cnlab', '/opt', '/opt/cnlab', INSIDE.binDir].flatMap((dir) => ['--perms', '0755', '--dir', dir]),
    '--proc',
    '/proc',
    '--dev',
    '/dev',
    ...spaces,
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
    join(spec.sessionDir, 'etc', 'kubeconfig'),
    INSIDE.kubeconfigTemplate,
    '--ro-bind',
    spec.kubectl,
    `${INSIDE.binDir}/kubectl`,
    '--ro-bind',
    spec.helm,
    `${INSIDE.binDir}/helm`,
    '--ro-bind',
    spec.kubectlCompletion,
    INSIDE.kubectlCompletion,
    '--ro-bind',
    spec.apiSocket,
    INSIDE.apiSocket,
    '--seccomp',
    String(SECCOMP_FD),
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
    `${INSIDE.binDir}:/usr/bin`,
    // What `kubectl edit` and `git commit` open.
    '--setenv',
    'EDITOR',
    'vi',
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
    `--as=${limits.processMemoryBytes}`,
    `--nofile=${limits.openFiles}`,
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
  const mountSpaces = privileged
    ? [
        ...['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', MOUNT_SPACES, 'cnlab-spaces'],
        tmpfsOptions(limits.homeBytes, limits.homeFiles, '0700', spec.uid),
        home,
        tmpfsOptions(limits.tmpBytes, limits.tmpFiles, '1777'),
        tmp,
        '--',
      ]
    : [];
  return { file: 'sh', args: ['-c', JOIN_CGROUPS, 'cnlab-sandbox', spec.seccompFilter, ...spec.cgroupProcs, '--', ...mountSpaces, 'bwrap', ...args] };
}

const MIB = 1024 * 1024;

/**
 * After a command fails, says so when the home or /tmp is what is full: the learner sees "No
 * space left on device" from the tool, and this line says which limit it was and what to do.
 */
function spaceCheck(limits: SessionLimits): string[] {
  const spaces: [string, string, number, number][] = [
    ['~', 'your home', limits.homeBytes, limits.homeFiles],
    ['/tmp', '/tmp', limits.tmpBytes, limits.tmpFiles],
  ];
  return [
    '_cnlab_space() {',
    '  local status=$? free',
    '  [ $status -eq 0 ] && return $status',
    ...spaces.flatMap(([path, name, bytes, files]) => [
      `  free=($(stat -f -c '%a %S %d' ${path} 2>/dev/null))`,
      `  if [ "\${free[2]:-1}" = 0 ]; then echo "cnlab: ${name} holds as many files as it may (${files}): delete some to make room" >&2`,
      `  elif [ -n "\${free[0]}" ] && [ $((free[0] * free[1])) -lt ${MIB} ]; then echo "cnlab: ${name} is full (${Math.round(bytes / MIB)} MiB limit): delete files to make room (du -sh ${path}/* shows what is there)" >&2; fi`,
    ]),
    '  return $status',
    '}',
    'PROMPT_COMMAND=_cnlab_space',
  ];
}

/** The files the sandbox binds from the session folder, in the learner's own words. */
export function sandboxEtc(spec: { namespace: string; uid: number; limits: SessionLimits }): Record<string, string> {
  return {
    passwd: `learner:x:${spec.uid}:${spec.uid}:cnlab learner:${INSIDE.home}:/bin/bash\n`,
    group: `learner:x:${spec.uid}:\n`,
    bashrc: [
      '# cnlab: your shell in namespace $CNLAB_NAMESPACE',
      '[ -z "$PS1" ] && return',
      `PS1='\\[\\e[1;32m\\]learner\\[\\e[0m\\]@\\[\\e[1;36m\\]${spec.namespace}\\[\\e[0m\\]:\\w\\$ '`,
      'HISTFILE=~/.bash_history',
      'alias k=kubectl',
      ...spaceCheck(spec.limits),
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
  const result = await run(command.file, command.args, { timeoutMs: 10_000 });
  const missing = result.stdout.trim();
  if (result.code === 0 && !missing) return { ok: true };
  if (/bwrap: (not found|No such file)/.test(result.stderr)) return { ok: false, reason: 'bubblewrap (bwrap) is not installed' };
  return { ok: false, reason: missing || result.stderr.trim() || `bwrap exited with code ${result.code}` };
}

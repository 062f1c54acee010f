import type { V1Pod } from '@kubernetes/client-node';
import { LABELS, MANAGED_BY } from '../shared/names.ts';
import { LEARNER } from './provision.ts';

// The learner's shell as a pod of their namespace (CNLAB_TERMINAL_BACKEND=pod): what the pod is,
// and how to read what happened to it. Pure: server/sessions/pod-terminal.ts does the API calls.

/** Built from Debian packages by the image catalogue (server/cluster/images/catalogue.yaml). */
export const SHELL_IMAGE = 'docker.io/cnlab/shell:1';
export const SHELL_CONTAINER = 'shell';
/** Marks the shell pod among the learner's own: the platform finds it, graders and "Reset lab" leave it alone. */
export const SHELL_LABEL = 'cnlab.dev/component';
export const SHELL_LABEL_VALUE = 'shell';
export const SHELL_SELECTOR = `${LABELS.managedBy}=${MANAGED_BY},${SHELL_LABEL}=${SHELL_LABEL_VALUE}`;
/**
 * Every shell pod's PriorityClass (of ordinary priority, never preempting): a lab's own quota for
 * the learner's workloads leaves the shell out with a scope `PriorityClass NotIn [cnlab-shell]`
 * (labs/tenancy-limits), while the platform's quota counts it like any pod.
 */
export const SHELL_PRIORITY_CLASS = 'cnlab-shell';

const HOME = '/home/learner';
const UID = 1000;

// Small enough to fit inside every lab's own bounds too (tenancy-limits and resource-limits add a
// LimitRange of at most 500m CPU and 384Mi per container, a limit at most twice the request), and
// counted against the learner's ResourceQuota like any pod of theirs.
export const SHELL_RESOURCES = {
  requests: { cpu: '50m', memory: '192Mi', 'ephemeral-storage': '16Mi' },
  limits: { cpu: '500m', memory: '384Mi', 'ephemeral-storage': '512Mi' },
} as const;
const HOME_SIZE = '256Mi';
const TMP_SIZE = '64Mi';

/**
 * The shell pod: the image's entrypoint runs a tmux server holding one bash, which every attach
 * (an exec of `tmux attach`) joins, so a reconnect from any server replica finds the same shell
 * and tmux redraws its screen. It runs as the learner's ServiceAccount with its token projected
 * (kubectl inside talks to the API as the learner, in this namespace) and passes Pod Security
 * `restricted`: non-root, no privilege escalation, every capability dropped, RuntimeDefault
 * seccomp, and a read-only root with bounded emptyDirs for the home and /tmp.
 */
export function shellPod(image = SHELL_IMAGE): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: 'cnlab-shell-',
      labels: { [LABELS.managedBy]: MANAGED_BY, [SHELL_LABEL]: SHELL_LABEL_VALUE },
      annotations: { 'kubectl.kubernetes.io/default-container': SHELL_CONTAINER },
    },
    spec: {
      serviceAccountName: LEARNER,
      priorityClassName: SHELL_PRIORITY_CLASS,
      // The ServiceAccount says no (its token is only for the host backend's kubeconfig); this pod says yes.
      automountServiceAccountToken: true,
      restartPolicy: 'Never',
      enableServiceLinks: false,
      terminationGracePeriodSeconds: 2,
      securityContext: { runAsNonRoot: true, runAsUser: UID, runAsGroup: UID, fsGroup: UID, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [
        {
          name: SHELL_CONTAINER,
          image,
          imagePullPolicy: 'IfNotPresent',
          env: [
            { name: 'HOME', value: HOME },
            { name: 'TERM', value: 'xterm-256color' },
          ],
          workingDir: HOME,
          securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } },
          resources: { requests: { ...SHELL_RESOURCES.requests }, limits: { ...SHELL_RESOURCES.limits } },
          volumeMounts: [
            { name: 'home', mountPath: HOME },
            { name: 'tmp', mountPath: '/tmp' },
          ],
        },
      ],
      volumes: [
        { name: 'home', emptyDir: { sizeLimit: HOME_SIZE } },
        { name: 'tmp', emptyDir: { sizeLimit: TMP_SIZE } },
      ],
    },
  };
}

/** The tmux session the entrypoint starts (the image's /etc/cnlab/tmux.conf names it). */
const TMUX_SESSION = 'shell';
/**
 * What each attach runs: wait (5 s at most) for the entrypoint's tmux session, then join it. A
 * new tmux client gets the whole current screen drawn, which is what a reattach shows.
 */
export const ATTACH_COMMAND = [
  'bash',
  '-c',
  `for _ in {1..100}; do tmux has-session -t ${TMUX_SESSION} 2>/dev/null && exec tmux -u attach-session -t ${TMUX_SESSION}; sleep 0.05; done; echo 'cnlab: the shell did not start in its pod' >&2; exit 1`,
];

/** What a shell pod's status says, for the terminal to act on. */
export type ShellState =
  | { state: 'starting' }
  | { state: 'running' }
  /** The learner ended the shell (`exit`): the session ends as a host shell's does. */
  | { state: 'exited' }
  /** The pod is gone or failing: the reason, in the learner's words. */
  | { state: 'lost'; reason: string };

// Waiting reasons that never resolve by themselves.
const STUCK = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull', 'CreateContainerConfigError', 'CreateContainerError', 'RunContainerError']);

/** Reads a shell pod (undefined: it no longer exists). */
export function shellState(pod: V1Pod | undefined): ShellState {
  if (!pod) return { state: 'lost', reason: 'your shell\'s pod was deleted' };
  if (pod.metadata?.deletionTimestamp) return { state: 'lost', reason: 'your shell\'s pod is being deleted' };
  const status = pod.status;
  if (status?.reason === 'Evicted') return { state: 'lost', reason: `your shell's pod was evicted by the node (${status.message ?? 'the node ran short of resources'})` };
  const container = status?.containerStatuses?.find((candidate) => candidate.name === SHELL_CONTAINER);
  const terminated = container?.state?.terminated;
  if (terminated) {
    if (terminated.reason === 'OOMKilled') return { state: 'lost', reason: `your shell ran out of memory (its limit is ${SHELL_RESOURCES.limits.memory}) and was stopped` };
    if (terminated.exitCode === 0) return { state: 'exited' };
    return { state: 'lost', reason: `your shell's pod stopped (${terminated.reason ?? 'exit code'} ${terminated.exitCode})` };
  }
  if (status?.phase === 'Failed' || status?.phase === 'Succeeded') return { state: 'lost', reason: `your shell's pod has ${status.phase === 'Failed' ? 'failed' : 'ended'}${status.message ? `: ${status.message}` : ''}` };
  const waiting = container?.state?.waiting;
  if (waiting?.reason && STUCK.has(waiting.reason)) {
    return { state: 'lost', reason: `your shell's pod cannot start: ${waiting.reason}${waiting.message ? ` (${waiting.message})` : ''}` };
  }
  const unschedulable = status?.conditions?.find((condition) => condition.type === 'PodScheduled' && condition.status === 'False' && condition.reason === 'Unschedulable');
  if (unschedulable) return { state: 'lost', reason: `no node can run your shell's pod: ${unschedulable.message ?? 'unschedulable'}` };
  if (container?.state?.running) return { state: 'running' };
  return { state: 'starting' };
}

/**
 * The API's refusal of a shell pod, in the learner's words: which quota or limit stopped it.
 * Kubernetes lists only the exceeded resources in "exceeded quota" messages, e.g.
 * `exceeded quota: learner, requested: limits.memory=384Mi, used: limits.memory=3840Mi, limited: limits.memory=4Gi`.
 */
export function refusalOf(message: string): string {
  const quota = /exceeded quota: ([^,]+), requested: (.+?), used: (.+?), limited: (.+)$/.exec(message);
  if (quota) {
    const [, name, requested = '', used = '', limited = ''] = quota;
    const pairs = (list: string) => new Map(list.split(',').map((pair) => pair.trim().split('=') as [string, string]));
    const [asked, inUse, hard] = [pairs(requested), pairs(used), pairs(limited)];
    const each = [...hard.keys()].map((resource) => `${resource} (the shell needs ${asked.get(resource) ?? '?'}, ${inUse.get(resource) ?? '?'} of ${hard.get(resource)} is in use)`);
    return `your namespace's ResourceQuota ${name} has no room for your shell: ${each.join('; ')}. Delete something you made (or scale it down) and start the terminal again`;
  }
  // A quota made a moment ago is not counted yet: the API refuses every pod until it is.
  const uncounted = /status unknown for quota: ([^,]+)/.exec(message);
  if (uncounted) return `your namespace's ResourceQuota ${uncounted[1]} is still being counted: start the terminal again in a moment`;
  const limit = /is forbidden: (.*(?:per Container|per Pod|must specify|limit to request ratio).*)$/.exec(message);
  if (limit) return `a LimitRange in your namespace refuses your shell's pod: ${limit[1]}`;
  return `the cluster refused your shell's pod: ${message}`;
}

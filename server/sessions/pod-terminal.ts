import { PassThrough, Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { CoreV1Api, Exec, type KubeConfig, SchedulingV1Api, type V1Pod, type V1Status } from '@kubernetes/client-node';
import { LABELS, MANAGED_BY } from '../shared/names.ts';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import { ATTACH_COMMAND, refusalOf, SHELL_CONTAINER, SHELL_PRIORITY_CLASS, SHELL_SELECTOR, type ShellState, shellPod, shellState } from './shell-pod.ts';
import { Terminal, type TerminalEvents } from './terminal.ts';

/** The shell pods' PriorityClass (server/sessions/shell-pod.ts), made when the server starts. */
export async function ensureShellPriorityClass(kc: KubeConfig): Promise<void> {
  try {
    await kc.makeApiClient(SchedulingV1Api).createPriorityClass({
      body: {
        metadata: { name: SHELL_PRIORITY_CLASS, labels: { [LABELS.managedBy]: MANAGED_BY } },
        value: 0,
        preemptionPolicy: 'Never',
        description: "cnlab learners' shells: lab quotas for the learner's own workloads leave them out by this class",
      },
    });
  } catch (error) {
    if ((error as { code?: number }).code !== 409) throw error;
  }
}

/** The shell is not there and cannot be (quota, image, scheduling): the reason, for the learner. */
export class ShellPodError extends Error {}

export type PodTerminalOptions = {
  /** The platform's credentials: they create the pod and exec into it; the shell inside has the learner's. */
  kc: KubeConfig;
  namespace: string;
  image?: string;
  size: { cols: number; rows: number };
  events: TerminalEvents;
  logger: Logger;
  /** How long a new pod may take to run before the learner is told it will not. */
  startTimeoutMs?: number;
};

const START_TIMEOUT_MS = 60_000;
/** After the attach ends, how long the pod may take to show why (its container's end, its deletion). */
const SETTLE_MS = 10_000;
const POLL_MS = 100;

const isNotFound = (error: unknown) => (error as { code?: number }).code === 404;
const apiMessage = (error: unknown) => {
  const body = (error as { body?: unknown }).body;
  if (typeof body === 'string') {
    try {
      return String((JSON.parse(body) as { message?: string }).message ?? body);
    } catch {
      return body;
    }
  }
  return (body as { message?: string } | undefined)?.message ?? (error as Error).message;
};

/** The exec's stdout, with the size the API's resize channel reads (a "resizable" stream to @kubernetes/client-node). */
class Screen extends Writable {
  columns: number;
  rows: number;
  constructor(size: { cols: number; rows: number }, onData: (text: string) => void) {
    const decoder = new StringDecoder('utf8');
    super({
      write(chunk: Buffer, _encoding, done) {
        const text = decoder.write(chunk);
        if (text) onData(text);
        done();
      },
    });
    this.columns = size.cols;
    this.rows = size.rows;
  }
  setSize(cols: number, rows: number): void {
    this.columns = cols;
    this.rows = rows;
    this.emit('resize');
  }
}

type Attachment = { socket: WebSocket; stdin: PassThrough; screen: Screen; status: V1Status | undefined };

/**
 * A shell in a pod of the learner's namespace (server/sessions/shell-pod.ts), reached through the
 * API server's pods/exec (a WebSocket, tty on), so any server replica can attach to it. The pod
 * runs tmux; each attachment is one exec of `tmux attach`, shared by every client of this
 * process. If the exec drops while the pod lives, the next client (or the clients still here)
 * attach again and tmux redraws the screen. If the pod is lost (deleted, evicted, out of
 * memory, never started), the clients are told why and the next attach starts a fresh pod in the
 * same namespace. The learner's `exit` ends the session, as on the host backend.
 */
export class PodTerminal extends Terminal {
  readonly #options: PodTerminalOptions;
  readonly #core: CoreV1Api;
  #size: { cols: number; rows: number };
  #pod: string | undefined;
  #attachment: Attachment | undefined;
  #connecting: Promise<void> | undefined;
  /** Input typed before the exec is open goes in once it is. */
  #pending = '';
  #killed = false;
  #paused = false;

  constructor(options: PodTerminalOptions) {
    super(options.events);
    this.#options = options;
    this.#core = options.kc.makeApiClient(CoreV1Api);
    this.#size = options.size;
  }

  /** The pod's name, once there is one. */
  get pod(): string | undefined {
    return this.#pod;
  }

  /**
   * Finds the namespace's running shell pod (one left by an earlier server, say) or starts one,
   * and waits until it runs. A refusal or a pod that cannot start is a ShellPodError naming why.
   */
  async start(): Promise<void> {
    const { namespace } = this.#options;
    const { items } = await this.#core.listNamespacedPod({ namespace, labelSelector: SHELL_SELECTOR });
    const live = items.find((pod) => ['starting', 'running'].includes(shellState(pod).state));
    // Pods a fault left behind (evicted, failed) would count against the quota: they go.
    for (const stale of items.filter((pod) => pod !== live)) void this.#delete(String(stale.metadata?.name));
    this.#pod = live?.metadata?.name ?? (await this.#create());
    await this.#untilRunning(this.#pod);
  }

  async #create(): Promise<string> {
    const { namespace, image } = this.#options;
    try {
      const created = await this.#core.createNamespacedPod({ namespace, body: shellPod(image) });
      return String(created.metadata?.name);
    } catch (error) {
      if ((error as { code?: number }).code === 403 || (error as { code?: number }).code === 422) throw new ShellPodError(refusalOf(apiMessage(error)));
      throw error;
    }
  }

  async #read(name: string): Promise<V1Pod | undefined> {
    try {
      return await this.#core.readNamespacedPod({ name, namespace: this.#options.namespace });
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async #untilRunning(name: string): Promise<void> {
    const timeout = this.#options.startTimeoutMs ?? START_TIMEOUT_MS;
    const deadline = Date.now() + timeout;
    let last: ShellState = { state: 'starting' };
    while (Date.now() < deadline && !this.#killed) {
      const pod = await this.#read(name);
      last = shellState(pod);
      if (last.state === 'running') return;
      if (last.state !== 'starting') {
        void this.#delete(name);
        throw new ShellPodError(last.state === 'lost' ? last.reason : 'your shell ended as it started');
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    const pod = await this.#read(name);
    const waiting = pod?.status?.containerStatuses?.[0]?.state?.waiting?.reason ?? pod?.status?.phase ?? 'gone';
    void this.#delete(name);
    throw new ShellPodError(`your shell's pod did not start within ${timeout / 1000} s (it is ${waiting}); start the terminal again`);
  }

  #delete(name: string): Promise<void> {
    return this.#core
      .deleteNamespacedPod({ name, namespace: this.#options.namespace, gracePeriodSeconds: 0 })
      .then(() => undefined)
      .catch((error: unknown) => {
        if (!isNotFound(error)) this.#options.logger.warn({ err: error, pod: name }, 'could not delete a shell pod');
      });
  }

  protected override attached(): void {
    this.#ensureAttached();
  }

  #ensureAttached(): void {
    if (this.#attachment || this.#connecting || this.#killed || this.exited) return;
    this.#connecting = this.#connect()
      .catch((error: unknown) => {
        this.#options.logger.warn({ err: error, pod: this.#pod, namespace: this.#options.namespace }, 'could not attach to a shell pod');
        this.#pod = undefined;
        this.interrupt(error instanceof ShellPodError ? error.message : `your shell could not be reached (${(error as Error).message}); start the terminal again`);
      })
      .finally(() => (this.#connecting = undefined));
  }

  async #connect(): Promise<void> {
    // A pod lost earlier is replaced by a fresh one in the same namespace.
    if (!this.#pod) await this.start();
    const pod = String(this.#pod);
    const stdin = new PassThrough();
    const screen = new Screen(this.#size, (text) => this.output(text));
    // The client library ends the stream at the exec's status; anything after it is dropped, not thrown.
    screen.on('error', () => undefined);
    const attachment: Attachment = { socket: undefined as unknown as WebSocket, stdin, screen, status: undefined };
    const socket = (await new Exec(this.#options.kc).exec(this.#options.namespace, pod, SHELL_CONTAINER, ATTACH_COMMAND, screen, null, stdin, true, (status) => {
      attachment.status = status;
    })) as unknown as WebSocket;
    attachment.socket = socket;
    if (this.#killed) {
      socket.close();
      return;
    }
    // tmux draws the whole screen for its new client: that, not old output, is what clients see next.
    this.clearScrollback();
    this.#attachment = attachment;
    if (this.#paused) socket.pause();
    socket.on('close', () => this.#detached(pod, attachment));
    if (this.#pending) {
      stdin.write(this.#pending);
      this.#pending = '';
    }
  }

  /**
   * The exec ended: find out whether the pod went, the learner exited, or only the connection
   * dropped. Clients that come meanwhile wait for the answer (they are told, or attached again).
   */
  #detached(pod: string, attachment: Attachment): void {
    if (this.#attachment === attachment) this.#attachment = undefined;
    if (this.#killed) return;
    let reattach = false;
    this.#connecting = this.#settled(pod, attachment)
      .then((alive) => {
        reattach = alive;
      })
      .finally(() => {
        this.#connecting = undefined;
        // The pod lives: only the connection went. Clients still here get it back at once.
        if (reattach && this.clients > 0) this.#ensureAttached();
      });
  }

  /** Acts on how the pod ended the exec; true if the pod still runs. */
  async #settled(pod: string, attachment: Attachment): Promise<boolean> {
    let state: ShellState;
    try {
      state = await this.#settle(pod, attachment.status !== undefined);
    } catch (error) {
      state = { state: 'lost', reason: `your shell could not be reached (${(error as Error).message})` };
    }
    this.#options.logger.info({ pod, namespace: this.#options.namespace, state, status: attachment.status?.status }, 'shell pod attachment ended');
    if (state.state === 'exited') {
      this.exit(0);
      return false;
    }
    if (state.state === 'lost') {
      this.#pod = undefined;
      void this.#delete(pod);
      this.interrupt(`${state.reason}. Start a new shell: your namespace and everything in it are still there`);
      return false;
    }
    return true;
  }

  /**
   * The pod's state once it shows why the exec ended. An exec that ended with a status means its
   * command ended (tmux's client: the learner's exit, or the server killed): the pod says how soon.
   */
  async #settle(pod: string, commandEnded: boolean): Promise<ShellState> {
    const deadline = Date.now() + (commandEnded ? SETTLE_MS : 0);
    for (;;) {
      const state = shellState(await this.#read(pod));
      if (state.state !== 'running' || Date.now() >= deadline) return state;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  write(data: string): void {
    if (this.exited || this.#killed) return;
    if (this.#attachment) this.#attachment.stdin.write(data);
    else this.#pending += data;
  }

  resize(cols: number, rows: number): void {
    this.#size = { cols, rows };
    this.#attachment?.screen.setSize(cols, rows);
  }

  kill(): void {
    this.#leave();
    if (this.#pod) void this.#delete(this.#pod);
  }

  /** The pod stays for the next server (or another replica) to attach to. */
  override leave(): void {
    this.#leave();
  }

  #leave(): void {
    this.#killed = true;
    this.#attachment?.socket.close();
    this.#attachment = undefined;
  }

  protected pause(): void {
    this.#paused = true;
    // Nothing more is read from the API server: TCP pushes back to tmux, which drops frames of a
    // flooding program and redraws once the client catches up.
    this.#attachment?.socket.pause();
  }

  protected resume(): void {
    this.#paused = false;
    this.#attachment?.socket.resume();
  }
}

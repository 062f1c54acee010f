import { type IPty, spawn } from '@lydell/node-pty';

/** Output kept for a client that (re)attaches: a reload or a lost network shows the recent screen. */
const SCROLLBACK_BYTES = 256 * 1024;
/** A client that falls this far behind pauses the shell instead of growing the server's memory. */
const MAX_BUFFERED_BYTES = 1024 * 1024;

export type TerminalClient = {
  send(data: string): void;
  /** Bytes queued and not yet written to the network. */
  buffered(): number;
  /** The shell has ended, or its pod is gone (the reason, for the learner): tell them and let go. */
  ended(reason?: string): void;
};

export type TerminalEvents = {
  output(bytes: number): void;
  /** The shell ended for good: the session ends with it. */
  exit(code: number): void;
};

/**
 * One learner shell, whichever backend runs it (a pty on this machine, or a pod attached through
 * the Kubernetes API): the clients watching it, its recent output, and flow control. The session
 * manager and the terminal socket know only this.
 */
export abstract class Terminal {
  readonly #clients = new Set<TerminalClient>();
  readonly #events: TerminalEvents;
  #scrollback = '';
  #paused = false;
  #exitCode: number | undefined;

  protected constructor(events: TerminalEvents) {
    this.#events = events;
  }

  get exited(): boolean {
    return this.#exitCode !== undefined;
  }

  /** Adds a client and returns the scrollback it should draw first. */
  attach(client: TerminalClient): string {
    this.#clients.add(client);
    this.attached();
    return this.#scrollback;
  }

  detach(client: TerminalClient): void {
    this.#clients.delete(client);
    this.#throttle();
  }

  get clients(): number {
    return this.#clients.size;
  }

  abstract write(data: string): void;
  abstract resize(cols: number, rows: number): void;
  /** Ends the shell. */
  abstract kill(): void;
  /** The server is stopping: a shell that can outlive it (a pod) is left for the next one, any other ends. */
  leave(): void {
    this.kill();
  }

  /** A client came: a backend that lost its connection to the shell reconnects. */
  protected attached(): void {}
  /** Stop reading the shell's output until the slowest client catches up. */
  protected abstract pause(): void;
  protected abstract resume(): void;

  protected output(data: string): void {
    this.#scrollback = (this.#scrollback + data).slice(-SCROLLBACK_BYTES);
    this.#events.output(Buffer.byteLength(data));
    for (const client of this.#clients) client.send(data);
    this.#throttle();
  }

  /** A new connection to the same shell redraws its whole screen: the old output is not replayed before it. */
  protected clearScrollback(): void {
    this.#scrollback = '';
  }

  protected exit(code: number): void {
    if (this.exited) return;
    this.#exitCode = code;
    this.#letGo();
    this.#events.exit(code);
  }

  /** The shell is gone but the session goes on: its clients are told why; the next attach starts a fresh shell. */
  protected interrupt(reason: string): void {
    this.#letGo(reason);
  }

  #letGo(reason?: string): void {
    for (const client of this.#clients) client.ended(reason);
    this.#clients.clear();
  }

  // A shell printing faster than a browser reads (`yes`, a huge `cat`) is paused until the
  // slowest client catches up, so one learner's flood costs neither memory nor other sessions.
  #throttle(): void {
    const behind = [...this.#clients].some((client) => client.buffered() > MAX_BUFFERED_BYTES);
    if (behind && !this.#paused) {
      this.#paused = true;
      this.pause();
      const check = setInterval(() => {
        if ([...this.#clients].every((client) => client.buffered() <= MAX_BUFFERED_BYTES / 4) || this.exited) {
          clearInterval(check);
          this.#paused = false;
          this.resume();
        }
      }, 50);
    }
  }
}

/** A shell on this machine: the sandbox command (server/sessions/sandbox.ts) under a pty. */
export class HostTerminal extends Terminal {
  readonly #pty: IPty;

  constructor(command: { file: string; args: string[] }, size: { cols: number; rows: number }, events: TerminalEvents) {
    super(events);
    // The sandbox starts from a cleared environment; bwrap itself only needs to be found.
    this.#pty = spawn(command.file, command.args, {
      name: 'xterm-256color',
      cols: size.cols,
      rows: size.rows,
      cwd: '/',
      env: { PATH: '/usr/local/bin:/usr/bin:/bin' },
    });
    this.#pty.onData((data) => this.output(data));
    this.#pty.onExit(({ exitCode }) => this.exit(exitCode));
  }

  write(data: string): void {
    if (!this.exited) this.#pty.write(data);
  }

  resize(cols: number, rows: number): void {
    if (!this.exited) this.#pty.resize(cols, rows);
  }

  kill(): void {
    if (!this.exited) this.#pty.kill('SIGKILL');
  }

  protected pause(): void {
    this.#pty.pause();
  }

  protected resume(): void {
    this.#pty.resume();
  }
}

import { type IPty, spawn } from '@lydell/node-pty';

/** Output kept for a client that (re)attaches: a reload or a lost network shows the recent screen. */
const SCROLLBACK_BYTES = 256 * 1024;
/** A client that falls this far behind pauses the shell instead of growing the server's memory. */
const MAX_BUFFERED_BYTES = 1024 * 1024;

export type TerminalClient = {
  send(data: string): void;
  /** Bytes queued and not yet written to the network. */
  buffered(): number;
  /** The shell has ended: tell the learner and let go. */
  ended(): void;
};

export type TerminalEvents = {
  output(bytes: number): void;
  exit(code: number): void;
};

/** One learner shell: a pty, the clients watching it, and its recent output. */
export class Terminal {
  readonly #pty: IPty;
  readonly #clients = new Set<TerminalClient>();
  #scrollback = '';
  #paused = false;
  #exitCode: number | undefined;

  constructor(command: { file: string; args: string[] }, size: { cols: number; rows: number }, events: TerminalEvents) {
    // The sandbox starts from a cleared environment; bwrap itself only needs to be found.
    this.#pty = spawn(command.file, command.args, {
      name: 'xterm-256color',
      cols: size.cols,
      rows: size.rows,
      cwd: '/',
      env: { PATH: '/usr/local/bin:/usr/bin:/bin' },
    });
    this.#pty.onData((data) => {
      this.#scrollback = (this.#scrollback + data).slice(-SCROLLBACK_BYTES);
      events.output(Buffer.byteLength(data));
      for (const client of this.#clients) client.send(data);
      this.#throttle();
    });
    this.#pty.onExit(({ exitCode }) => {
      this.#exitCode = exitCode;
      for (const client of this.#clients) client.ended();
      this.#clients.clear();
      events.exit(exitCode);
    });
  }

  get exited(): boolean {
    return this.#exitCode !== undefined;
  }

  /** Adds a client and returns the scrollback it should draw first. */
  attach(client: TerminalClient): string {
    this.#clients.add(client);
    return this.#scrollback;
  }

  detach(client: TerminalClient): void {
    this.#clients.delete(client);
    this.#throttle();
  }

  get clients(): number {
    return this.#clients.size;
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

  // A shell printing faster than a browser reads (`yes`, a huge `cat`) is paused until the
  // slowest client catches up, so one learner's flood costs neither memory nor other sessions.
  #throttle(): void {
    const behind = [...this.#clients].some((client) => client.buffered() > MAX_BUFFERED_BYTES);
    if (behind && !this.#paused) {
      this.#paused = true;
      this.#pty.pause();
      const check = setInterval(() => {
        if ([...this.#clients].every((client) => client.buffered() <= MAX_BUFFERED_BYTES / 4) || this.exited) {
          clearInterval(check);
          this.#paused = false;
          this.#pty.resume();
        }
      }, 50);
    }
  }
}

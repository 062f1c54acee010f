// Test support: the whole platform started as a user starts it (the CLI, a real local cluster,
// real sandboxes), and learners driving it over HTTP and the terminal WebSocket.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { run } from '../exec.ts';
import { projectRoot } from '../paths.ts';
import type { ServerFrame as ProtocolFrame } from '../shared/terminal-protocol.ts';

export type Platform = {
  url: string;
  origin: string;
  env: NodeJS.ProcessEnv;
  stateDir: string;
  process: ChildProcess;
  /** What the server has printed so far (its startup steps and logs). */
  output(): string;
  stop(): Promise<void>;
  /** Runs the cnlab CLI against this platform's cluster. */
  cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
};

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const platformEnv = (stateDir: string, settings: Record<string, string> = {}): NodeJS.ProcessEnv => ({ ...process.env, CNLAB_STATE_DIR: stateDir, CNLAB_CLUSTER_NAME: 'cnlab-sessions-it', CNLAB_PROVIDER: 'local', LOG_LEVEL: 'warn', ...settings });

/** Takes down the cluster of a state dir, also when no platform on it ever became healthy. */
export const clusterDown = (stateDir: string) => run(process.execPath, [join(projectRoot, 'server', 'cli.ts'), 'cluster', 'down'], { env: platformEnv(stateDir) });

/** Starts `cnlab start` on a free port; the cluster is shared by every platform with the same state dir. */
export async function startPlatform(settings: Record<string, string> = {}, stateDir?: string): Promise<Platform> {
  const dir = stateDir ?? (await mkdtemp(join(tmpdir(), 'cnlab-platform-')));
  const port = await freePort();
  const env = platformEnv(dir, settings);
  const child = spawn(process.execPath, [join(projectRoot, 'server', 'cli.ts'), 'start', '--port', String(port)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  // A first start builds a cluster and its real node, whose add-ons wait for their images: on a
  // busy machine that alone can take minutes.
  const deadline = Date.now() + 600_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`cnlab start exited:\n${output}`);
    const health = await fetch(`${url}/api/health`).catch(() => undefined);
    if (health?.ok) break;
    if (Date.now() > deadline) {
      // Not left running, holding its cluster, after the test has given up on it.
      child.kill('SIGTERM');
      await once(child, 'exit');
      throw new Error(`cnlab start did not become healthy:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return {
    url,
    origin: url,
    env,
    stateDir: dir,
    process: child,
    output: () => output,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
    cli: (...args) => run(process.execPath, [join(projectRoot, 'server', 'cli.ts'), ...args], { env }),
  };
}

export type Learner = {
  cookie: string;
  openSession(lab: string): Promise<{ status: number; body: { id?: string; namespace?: string; error?: string } }>;
};

/** The learner id inside a learner cookie (`cnlab_learner=<base64url JSON>.<signature>`). */
export const learnerIdOf = (cookie: string) =>
  (JSON.parse(Buffer.from(decodeURIComponent(cookie.split('=')[1] ?? '').split('.')[0] ?? '', 'base64url').toString()) as { id: string }).id;

/** A new anonymous learner: the cookie the server hands out on first contact. */
export async function newLearner(platform: Platform): Promise<Learner> {
  const response = await fetch(`${platform.url}/api/me`);
  const cookie = (response.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  return {
    cookie,
    async openSession(lab) {
      const res = await fetch(`${platform.url}/api/sessions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie },
        body: JSON.stringify({ lab }),
      });
      return { status: res.status, body: (await res.json()) as { id?: string; namespace?: string; error?: string } };
    },
  };
}

type KeysOfUnion<U> = U extends unknown ? keyof U : never;
type FieldOf<U, K extends PropertyKey> = U extends { [P in K]?: infer V } ? V : never;
/** A server frame as tests look into it: its type, and any field some frame carries. */
export type ServerFrame = { type: ProtocolFrame['type'] } & { [K in Exclude<KeysOfUnion<ProtocolFrame>, 'type'>]?: FieldOf<ProtocolFrame, K> };

/** A terminal connection; `output` accumulates shell output, `frames` every frame received. */
export class Shell {
  output = '';
  readonly frames: ServerFrame[] = [];
  closed: { code: number; reason: string } | undefined;
  readonly socket: WebSocket;

  private constructor(socket: WebSocket) {
    this.socket = socket;
    socket.on('message', (raw) => {
      const frame = JSON.parse(raw.toString()) as ServerFrame;
      this.frames.push(frame);
      if (frame.type === 'data') this.output += frame.data ?? '';
    });
    socket.on('close', (code, reason) => (this.closed = { code, reason: reason.toString() }));
  }

  /** Connects, or rejects with the HTTP status the server refused the upgrade with. */
  static connect(platform: Platform, sessionId: string, headers: Record<string, string>): Promise<Shell> {
    return Shell.open(platform, `/api/sessions/${sessionId}/terminal`, headers);
  }

  /** Any terminal socket of the server: a learner's own, or an instructor's read-only view. */
  static open(platform: Platform, path: string, headers: Record<string, string>): Promise<Shell> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(`${platform.url.replace('http', 'ws')}${path}`, { headers });
      socket.once('open', () => resolve(new Shell(socket)));
      socket.once('unexpected-response', (_request, response) => reject(Object.assign(new Error(`refused: ${response.statusCode}`), { status: response.statusCode })));
      socket.once('error', reject);
    });
  }

  /** A protocol frame (ClientFrame, AuthFrame), or anything else, for tests of what the server refuses. */
  send(frame: unknown): void {
    this.socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  async waitFor(predicate: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; output so far:\n${this.output.slice(-2000)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Runs a command line in the shell and returns what it printed (stdout and stderr). */
  async exec(command: string, timeoutMs = 20_000): Promise<string> {
    const marker = randomUUID().slice(0, 8);
    const start = this.output.length;
    // The markers are built by the shell, so the echoed command line never matches them.
    this.send({ type: 'data', data: `echo "<<$((1))${marker}"; ${command} 2>&1; echo "${marker}$((2))>>"\r` });
    const begin = `<<1${marker}`;
    const end = `${marker}2>>`;
    const span = () => {
      const from = this.output.indexOf(begin, start);
      const to = from === -1 ? -1 : this.output.indexOf(end, from);
      return to === -1 ? undefined : this.output.slice(from + begin.length, to);
    };
    await this.waitFor(() => span() !== undefined, `the end of \`${command}\``, timeoutMs);
    return (span() ?? '').replace(/\r/g, '').trim();
  }

  close(): void {
    this.socket.close();
  }
}

/** A learner (a new one, unless given) with an open session and a shell attached to it. */
export async function learnerWithShell(platform: Platform, lab = 'security', known?: Learner): Promise<{ learner: Learner; id: string; namespace: string; shell: Shell }> {
  const learner = known ?? (await newLearner(platform));
  const opened = await learner.openSession(lab);
  if (opened.status !== 201 || !opened.body.id || !opened.body.namespace) throw new Error(`could not open a session: ${opened.status} ${opened.body.error}`);
  const shell = await Shell.connect(platform, opened.body.id, { cookie: learner.cookie, origin: platform.origin });
  await shell.waitFor(() => shell.output.includes('$ '), 'the prompt');
  return { learner, id: opened.body.id, namespace: opened.body.namespace, shell };
}

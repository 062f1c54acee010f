// Test support: a throwaway PostgreSQL server from Debian's packages, listening only on a Unix
// socket in a temporary folder, owned by the `postgres` system user when the tests run as root
// (PostgreSQL refuses to run as root).
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../exec.ts';

export type TestPostgres = {
  url: string;
  stop(): Promise<void>;
  /** Starts it again on the same data, after `stop`: a database back from an outage. */
  start(): Promise<void>;
};

function binDir(): string {
  const root = '/usr/lib/postgresql';
  const version = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a))[0] : undefined;
  if (!version) throw new Error('PostgreSQL is not installed: apt-get install postgresql (scripts/test.sh does it as root)');
  return join(root, version, 'bin');
}

export async function startPostgres(): Promise<TestPostgres> {
  const dir = await mkdtemp(join(tmpdir(), 'cnlab-pg-'));
  const asRoot = process.getuid?.() === 0;
  const owner = asRoot ? Number((await run('id', ['-u', 'postgres'])).stdout.trim()) : undefined;
  if (owner !== undefined) await chown(dir, owner, owner);
  const as = (command: string, args: string[]) => (owner === undefined ? [command, args] as const : (['setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', command, ...args]] as const));

  const [initdb, initArgs] = as(join(binDir(), 'initdb'), ['-D', join(dir, 'data'), '-A', 'trust', '-U', 'cnlab', '--no-sync']);
  const init = await run(initdb, [...initArgs]);
  if (init.code !== 0) throw new Error(`initdb failed:\n${init.stderr}`);
  const [postgres, args] = as(join(binDir(), 'postgres'), ['-D', join(dir, 'data'), '-k', dir, '-c', "listen_addresses=", '-c', 'fsync=off']);
  const socket = join(dir, '.s.PGSQL.5432');
  let server = await serve(postgres, [...args], socket);
  // Ready to accept connections once the socket answers a real query; createdb confirms both.
  const [createdb, createArgs] = as(join(binDir(), 'createdb'), ['-h', dir, '-U', 'cnlab', 'cnlab']);
  for (let i = 0; ; i += 1) {
    const created = await run(createdb, [...createArgs]);
    if (created.code === 0) break;
    if (i > 100) throw new Error(`createdb failed:\n${created.stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  let running = true;
  return {
    url: `postgresql://cnlab@/cnlab?host=${encodeURIComponent(dir)}`,
    async stop() {
      if (!running) return;
      running = false;
      server.kill('SIGINT');
      await new Promise((resolve) => server.once('exit', resolve));
    },
    async start() {
      if (running) return;
      server = await serve(postgres, [...args], socket);
      running = true;
    },
  };
}

/** The server on its data folder, once its socket is there. */
async function serve(postgres: string, args: string[], socket: string): Promise<ChildProcess> {
  const server = spawn(postgres, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  server.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  for (let i = 0; !existsSync(socket); i += 1) {
    if (i > 200 || server.exitCode !== null) throw new Error(`PostgreSQL did not start:\n${log}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return server;
}

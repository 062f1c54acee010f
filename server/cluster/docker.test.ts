// Provider choice hinges on how `docker` behaves; each case runs a real program named docker
// on a PATH of its own, so the detection code runs exactly as it does on a user's machine.
import assert from 'node:assert/strict';
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { dockerDaemon } from './docker.ts';

async function pathWithDocker(script: string | undefined): Promise<NodeJS.ProcessEnv> {
  const dir = await mkdtemp(join(tmpdir(), 'cnlab-docker-'));
  if (script !== undefined) {
    await writeFile(join(dir, 'docker'), `#!/bin/sh\n${script}\n`);
    await chmod(join(dir, 'docker'), 0o755);
  }
  // Only /bin besides our folder: the shell and sleep, never a real docker.
  return { PATH: `${dir}:/bin` };
}

test('no docker program means absent', async () => {
  assert.deepEqual(await dockerDaemon(await pathWithDocker(undefined)), { state: 'absent' });
});

test('a daemon that answers gives its version', async () => {
  const env = await pathWithDocker('[ "$1 $2 $3" = "version --format {{.Server.Version}}" ] && echo 28.5.1');
  assert.deepEqual(await dockerDaemon(env), { state: 'ok', version: '28.5.1' });
});

test("a CLI without a daemon is broken, with the CLI's own explanation", async () => {
  const env = await pathWithDocker(
    'echo "Client: 28.5.1"; echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?" >&2; exit 1',
  );
  const daemon = await dockerDaemon(env);
  assert.equal(daemon.state, 'broken');
  assert.match(daemon.state === 'broken' ? daemon.reason : '', /^Cannot connect to the Docker daemon/);
});

test('a daemon that hangs is broken after the timeout, not waited on forever', async () => {
  const started = Date.now();
  const daemon = await dockerDaemon(await pathWithDocker('exec sleep 60'));
  assert.deepEqual(daemon, { state: 'broken', reason: 'no answer within 5s' });
  assert.ok(Date.now() - started < 15_000);
});

test('a silent failure still names the exit code', async () => {
  assert.deepEqual(await dockerDaemon(await pathWithDocker('exit 3')), { state: 'broken', reason: 'docker exited with code 3' });
});

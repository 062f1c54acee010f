import { run } from '../exec.ts';

export type DockerDaemon = { state: 'absent' } | { state: 'ok'; version: string } | { state: 'broken'; reason: string };

// A daemon that hangs must not hang `cluster up`: after this long it counts as broken.
const TIMEOUT_MS = 5000;

/** Whether a Docker daemon answers: the kind provider's one requirement. */
export async function dockerDaemon(env: NodeJS.ProcessEnv = process.env): Promise<DockerDaemon> {
  let result;
  try {
    result = await run('docker', ['version', '--format', '{{.Server.Version}}'], { env, timeoutMs: TIMEOUT_MS });
  } catch {
    return { state: 'absent' };
  }
  const version = result.stdout.trim();
  if (result.code === 0 && version) return { state: 'ok', version };
  const reason = result.stderr.split('\n').find((line) => line.trim()) ?? '';
  return {
    state: 'broken',
    reason: reason.trim() || (result.code >= 128 ? `no answer within ${TIMEOUT_MS / 1000}s` : `docker exited with code ${result.code}`),
  };
}

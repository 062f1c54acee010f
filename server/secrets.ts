import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';

/**
 * A secret that outlives restarts: the environment variable if set, else one generated on first
 * use and kept in `file` (mode 0600). Concurrent first uses agree: only one write can create it.
 */
export async function persistentSecret(file: string, fromEnv: string | undefined): Promise<string> {
  if (fromEnv) return fromEnv;
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    await writeFile(file, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' }).catch(() => undefined);
    return (await readFile(file, 'utf8')).trim();
  }
}

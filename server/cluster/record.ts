import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { stateDir } from '../paths.ts';
import { type ClusterAccess, providerNames } from './provider.ts';

// The cluster `up` created last, so `status`, `down` and the server find it without flags.
const recordSchema = z.object({
  provider: z.enum(providerNames),
  kubeconfig: z.string(),
  context: z.string().optional(),
});

const recordPath = () => join(stateDir(), 'cluster.json');

export async function readRecord(): Promise<ClusterAccess | undefined> {
  let text;
  try {
    text = await readFile(recordPath(), 'utf8');
  } catch {
    return undefined;
  }
  const parsed = recordSchema.safeParse(JSON.parse(text));
  return parsed.success ? parsed.data : undefined;
}

export async function writeRecord(access: ClusterAccess): Promise<void> {
  await mkdir(stateDir(), { recursive: true, mode: 0o700 });
  await writeFile(recordPath(), `${JSON.stringify(access, null, 2)}\n`, { mode: 0o600 });
}

export async function clearRecord(): Promise<void> {
  await rm(recordPath(), { force: true });
}

import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { CnlabError } from '../errors.ts';
import { stateDir } from '../paths.ts';
import { type ClusterAccess, providerNames } from './provider.ts';

// The cluster `up` created last, so `status`, `down` and the server find it without flags.
const recordSchema = z.object({
  provider: z.enum(providerNames),
  kubeconfig: z.string(),
  context: z.string().optional(),
  inCluster: z.literal(true).optional(),
});

const recordPath = () => join(stateDir(), 'cluster.json');

export async function readRecord(): Promise<ClusterAccess | undefined> {
  let text;
  try {
    text = await readFile(recordPath(), 'utf8');
  } catch {
    return undefined;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw corrupt(`it is not JSON (${(error as Error).message})`);
  }
  const parsed = recordSchema.safeParse(json);
  if (!parsed.success) throw corrupt(`${parsed.error.issues[0]?.path.join('.') || 'it'}: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

const corrupt = (why: string) =>
  new CnlabError(`the cluster record ${recordPath()} is damaged: ${why}`, 'delete it and run `cnlab cluster up` again (a running local cluster is found again)');

export async function writeRecord(access: ClusterAccess): Promise<void> {
  await mkdir(stateDir(), { recursive: true, mode: 0o700 });
  await writeFile(recordPath(), `${JSON.stringify(access, null, 2)}\n`, { mode: 0o600 });
}

export async function clearRecord(): Promise<void> {
  await rm(recordPath(), { force: true });
}

import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CnlabError } from '../errors.ts';
import { run, tail } from '../exec.ts';
import { projectRoot } from '../paths.ts';
import type { Steps } from '../steps.ts';

export const siteDir = join(projectRoot, 'dist');
const sources = ['content', 'src', 'labs', 'exams', 'astro.config.mjs'].map((entry) => join(projectRoot, entry));

async function newestChange(path: string): Promise<number> {
  const info = await stat(path);
  if (!info.isDirectory()) return info.mtimeMs;
  const entries = await readdir(path);
  const times = await Promise.all(entries.map((entry) => newestChange(join(path, entry))));
  return Math.max(info.mtimeMs, ...times);
}

/** Builds the static course site when it is missing or older than its sources. */
export async function ensureSiteBuilt(steps: Steps): Promise<void> {
  const index = join(siteDir, 'index.html');
  if (existsSync(index)) {
    const built = (await stat(index)).mtimeMs;
    const changed = Math.max(...(await Promise.all(sources.filter(existsSync).map(newestChange))));
    if (built >= changed) return;
  }
  const result = await steps.step('build the course site', () =>
    run(join(projectRoot, 'node_modules', '.bin', 'astro'), ['build'], { cwd: projectRoot }),
  );
  if (result.code !== 0) {
    throw new CnlabError(`the course site did not build:\n${tail(result.stdout + result.stderr, 25)}`);
  }
}

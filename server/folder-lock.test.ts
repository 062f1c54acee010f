import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { lockFolder } from './folder-lock.ts';

test('a folder held by a live process is refused, naming it; a dead holder\'s lock is taken over', async () => {
  const folder = join(await mkdtemp(join(tmpdir(), 'cnlab-lock-')), 'sessions');
  const holder = spawn('sleep', ['30']);
  await writeFile(`${folder}.lock`, `${holder.pid}\n`);
  assert.throws(() => lockFolder(folder, 'the sessions folder'), new RegExp(`the sessions folder ${folder} is in use by another cnlab process \\(pid ${holder.pid}\\)`));
  holder.kill();
  await once(holder, 'exit');
  const lock = lockFolder(folder, 'the sessions folder');
  assert.equal((await readFile(`${folder}.lock`, 'utf8')).trim(), String(process.pid));
  lock.release();
  // Released: the next owner takes it at once.
  lockFolder(folder, 'the sessions folder').release();
});

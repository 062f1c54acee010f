import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { stateDir } from '../paths.ts';
import { SqliteStore } from './sqlite.ts';
import type { ProgressStore } from './store.ts';

/** The progress store: a SQLite file in the state folder unless CNLAB_DATABASE names another file. */
export function openStore(): ProgressStore {
  mkdirSync(stateDir(), { recursive: true, mode: 0o700 });
  return new SqliteStore(process.env.CNLAB_DATABASE ?? join(stateDir(), 'cnlab.db'));
}

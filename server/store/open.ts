import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { stateDir } from '../paths.ts';
import { setting } from '../settings.ts';
import type { Logger } from 'pino';
import { postgresConnection } from './postgres.ts';
import { localBus, postgresBus, type ReplicaBus } from './replica-bus.ts';
import { SqlProgressStore } from './sql-store.ts';
import { sqliteConnection } from './sqlite.ts';
import type { ProgressStore } from './store.ts';

/**
 * The progress store: PostgreSQL when CNLAB_DATABASE_URL names one (several server instances),
 * else a SQLite file in the state folder (or CNLAB_DATABASE).
 */
export function openStore(): Promise<ProgressStore> {
  const url = setting('CNLAB_DATABASE_URL');
  if (url) return SqlProgressStore.open(postgresConnection(url));
  mkdirSync(stateDir(), { recursive: true, mode: 0o700 });
  return SqlProgressStore.open(sqliteConnection(setting('CNLAB_DATABASE') ?? join(stateDir(), 'cnlab.db')));
}

/** Events for every server process: over PostgreSQL when the store is there (several servers), else in this process. */
export function openReplicaBus<Events extends Record<string, unknown>>(logger: Logger): Promise<ReplicaBus<Events>> {
  const url = setting('CNLAB_DATABASE_URL');
  return url ? postgresBus<Events>(url, logger) : Promise.resolve(localBus<Events>());
}

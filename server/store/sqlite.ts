import { chmodSync, existsSync } from 'node:fs';
import { DatabaseSync, type SQLInputValue } from 'node:sqlite';
import { CnlabError } from '../errors.ts';
import type { SqlConnection } from './connection.ts';

// The embedded default: one SQLite file, in WAL mode so reads never wait for a write.
// node:sqlite is synchronous on one connection, so transactions are queued one after another:
// two learners' writes never interleave inside each other's transaction.

/** SQLite's words for "the disk is full" and "the file cannot be written", as advice. */
function explain(error: unknown, file: string): never {
  const message = (error as Error).message;
  if (/SQLITE_FULL|database or disk is full/i.test(message)) {
    throw new CnlabError(`the progress database ${file} cannot grow: the disk is full; nothing was recorded`, 'free some disk space; nothing already recorded is lost');
  }
  if (/SQLITE_READONLY|readonly database/i.test(message)) {
    throw new CnlabError(`the progress database ${file} is read-only; nothing was recorded`, "give the platform's user write access to the file and its folder");
  }
  throw error;
}

export function sqliteConnection(file: string): SqlConnection {
  const created = !existsSync(file);
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(file);
    db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;');
  } catch (error) {
    explain(error, file);
  }
  // Progress is personal data: only the platform's user may read the file.
  if (created) chmodSync(file, 0o600);
  const params = (values: unknown[]) => values as SQLInputValue[];
  let queue: Promise<unknown> = Promise.resolve();

  const rows = async (sql: string, values: unknown[] = []) => db.prepare(sql).all(...params(values));
  const execute = async (sql: string, values: unknown[] = []) => void db.prepare(sql).run(...params(values));
  return {
    rows,
    transaction(work) {
      const next = queue.then(async () => {
        db.exec('BEGIN IMMEDIATE');
        try {
          await work({ rows, execute });
          db.exec('COMMIT');
        } catch (error) {
          db.exec('ROLLBACK');
          explain(error, file);
        }
      });
      queue = next.catch(() => undefined);
      return next;
    },
    close: async () => {
      await queue;
      db.close();
    },
  };
}

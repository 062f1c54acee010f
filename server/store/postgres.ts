import pg from 'pg';
import { CnlabError } from '../errors.ts';
import type { SqlConnection } from './connection.ts';

// PostgreSQL, for deployments that run several server instances against one database. An
// advisory lock makes instances that start together apply the schema steps once.

const MIGRATION_LOCK = 'SELECT pg_advisory_xact_lock(1668177004)';

/** `?` placeholders, numbered the way PostgreSQL wants them. */
const numbered = (sql: string) => {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
};

/** PostgreSQL's codes for a full disk and a read-only database, as advice. */
function explain(error: unknown): never {
  const code = (error as { code?: string }).code;
  if (code === '53100') throw new CnlabError('the progress database cannot grow: its disk is full; nothing was recorded', 'free disk space on the database server');
  if (code === '25006') throw new CnlabError('the progress database is read-only; nothing was recorded', 'point CNLAB_DATABASE_URL at a writable primary');
  throw error;
}

export function postgresConnection(url: string): SqlConnection {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  return {
    migrationLock: MIGRATION_LOCK,
    rows: async (sql, values = []) => (await pool.query(numbered(sql), values)).rows as Record<string, unknown>[],
    async transaction(work) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await work({
          rows: async (sql, values = []) => (await client.query(numbered(sql), values)).rows as Record<string, unknown>[],
          execute: async (sql, values = []) => void (await client.query(numbered(sql), values)),
        });
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        explain(error);
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}

import pg from 'pg';
import { CnlabError } from '../errors.ts';
import { type SqlConnection, StoreUnavailableError } from './connection.ts';

// PostgreSQL, for deployments that run several server instances against one database. An
// advisory lock makes instances that start together apply the schema steps once.

const MIGRATION_LOCK = 'SELECT pg_advisory_xact_lock(1668177004)';

/** `?` placeholders, numbered the way PostgreSQL wants them. */
const numbered = (sql: string) => {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
};

// How long a query waits for a connection before the request is answered "unavailable": a
// database that is down must not hold learners' requests open.
const CONNECT_TIMEOUT_MS = 5000;

/**
 * A connection that could not be made or was cut: refused, the socket gone, a server shutting
 * down or starting (SQLSTATE 57P01-57P03, class 08), pg's own words for a cut or a timeout.
 */
function isUnavailable(error: unknown): boolean {
  const { code, message } = error as { code?: string; message?: string };
  if (code && ['ECONNREFUSED', 'ENOENT', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', '57P01', '57P02', '57P03'].includes(code)) return true;
  if (code?.startsWith('08')) return true;
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(message ?? '');
}

/** PostgreSQL's codes for an unreachable server, a full disk and a read-only database, as advice. */
function explain(error: unknown): never {
  if (isUnavailable(error)) {
    throw new StoreUnavailableError(
      'the progress database is not answering right now, so nothing was read or recorded: try again in a moment',
      'check that the PostgreSQL server of CNLAB_DATABASE_URL is running; the platform reconnects by itself',
      { cause: error },
    );
  }
  const code = (error as { code?: string }).code;
  if (code === '53100') throw new CnlabError('the progress database cannot grow: its disk is full; nothing was recorded', 'free disk space on the database server');
  if (code === '25006') throw new CnlabError('the progress database is read-only; nothing was recorded', 'point CNLAB_DATABASE_URL at a writable primary');
  throw error;
}

export function postgresConnection(url: string, options: { max?: number } = {}): SqlConnection {
  const pool = new pg.Pool({ connectionString: url, max: options.max ?? 10, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  // An idle connection cut by a database restart: the pool drops it and opens a new one when next
  // needed. Unheard, this event would end the process.
  pool.on('error', () => undefined);
  return {
    migrationLock: MIGRATION_LOCK,
    rows: (sql, values = []) => pool.query(numbered(sql), values).then((result) => result.rows as Record<string, unknown>[], explain),
    async transaction(work) {
      const client = await pool.connect().catch(explain);
      let cut = false;
      try {
        await client.query('BEGIN');
        await work({
          rows: async (sql, values = []) => (await client.query(numbered(sql), values)).rows as Record<string, unknown>[],
          execute: async (sql, values = []) => void (await client.query(numbered(sql), values)),
        });
        await client.query('COMMIT');
      } catch (error) {
        // A cut connection has no transaction left to roll back (the server dropped it) and is
        // not given back to the pool.
        cut = isUnavailable(error);
        if (!cut) await client.query('ROLLBACK').catch(() => undefined);
        explain(error);
      } finally {
        client.release(cut);
      }
    },
    close: () => pool.end(),
  };
}

import { CnlabError } from '../errors.ts';

// What a database backend gives the store: queries, and transactions that write all or nothing.
// The SQL is one dialect both SQLite and PostgreSQL accept (`?` placeholders; the PostgreSQL
// adapter numbers them).

export type Row = Record<string, unknown>;
export type Queries = {
  rows(sql: string, params?: unknown[]): Promise<Row[]>;
  execute(sql: string, params?: unknown[]): Promise<void>;
};

export type SqlConnection = {
  rows(sql: string, params?: unknown[]): Promise<Row[]>;
  /** Runs `work` in one transaction: all of it is written, or none. */
  transaction(work: (tx: Queries) => Promise<void>): Promise<void>;
  /** A statement that, inside the migration transaction, keeps other instances out. */
  migrationLock?: string;
  close(): Promise<void>;
};

/** The database did not answer (it is down or restarting): nothing was read or written. The HTTP layer answers 503. */
export class StoreUnavailableError extends CnlabError {}

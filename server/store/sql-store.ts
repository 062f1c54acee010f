import { migrations } from './migrations.ts';
import type { CheckRun, LabProgress, LearnerExport, LearnerProgress, ProgressStore } from './store.ts';

// The progress store in SQL both SQLite and PostgreSQL accept (`?` placeholders; the PostgreSQL
// adapter numbers them). A backend is only a connection: how to query, how to run a transaction.

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

const iso = (at: unknown) => new Date(Number(at)).toISOString();
const LEARNER_TABLES = ['check_runs', 'hints_used', 'labs_completed', 'lessons_read'];

export class SqlProgressStore implements ProgressStore {
  readonly #db: SqlConnection;

  private constructor(db: SqlConnection) {
    this.#db = db;
  }

  /** Opens the store on a connection, applying the schema steps it has not seen yet. */
  static async open(db: SqlConnection): Promise<SqlProgressStore> {
    await db.transaction(async ({ execute, rows }) => {
      if (db.migrationLock) await rows(db.migrationLock);
      await execute('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)');
      const applied = new Set((await rows('SELECT version FROM schema_migrations')).map((row) => Number(row.version)));
      for (const migration of migrations.filter((step) => !applied.has(step.version))) {
        for (const statement of migration.statements) await execute(statement);
        await execute('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)', [migration.version, Date.now()]);
      }
    });
    return new SqlProgressStore(db);
  }

  recordGrading(runs: CheckRun[]): Promise<void> {
    return this.#db.transaction(async ({ execute }) => {
      for (const run of runs) {
        await execute('INSERT INTO check_runs (learner, lab, task, passed, messages, trigger, at) VALUES (?, ?, ?, ?, ?, ?, ?)', [
          run.learner,
          run.lab,
          run.task,
          run.passed ? 1 : 0,
          JSON.stringify(run.messages),
          run.trigger,
          run.at.getTime(),
        ]);
      }
      const first = runs[0];
      if (first && runs.every((run) => run.passed)) {
        await execute('INSERT INTO labs_completed (learner, lab, at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING', [first.learner, first.lab, first.at.getTime()]);
      }
    });
  }

  recordHint(learner: string, lab: string, task: string, hint: number): Promise<void> {
    return this.#db.transaction(({ execute }) => execute('INSERT INTO hints_used (learner, lab, task, hint, at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING', [learner, lab, task, hint, Date.now()]));
  }

  recordLessonRead(learner: string, lesson: string): Promise<void> {
    return this.#db.transaction(({ execute }) => execute('INSERT INTO lessons_read (learner, lesson, at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING', [learner, lesson, Date.now()]));
  }

  async progress(learner: string): Promise<LearnerProgress> {
    const labs = new Map<string, LabProgress>();
    const lab = (id: string): LabProgress => {
      const entry = labs.get(id) ?? { lab: id, tasksPassed: [], completedAt: null, checks: 0, hintsUsed: 0 };
      labs.set(id, entry);
      return entry;
    };
    const runs = await this.#db.rows('SELECT lab, task, MAX(passed) AS passed, COUNT(*) AS runs FROM check_runs WHERE learner = ? GROUP BY lab, task ORDER BY lab, task', [learner]);
    for (const row of runs) {
      const entry = lab(String(row.lab));
      entry.checks += Number(row.runs);
      if (Number(row.passed) === 1) entry.tasksPassed.push(String(row.task));
    }
    for (const row of await this.#db.rows('SELECT lab, COUNT(*) AS hints FROM hints_used WHERE learner = ? GROUP BY lab', [learner])) lab(String(row.lab)).hintsUsed = Number(row.hints);
    for (const row of await this.#db.rows('SELECT lab, at FROM labs_completed WHERE learner = ?', [learner])) lab(String(row.lab)).completedAt = iso(row.at);
    const lessonsRead = (await this.#db.rows('SELECT lesson FROM lessons_read WHERE learner = ? ORDER BY at', [learner])).map((row) => String(row.lesson));
    return { labs: [...labs.values()], lessonsRead };
  }

  async exportLearner(learner: string): Promise<LearnerExport> {
    const rows = (sql: string) => this.#db.rows(sql, [learner]);
    return {
      learner,
      exportedAt: new Date().toISOString(),
      checkRuns: (await rows('SELECT lab, task, passed, messages, trigger, at FROM check_runs WHERE learner = ? ORDER BY at')).map((row) => ({
        lab: String(row.lab),
        task: String(row.task),
        passed: Number(row.passed) === 1,
        messages: JSON.parse(String(row.messages)) as string[],
        trigger: row.trigger === 'auto' ? 'auto' : 'learner',
        at: iso(row.at),
      })),
      hintsUsed: (await rows('SELECT lab, task, hint, at FROM hints_used WHERE learner = ? ORDER BY at')).map((row) => ({ lab: String(row.lab), task: String(row.task), hint: Number(row.hint), at: iso(row.at) })),
      labsCompleted: (await rows('SELECT lab, at FROM labs_completed WHERE learner = ? ORDER BY at')).map((row) => ({ lab: String(row.lab), at: iso(row.at) })),
      lessonsRead: (await rows('SELECT lesson, at FROM lessons_read WHERE learner = ? ORDER BY at')).map((row) => ({ lesson: String(row.lesson), at: iso(row.at) })),
    };
  }

  deleteLearner(learner: string): Promise<void> {
    return this.#db.transaction(async ({ execute }) => {
      for (const table of LEARNER_TABLES) await execute(`DELETE FROM ${table} WHERE learner = ?`, [learner]);
    });
  }

  close(): Promise<void> {
    return this.#db.close();
  }
}

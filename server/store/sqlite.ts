import { chmodSync, existsSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { CnlabError } from '../errors.ts';
import { migrations } from './migrations.ts';
import type { CheckRun, LabProgress, LearnerExport, LearnerProgress, ProgressStore } from './store.ts';

// The embedded default: one SQLite file in the state folder, in WAL mode so reads never wait for
// a write. node:sqlite is synchronous, so writes from one process are serialised by construction;
// every multi-row write is one transaction, so a failure leaves nothing half-written.

type Row = Record<string, string | number | null>;

/** SQLite's own codes for "the disk is full" and "the file cannot be written", in words. */
function explain(error: unknown, file: string): never {
  const message = (error as Error).message;
  if (/SQLITE_FULL|database or disk is full/i.test(message)) {
    throw new CnlabError(`the progress database ${file} cannot grow: the disk is full; nothing was recorded`, 'free some disk space; learners keep working and nothing already recorded is lost');
  }
  if (/SQLITE_READONLY|readonly database|attempt to write a readonly/i.test(message)) {
    throw new CnlabError(`the progress database ${file} is read-only; nothing was recorded`, 'give the platform\'s user write access to the file and its folder');
  }
  throw error;
}

export class SqliteStore implements ProgressStore {
  readonly #db: DatabaseSync;
  readonly #file: string;

  constructor(file: string) {
    this.#file = file;
    const created = !existsSync(file);
    try {
      this.#db = new DatabaseSync(file);
      this.#db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;');
      this.#migrate();
    } catch (error) {
      explain(error, file);
    }
    // Progress is personal data: only the platform's user may read the file.
    if (created && file !== ':memory:') chmodSync(file, 0o600);
  }

  #migrate(): void {
    this.#db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)');
    const applied = new Set((this.#db.prepare('SELECT version FROM schema_migrations').all() as Row[]).map((row) => Number(row.version)));
    for (const migration of migrations) {
      if (applied.has(migration.version)) continue;
      this.#transaction(() => {
        for (const statement of migration.statements) this.#db.exec(statement);
        this.#db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(migration.version, Date.now());
      });
    }
  }

  #transaction(work: () => void): void {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      work();
      this.#db.exec('COMMIT');
    } catch (error) {
      this.#db.exec('ROLLBACK');
      throw error;
    }
  }

  #write(work: () => void): Promise<void> {
    try {
      this.#transaction(work);
    } catch (error) {
      explain(error, this.#file);
    }
    return Promise.resolve();
  }

  recordGrading(runs: CheckRun[]): Promise<void> {
    const insert = this.#db.prepare('INSERT INTO check_runs (learner, lab, task, passed, messages, trigger, at) VALUES (?, ?, ?, ?, ?, ?, ?)');
    const complete = this.#db.prepare('INSERT INTO labs_completed (learner, lab, at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING');
    return this.#write(() => {
      for (const run of runs) insert.run(run.learner, run.lab, run.task, run.passed ? 1 : 0, JSON.stringify(run.messages), run.trigger, run.at.getTime());
      const first = runs[0];
      if (first && runs.every((run) => run.passed)) complete.run(first.learner, first.lab, first.at.getTime());
    });
  }

  recordHint(learner: string, lab: string, task: string, hint: number): Promise<void> {
    const insert = this.#db.prepare('INSERT INTO hints_used (learner, lab, task, hint, at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING');
    return this.#write(() => void insert.run(learner, lab, task, hint, Date.now()));
  }

  recordLessonRead(learner: string, lesson: string): Promise<void> {
    const insert = this.#db.prepare('INSERT INTO lessons_read (learner, lesson, at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING');
    return this.#write(() => void insert.run(learner, lesson, Date.now()));
  }

  progress(learner: string): Promise<LearnerProgress> {
    const labs = new Map<string, LabProgress>();
    const lab = (id: string): LabProgress => {
      const known = labs.get(id);
      if (known) return known;
      const entry: LabProgress = { lab: id, tasksPassed: [], completedAt: null, checks: 0, hintsUsed: 0 };
      labs.set(id, entry);
      return entry;
    };
    for (const row of this.#db.prepare('SELECT lab, task, MAX(passed) AS passed, COUNT(*) AS runs FROM check_runs WHERE learner = ? GROUP BY lab, task ORDER BY lab, task').all(learner) as Row[]) {
      const entry = lab(String(row.lab));
      entry.checks += Number(row.runs);
      if (Number(row.passed) === 1) entry.tasksPassed.push(String(row.task));
    }
    for (const row of this.#db.prepare('SELECT lab, COUNT(*) AS hints FROM hints_used WHERE learner = ? GROUP BY lab').all(learner) as Row[]) lab(String(row.lab)).hintsUsed = Number(row.hints);
    for (const row of this.#db.prepare('SELECT lab, at FROM labs_completed WHERE learner = ?').all(learner) as Row[]) lab(String(row.lab)).completedAt = new Date(Number(row.at)).toISOString();
    const lessonsRead = (this.#db.prepare('SELECT lesson FROM lessons_read WHERE learner = ? ORDER BY at').all(learner) as Row[]).map((row) => String(row.lesson));
    return Promise.resolve({ labs: [...labs.values()], lessonsRead });
  }

  exportLearner(learner: string): Promise<LearnerExport> {
    const iso = (at: unknown) => new Date(Number(at)).toISOString();
    const rows = (sql: string) => this.#db.prepare(sql).all(learner) as Row[];
    return Promise.resolve({
      learner,
      exportedAt: new Date().toISOString(),
      checkRuns: rows('SELECT lab, task, passed, messages, trigger, at FROM check_runs WHERE learner = ? ORDER BY at').map((row) => ({
        lab: String(row.lab),
        task: String(row.task),
        passed: Number(row.passed) === 1,
        messages: JSON.parse(String(row.messages)) as string[],
        trigger: row.trigger === 'auto' ? 'auto' : 'learner',
        at: iso(row.at),
      })),
      hintsUsed: rows('SELECT lab, task, hint, at FROM hints_used WHERE learner = ? ORDER BY at').map((row) => ({ lab: String(row.lab), task: String(row.task), hint: Number(row.hint), at: iso(row.at) })),
      labsCompleted: rows('SELECT lab, at FROM labs_completed WHERE learner = ? ORDER BY at').map((row) => ({ lab: String(row.lab), at: iso(row.at) })),
      lessonsRead: rows('SELECT lesson, at FROM lessons_read WHERE learner = ? ORDER BY at').map((row) => ({ lesson: String(row.lesson), at: iso(row.at) })),
    });
  }

  deleteLearner(learner: string): Promise<void> {
    return this.#write(() => {
      for (const table of ['check_runs', 'hints_used', 'labs_completed', 'lessons_read']) this.#db.prepare(`DELETE FROM ${table} WHERE learner = ?`).run(learner);
    });
  }

  close(): Promise<void> {
    this.#db.close();
    return Promise.resolve();
  }
}

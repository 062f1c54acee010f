// Practice exam attempts: the drawn questions, each answer stored the moment it is given (a lost
// connection or a server restart loses nothing), and the score once submitted. The clock is the
// stored end time, never the browser's.
import type { ExamScore } from '../shared/exam-score.ts';
import type { Row, SqlConnection } from './connection.ts';

/** A drawn question and the order its choices are shown in: order[i] is the authored index at position i. */
export type DrawnQuestion = { id: string; order: number[] };
/** `choice` is the authored index (as in the bank), or null when the learner cleared it. */
export type ExamAnswer = { choice: number | null; flagged: boolean; at: Date };

export type ExamAttempt = {
  id: string;
  learner: string;
  exam: string;
  startedAt: Date;
  endsAt: Date;
  submittedAt: Date | null;
  questions: DrawnQuestion[];
  answers: Map<string, ExamAnswer>;
  score: ExamScore | null;
};

export type NewAttempt = Pick<ExamAttempt, 'id' | 'learner' | 'exam' | 'startedAt' | 'endsAt' | 'questions'>;

export interface ExamAttempts {
  /** Starts `attempt`, unless the learner has one of this exam still open: then that one, unchanged. */
  start(attempt: NewAttempt): Promise<ExamAttempt>;
  get(id: string): Promise<ExamAttempt | undefined>;
  /** The learner's attempt of `exam` not yet submitted. */
  open(learner: string, exam: string): Promise<ExamAttempt | undefined>;
  answer(attempt: ExamAttempt, question: string, answer: ExamAnswer): Promise<void>;
  /** Submits once: false when the attempt was already submitted (by another tab, or the clock). */
  submit(attempt: ExamAttempt, at: Date, score: ExamScore): Promise<boolean>;
  /** The learner's submitted attempts of `exam`, oldest first. */
  history(learner: string, exam: string): Promise<ExamAttempt[]>;
  /** Every attempt of the learner, for their data export. */
  all(learner: string): Promise<ExamAttempt[]>;
  /** The attempts of `exam` by any of `learners` started in [from, to]: a class sitting's. */
  startedBetween(exam: string, learners: string[], from: Date, to: Date): Promise<ExamAttempt[]>;
}

const COLUMNS = 'id, learner, exam, started_at, ends_at, submitted_at, questions, score';

export class SqlExamAttempts implements ExamAttempts {
  readonly #db: SqlConnection;

  constructor(db: SqlConnection) {
    this.#db = db;
  }

  async #withAnswers(rows: Row[]): Promise<ExamAttempt[]> {
    const attempts: ExamAttempt[] = rows.map((row) => ({
      id: String(row.id),
      learner: String(row.learner),
      exam: String(row.exam),
      startedAt: new Date(Number(row.started_at)),
      endsAt: new Date(Number(row.ends_at)),
      submittedAt: row.submitted_at === null || row.submitted_at === undefined ? null : new Date(Number(row.submitted_at)),
      questions: JSON.parse(String(row.questions)) as DrawnQuestion[],
      answers: new Map(),
      score: row.score ? (JSON.parse(String(row.score)) as ExamScore) : null,
    }));
    for (const attempt of attempts) {
      for (const row of await this.#db.rows('SELECT question, choice, flagged, at FROM exam_answers WHERE attempt = ?', [attempt.id])) {
        attempt.answers.set(String(row.question), {
          choice: row.choice === null || row.choice === undefined ? null : Number(row.choice),
          flagged: Number(row.flagged) === 1,
          at: new Date(Number(row.at)),
        });
      }
    }
    return attempts;
  }

  async start(attempt: NewAttempt): Promise<ExamAttempt> {
    // The partial unique index (one open attempt per learner and exam) settles two tabs starting at once.
    await this.#db.transaction(({ execute }) =>
      execute(`INSERT INTO exam_attempts (${COLUMNS}) VALUES (?, ?, ?, ?, ?, NULL, ?, NULL) ON CONFLICT DO NOTHING`, [
        attempt.id,
        attempt.learner,
        attempt.exam,
        attempt.startedAt.getTime(),
        attempt.endsAt.getTime(),
        JSON.stringify(attempt.questions),
      ]),
    );
    const open = await this.open(attempt.learner, attempt.exam);
    if (!open) throw new Error(`the exam attempt ${attempt.id} was not stored`);
    return open;
  }

  async get(id: string): Promise<ExamAttempt | undefined> {
    return (await this.#withAnswers(await this.#db.rows(`SELECT ${COLUMNS} FROM exam_attempts WHERE id = ?`, [id])))[0];
  }

  async open(learner: string, exam: string): Promise<ExamAttempt | undefined> {
    return (await this.#withAnswers(await this.#db.rows(`SELECT ${COLUMNS} FROM exam_attempts WHERE learner = ? AND exam = ? AND submitted_at IS NULL`, [learner, exam])))[0];
  }

  answer(attempt: ExamAttempt, question: string, answer: ExamAnswer): Promise<void> {
    return this.#db.transaction(({ execute }) =>
      execute(
        `INSERT INTO exam_answers (attempt, learner, question, choice, flagged, at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (attempt, question) DO UPDATE SET choice = excluded.choice, flagged = excluded.flagged, at = excluded.at`,
        [attempt.id, attempt.learner, question, answer.choice, answer.flagged ? 1 : 0, answer.at.getTime()],
      ),
    );
  }

  async submit(attempt: ExamAttempt, at: Date, score: ExamScore): Promise<boolean> {
    let submitted = false;
    await this.#db.transaction(async ({ rows }) => {
      const updated = await rows('UPDATE exam_attempts SET submitted_at = ?, score = ? WHERE id = ? AND submitted_at IS NULL RETURNING id', [at.getTime(), JSON.stringify(score), attempt.id]);
      submitted = updated.length === 1;
    });
    return submitted;
  }

  async history(learner: string, exam: string): Promise<ExamAttempt[]> {
    return this.#withAnswers(await this.#db.rows(`SELECT ${COLUMNS} FROM exam_attempts WHERE learner = ? AND exam = ? AND submitted_at IS NOT NULL ORDER BY started_at`, [learner, exam]));
  }

  async startedBetween(exam: string, learners: string[], from: Date, to: Date): Promise<ExamAttempt[]> {
    if (learners.length === 0) return [];
    const rows = await this.#db.rows(
      `SELECT ${COLUMNS} FROM exam_attempts WHERE exam = ? AND started_at >= ? AND started_at <= ? AND learner IN (${learners.map(() => '?').join(', ')}) ORDER BY started_at`,
      [exam, from.getTime(), to.getTime(), ...learners],
    );
    return this.#withAnswers(rows);
  }

  async all(learner: string): Promise<ExamAttempt[]> {
    return this.#withAnswers(await this.#db.rows(`SELECT ${COLUMNS} FROM exam_attempts WHERE learner = ? ORDER BY started_at`, [learner]));
  }
}

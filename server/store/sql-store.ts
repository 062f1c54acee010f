import { type ExamAttempts, SqlExamAttempts } from './exam-attempts.ts';
import type { Row, SqlConnection } from './connection.ts';
import { migrations } from './migrations.ts';
import type {
  CheckRun,
  CountedAnswer,
  JoinResult,
  LabProgress,
  LabState,
  LearnerExport,
  LearnerProgress,
  ProgressStore,
  QuizAnswer,
  QuizProgress,
  Workshop,
  WorkshopMember,
} from './store.ts';

// The progress store in SQL both SQLite and PostgreSQL accept (`?` placeholders; the PostgreSQL
// adapter numbers them). A backend is only a connection: how to query, how to run a transaction.

const iso = (at: unknown) => new Date(Number(at)).toISOString();

// Anonymous learners write as often as they like, so every table stays bounded per learner:
// lessons, hints and completions by their keys, checks and quiz answers by keeping the latest.
/** Checks kept per learner, lab and task (and the latest passing one, whenever it was). */
export const CHECKS_KEPT = 100;
/** Answers kept per learner and quiz question: the first (the one that counts) and the latest. */
export const ANSWERS_KEPT = 20;
const LEARNER_TABLES = ['check_runs', 'hints_used', 'labs_completed', 'lessons_read', 'quiz_answers', 'workshop_members', 'exam_answers', 'exam_attempts'];

const toWorkshop = (row: Row): Workshop => ({
  id: String(row.id),
  code: String(row.code),
  title: String(row.title),
  labs: JSON.parse(String(row.labs)) as string[],
  capacity: Number(row.capacity),
  startsAt: new Date(Number(row.starts_at)),
  endsAt: new Date(Number(row.ends_at)),
  instructorTokenHash: String(row.instructor_token_hash),
  exams: JSON.parse(String(row.exams ?? '[]')) as string[],
});

export class SqlProgressStore implements ProgressStore {
  readonly #db: SqlConnection;
  readonly exams: ExamAttempts;

  private constructor(db: SqlConnection) {
    this.#db = db;
    this.exams = new SqlExamAttempts(db);
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

  createWorkshop(w: Workshop): Promise<void> {
    return this.#db.transaction(({ execute }) =>
      execute('INSERT INTO workshops (id, code, title, labs, exams, capacity, starts_at, ends_at, instructor_token_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', [
        w.id,
        w.code,
        w.title,
        JSON.stringify(w.labs),
        JSON.stringify(w.exams),
        w.capacity,
        w.startsAt.getTime(),
        w.endsAt.getTime(),
        w.instructorTokenHash,
        Date.now(),
      ]),
    );
  }

  async workshopByCode(code: string): Promise<Workshop | undefined> {
    const [row] = await this.#db.rows('SELECT * FROM workshops WHERE code = ?', [code]);
    return row ? toWorkshop(row) : undefined;
  }

  async endedWorkshops(now: Date): Promise<Workshop[]> {
    const rows = await this.#db.rows('SELECT * FROM workshops WHERE ends_at <= ? AND cleaned_at IS NULL ORDER BY ends_at', [now.getTime()]);
    return rows.map(toWorkshop);
  }

  markWorkshopCleaned(workshop: Workshop, at: Date): Promise<void> {
    return this.#db.transaction(({ execute }) => execute('UPDATE workshops SET cleaned_at = ? WHERE id = ?', [at.getTime(), workshop.id]));
  }

  async workshopsOf(learner: string): Promise<Workshop[]> {
    const rows = await this.#db.rows('SELECT w.* FROM workshops w JOIN workshop_members m ON m.workshop = w.id WHERE m.learner = ? ORDER BY m.joined_at', [learner]);
    return rows.map(toWorkshop);
  }

  async startSitting(workshop: Workshop, exam: string, at: Date): Promise<Date> {
    let started = at;
    await this.#db.transaction(async ({ rows, execute }) => {
      await execute('INSERT INTO exam_sittings (workshop, exam, started_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING', [workshop.id, exam, at.getTime()]);
      const [row] = await rows('SELECT started_at FROM exam_sittings WHERE workshop = ? AND exam = ?', [workshop.id, exam]);
      started = new Date(Number(row?.started_at));
    });
    return started;
  }

  async sittings(workshop: Workshop): Promise<Map<string, Date>> {
    const rows = await this.#db.rows('SELECT exam, started_at FROM exam_sittings WHERE workshop = ?', [workshop.id]);
    return new Map(rows.map((row) => [String(row.exam), new Date(Number(row.started_at))]));
  }

  async joinWorkshop(workshop: Workshop, learner: string, name: string): Promise<JoinResult> {
    let result: JoinResult = 'joined';
    await this.#db.transaction(async ({ rows, execute }) => {
      // A no-op update locks the workshop's row (PostgreSQL; SQLite's transactions are already
      // exclusive), so two learners joining at once cannot both take the last seat.
      await execute('UPDATE workshops SET capacity = capacity WHERE id = ?', [workshop.id]);
      if ((await rows('SELECT 1 FROM workshop_members WHERE workshop = ? AND learner = ?', [workshop.id, learner])).length > 0) {
        await execute('UPDATE workshop_members SET name = ? WHERE workshop = ? AND learner = ?', [name, workshop.id, learner]);
        result = 'already a member';
        return;
      }
      const [count] = await rows('SELECT COUNT(*) AS members FROM workshop_members WHERE workshop = ?', [workshop.id]);
      if (Number(count?.members) >= workshop.capacity) {
        result = 'full';
        return;
      }
      await execute('INSERT INTO workshop_members (workshop, learner, name, joined_at) VALUES (?, ?, ?, ?)', [workshop.id, learner, name, Date.now()]);
    });
    return result;
  }

  async workshopMembers(workshop: Workshop): Promise<WorkshopMember[]> {
    const members = await this.#db.rows('SELECT learner, name, joined_at FROM workshop_members WHERE workshop = ? ORDER BY joined_at', [workshop.id]);
    const runs = await this.#db.rows(
      // Each task's latest check since joining (so a reset shows at once), and when it last passed.
      `SELECT c.learner, c.lab, c.task, MAX(c.passed) AS passed, s.last_at, s.passed_at
       FROM check_runs c
       JOIN (SELECT r.learner, r.lab, r.task, MAX(r.at) AS last_at, MAX(CASE WHEN r.passed = 1 THEN r.at ELSE 0 END) AS passed_at
             FROM check_runs r JOIN workshop_members m ON m.learner = r.learner AND m.workshop = ?
             WHERE r.at >= m.joined_at AND r.at <= ? GROUP BY r.learner, r.lab, r.task) s
         ON c.learner = s.learner AND c.lab = s.lab AND c.task = s.task AND c.at = s.last_at
       GROUP BY c.learner, c.lab, c.task, s.last_at, s.passed_at`,
      // What a learner does after the workshop's end is theirs alone: the instructor's grid stops there.
      [workshop.id, workshop.endsAt.getTime()],
    );
    const labs = new Set(workshop.labs);
    return members.map((member) => {
      const joinedAt = Number(member.joined_at);
      const mine = runs.filter((run) => run.learner === member.learner && labs.has(String(run.lab)));
      const key = (run: Row) => `${String(run.lab)}/${String(run.task)}`;
      return {
        learner: String(member.learner),
        name: String(member.name),
        joinedAt: new Date(joinedAt),
        passed: mine.filter((run) => Number(run.passed) === 1).map(key),
        failing: mine.filter((run) => Number(run.passed) !== 1).map(key),
        lastActivity: new Date(Math.max(joinedAt, ...mine.map((run) => Number(run.last_at)))),
        lastProgress: new Date(Math.max(joinedAt, ...mine.map((run) => Number(run.passed_at)))),
      };
    });
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
      for (const run of runs) {
        const key = [run.learner, run.lab, run.task];
        await execute(
          `DELETE FROM check_runs WHERE learner = ? AND lab = ? AND task = ?
             AND at < (SELECT at FROM check_runs WHERE learner = ? AND lab = ? AND task = ? ORDER BY at DESC LIMIT 1 OFFSET ?)
             AND NOT (passed = 1 AND at = (SELECT MAX(at) FROM check_runs WHERE learner = ? AND lab = ? AND task = ? AND passed = 1))`,
          [...key, ...key, CHECKS_KEPT - 1, ...key],
        );
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

  async recordQuizAnswer(answer: QuizAnswer): Promise<CountedAnswer> {
    let counted: CountedAnswer = { correct: answer.correct, choices: answer.choices, counted: true };
    await this.#db.transaction(async ({ execute, rows }) => {
      const [first] = await rows('SELECT choices, correct FROM quiz_answers WHERE learner = ? AND lesson = ? AND question = ? ORDER BY at LIMIT 1', [answer.learner, answer.lesson, answer.question]);
      if (first) counted = { correct: Number(first.correct) === 1, choices: JSON.parse(String(first.choices)) as number[], counted: false };
      await execute('INSERT INTO quiz_answers (learner, lesson, question, choices, correct, at) VALUES (?, ?, ?, ?, ?, ?)', [
        answer.learner,
        answer.lesson,
        answer.question,
        JSON.stringify(answer.choices),
        answer.correct ? 1 : 0,
        Date.now(),
      ]);
      // Bounded: the first answer (the one that counts) and the latest ones stay.
      const key = [answer.learner, answer.lesson, answer.question];
      await execute(
        `DELETE FROM quiz_answers WHERE learner = ? AND lesson = ? AND question = ?
           AND at > (SELECT MIN(at) FROM quiz_answers WHERE learner = ? AND lesson = ? AND question = ?)
           AND at < (SELECT at FROM quiz_answers WHERE learner = ? AND lesson = ? AND question = ? ORDER BY at DESC LIMIT 1 OFFSET ?)`,
        [...key, ...key, ...key, ANSWERS_KEPT - 2],
      );
    });
    return counted;
  }

  async quizAnswers(learner: string, lesson: string): Promise<Map<string, Omit<CountedAnswer, 'counted'>>> {
    const answers = new Map<string, Omit<CountedAnswer, 'counted'>>();
    // Oldest first, so the first row seen for a question is the answer that counts.
    for (const row of await this.#db.rows('SELECT question, choices, correct FROM quiz_answers WHERE learner = ? AND lesson = ? ORDER BY at', [learner, lesson])) {
      const question = String(row.question);
      if (!answers.has(question)) answers.set(question, { correct: Number(row.correct) === 1, choices: JSON.parse(String(row.choices)) as number[] });
    }
    return answers;
  }

  async labState(learner: string, lab: string): Promise<LabState> {
    const latest = await this.#db.rows(
      `SELECT c.task, c.passed, c.messages, c.at, s.passed_at
       FROM check_runs c
       JOIN (SELECT task, MAX(at) AS last_at, MAX(CASE WHEN passed = 1 THEN at ELSE NULL END) AS passed_at
             FROM check_runs WHERE learner = ? AND lab = ? GROUP BY task) s
         ON c.task = s.task AND c.at = s.last_at
       WHERE c.learner = ? AND c.lab = ?`,
      [learner, lab, learner, lab],
    );
    const tasks = new Map<string, LabState['tasks'][number]>();
    for (const row of latest) {
      const task = String(row.task);
      // Two runs of one task in the same millisecond: a failing one wins, as the cautious reading.
      if (tasks.get(task)?.passed === false) continue;
      tasks.set(task, {
        task,
        passed: Number(row.passed) === 1,
        messages: JSON.parse(String(row.messages)) as string[],
        at: iso(row.at),
        lastPassedAt: row.passed_at === null || row.passed_at === undefined ? null : iso(row.passed_at),
      });
    }
    const hints: Record<string, number> = {};
    for (const row of await this.#db.rows('SELECT task, COUNT(*) AS hints FROM hints_used WHERE learner = ? AND lab = ? GROUP BY task', [learner, lab])) hints[String(row.task)] = Number(row.hints);
    const [completed] = await this.#db.rows('SELECT at FROM labs_completed WHERE learner = ? AND lab = ?', [learner, lab]);
    return { lab, completedAt: completed ? iso(completed.at) : null, tasks: [...tasks.values()], hints };
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
    // Rows come oldest first, so the first one seen for a question is the answer that counts.
    const first = new Map<string, { lesson: string; correct: boolean }>();
    for (const row of await this.#db.rows('SELECT lesson, question, correct FROM quiz_answers WHERE learner = ? ORDER BY at', [learner])) {
      const key = `${row.lesson}\n${row.question}`;
      if (!first.has(key)) first.set(key, { lesson: String(row.lesson), correct: Number(row.correct) === 1 });
    }
    const quizzes = new Map<string, QuizProgress>();
    for (const { lesson, correct } of first.values()) {
      const entry = quizzes.get(lesson) ?? { lesson, answered: 0, correct: 0 };
      entry.answered += 1;
      entry.correct += correct ? 1 : 0;
      quizzes.set(lesson, entry);
    }
    return { labs: [...labs.values()], lessonsRead, quizzes: [...quizzes.values()] };
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
      quizAnswers: (await rows('SELECT lesson, question, choices, correct, at FROM quiz_answers WHERE learner = ? ORDER BY at')).map((row) => ({
        lesson: String(row.lesson),
        question: String(row.question),
        choices: JSON.parse(String(row.choices)) as number[],
        correct: Number(row.correct) === 1,
        at: iso(row.at),
      })),
      workshops: (await rows('SELECT w.code, w.title, m.name, m.joined_at FROM workshop_members m JOIN workshops w ON w.id = m.workshop WHERE m.learner = ? ORDER BY m.joined_at')).map((row) => ({
        code: String(row.code),
        title: String(row.title),
        name: String(row.name),
        joinedAt: iso(row.joined_at),
      })),
      examAttempts: (await this.exams.all(learner)).map((attempt) => ({
        exam: attempt.exam,
        startedAt: attempt.startedAt.toISOString(),
        endsAt: attempt.endsAt.toISOString(),
        submittedAt: attempt.submittedAt?.toISOString() ?? null,
        answers: attempt.questions.map(({ id }) => ({ question: id, choice: attempt.answers.get(id)?.choice ?? null, flagged: attempt.answers.get(id)?.flagged ?? false })),
        score: attempt.score,
      })),
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

// Practice exams as a learner sits them: start (or resume) an attempt, answer and flag, submit,
// review, history. The server owns the clock: an attempt ends at its stored end time whatever the
// browser says, a reload or a second tab resumes the same attempt, and an attempt whose time ran
// out is submitted with the answers given until then the next time anyone looks at it.
import { randomUUID } from 'node:crypto';
import type { BankQuestion } from '../course/bank.ts';
import type { Curriculum } from '../course/schema.ts';
import type { ExamScore } from '../shared/exam-score.ts';
import type { ExamAttempt, ExamAttempts } from '../store/exam-attempts.ts';
import type { Exam } from './definition.ts';
import { drawQuestions, type Random } from './draw.ts';
import { scoreAttempt } from './score.ts';

/** Answers sent while the clock ran out are still on the wire: they count if they arrive this soon after. */
const GRACE_MS = 2000;

/** The attempt cannot take answers any more: submitted, or out of time (and now submitted). */
export class ExamClosedError extends Error {}

type Domains = Curriculum['domains'];

/** A class sitting of an exam: everyone's attempt runs from its start to the same end. */
export type SittingWindow = { startedAt: Date; endsAt: Date };

export const sittingWindow = (exam: Exam, startedAt: Date): SittingWindow => ({ startedAt, endsAt: new Date(startedAt.getTime() + exam.minutes * 60_000) });

/** What the page shows of a question while the exam runs: never its key. */
export type QuestionView = { id: string; prompt: string; choices: string[]; answer: number | null; flagged: boolean };
/** And after submission: the key, the reasons, the lesson. Positions are in the attempt's shown order. */
export type ReviewView = QuestionView & { key: number; why: string[]; explanation: string; domain: string; subArea: string; lesson: string; section: string | null };

export type AttemptView = {
  id: string;
  exam: string;
  title: string;
  startedAt: string;
  endsAt: string;
  /** Milliseconds left by the server's clock; the page counts down from it. */
  remainingMs: number;
  submitted: boolean;
  questions: QuestionView[] | ReviewView[];
  score: ExamScore | null;
};

export class PracticeExams {
  readonly #exams: ReadonlyMap<string, Exam>;
  readonly #banks: ReadonlyMap<string, ReadonlyMap<string, BankQuestion>>;
  readonly #domains: Domains;
  readonly #store: ExamAttempts;
  readonly #now: () => Date;
  readonly #random: Random | undefined;

  constructor(options: { exams: ReadonlyMap<string, Exam>; banks: ReadonlyMap<string, readonly BankQuestion[]>; domains: Domains; store: ExamAttempts; now?: () => Date; random?: Random }) {
    this.#exams = options.exams;
    this.#banks = new Map([...options.banks].map(([name, questions]) => [name, new Map(questions.map((question) => [question.id, question]))]));
    this.#domains = options.domains;
    this.#store = options.store;
    this.#now = options.now ?? (() => new Date());
    this.#random = options.random;
  }

  exam(id: string): Exam | undefined {
    return this.#exams.get(id);
  }

  #bank(exam: Exam): ReadonlyMap<string, BankQuestion> {
    return this.#banks.get(exam.bank) ?? new Map();
  }

  /** Submits the attempt if its time is up; returns it as it now stands. */
  async #settle(attempt: ExamAttempt): Promise<ExamAttempt> {
    if (attempt.submittedAt || this.#now().getTime() <= attempt.endsAt.getTime() + GRACE_MS) return attempt;
    await this.#submit(attempt, attempt.endsAt, 'clock');
    return (await this.#store.get(attempt.id)) ?? attempt;
  }

  /** Scores the answers as stored (the caller's copy may be older than the last answer) and submits. */
  async #submit(attempt: ExamAttempt, at: Date, by: ExamScore['submittedBy']): Promise<void> {
    const exam = this.#exams.get(attempt.exam);
    const stored = await this.#store.get(attempt.id);
    if (!exam || !stored) return;
    await this.#store.submit(stored, at, scoreAttempt(stored, this.#bank(exam), this.#domains, exam.passPercent, at, by));
  }

  /**
   * The learner's running attempt of `examId`, or a new one drawn now. In a class sitting
   * (`sitting`), the attempt ends when the sitting does, and a practice attempt begun before the
   * sitting started is submitted as it stands to make way for it.
   */
  async start(learner: string, examId: string, sitting?: SittingWindow): Promise<ExamAttempt | undefined> {
    const exam = this.#exams.get(examId);
    if (!exam) return undefined;
    const open = await this.#store.open(learner, examId);
    if (open && !(await this.#settle(open)).submittedAt) {
      if (!sitting || open.startedAt >= sitting.startedAt) return open;
      await this.#submit(open, this.#now(), 'learner');
    }
    const last = (await this.#store.history(learner, examId)).at(-1);
    const domains = this.#domains.filter((domain) => domain.weight > 0).map((domain) => ({ id: domain.id, weight: domain.weight }));
    const now = this.#now();
    return this.#store.start({
      id: randomUUID(),
      learner,
      exam: examId,
      startedAt: now,
      endsAt: sitting?.endsAt ?? new Date(now.getTime() + exam.minutes * 60_000),
      questions: drawQuestions([...this.#bank(exam).values()], domains, exam.questions, new Set(last?.questions.map((question) => question.id)), this.#random),
    });
  }

  /** The attempts of a class sitting, each settled against the clock, the latest per learner. */
  async sittingAttempts(examId: string, learners: string[], sitting: SittingWindow): Promise<Map<string, ExamAttempt>> {
    const attempts = await this.#store.startedBetween(examId, learners, sitting.startedAt, sitting.endsAt);
    const latest = new Map<string, ExamAttempt>();
    for (const attempt of attempts) latest.set(attempt.learner, await this.#settle(attempt));
    return latest;
  }

  /** The learner's own attempt (anyone else's reads as unknown), settled against the clock. */
  async attempt(learner: string, id: string): Promise<ExamAttempt | undefined> {
    const attempt = await this.#store.get(id);
    return attempt && attempt.learner === learner ? this.#settle(attempt) : undefined;
  }

  /** Records the choice at `position` of the shown order (null clears it) and the flag. */
  async answer(attempt: ExamAttempt, question: string, position: number | null, flagged: boolean): Promise<'unknown question' | undefined> {
    const settled = await this.#settle(attempt);
    if (settled.submittedAt) throw new ExamClosedError(settled.score?.submittedBy === 'clock' ? 'the time is up: the exam was submitted with the answers given until then' : 'this exam was already submitted');
    const drawn = settled.questions.find((each) => each.id === question);
    if (!drawn || (position !== null && (position < 0 || position >= drawn.order.length))) return 'unknown question';
    await this.#store.answer(settled, question, { choice: position === null ? null : (drawn.order[position] as number), flagged, at: this.#now() });
    return undefined;
  }

  async submit(attempt: ExamAttempt): Promise<ExamAttempt> {
    const settled = await this.#settle(attempt);
    if (!settled.submittedAt) await this.#submit(settled, this.#now(), 'learner');
    return (await this.#store.get(attempt.id)) ?? settled;
  }

  /** The attempt still running, if any, and the submitted ones, oldest first. */
  async history(learner: string, examId: string): Promise<{ open: ExamAttempt | undefined; submitted: ExamAttempt[] }> {
    const running = await this.#store.open(learner, examId);
    const open = running && !(await this.#settle(running)).submittedAt ? running : undefined;
    return { open, submitted: await this.#store.history(learner, examId) };
  }

  view(attempt: ExamAttempt): AttemptView {
    const exam = this.#exams.get(attempt.exam);
    const bank = exam ? this.#bank(exam) : new Map<string, BankQuestion>();
    const submitted = attempt.submittedAt !== null;
    const questions = attempt.questions.flatMap(({ id, order }) => {
      const question = bank.get(id);
      if (!question) return [];
      const given = attempt.answers.get(id);
      const shown: QuestionView = {
        id,
        prompt: question.prompt,
        choices: order.map((index) => question.choices[index]?.text ?? ''),
        answer: given?.choice === null || given?.choice === undefined ? null : order.indexOf(given.choice),
        flagged: given?.flagged ?? false,
      };
      if (!submitted) return [shown];
      const review: ReviewView = {
        ...shown,
        key: order.indexOf(question.answer),
        why: order.map((index) => question.choices[index]?.why ?? ''),
        explanation: question.explanation,
        domain: question.domain,
        subArea: question.subArea,
        lesson: question.lesson,
        section: question.section ?? null,
      };
      return [review];
    });
    return {
      id: attempt.id,
      exam: attempt.exam,
      title: exam?.title ?? attempt.exam,
      startedAt: attempt.startedAt.toISOString(),
      endsAt: attempt.endsAt.toISOString(),
      remainingMs: submitted ? 0 : Math.max(0, attempt.endsAt.getTime() - this.#now().getTime()),
      submitted,
      questions,
      score: attempt.score,
    };
  }
}

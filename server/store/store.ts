// What the platform remembers about each learner, behind one interface: the server and the tests
// use nothing else, so every backend (SQLite by default) is interchangeable.
import type { ExamScore } from '../shared/exam-score.ts';
import type { ExamAttempts } from './exam-attempts.ts';
import type { LabState } from '../shared/grades.ts';

export type { LabState };

export type CheckRun = {
  learner: string;
  lab: string;
  task: string;
  passed: boolean;
  /** The failing checks' messages (empty when the task passed). */
  messages: string[];
  /** Who asked: the learner's Check button, or automatic grading after terminal activity. */
  trigger: 'learner' | 'auto';
  at: Date;
};

export type LabProgress = {
  lab: string;
  /** Tasks that have passed at least once. */
  tasksPassed: string[];
  completedAt: string | null;
  checks: number;
  hintsUsed: number;
};

export type QuizAnswer = {
  learner: string;
  lesson: string;
  question: string;
  /** The indices the learner chose. */
  choices: number[];
  correct: boolean;
};

/** A lesson's quiz as the learner left it: the first answer to each question counts. */
export type QuizProgress = { lesson: string; answered: number; correct: number };

/** The answer that counts for a question (the learner's first), and whether it was this one. */
export type CountedAnswer = { correct: boolean; choices: number[]; counted: boolean };

export type LearnerProgress = { labs: LabProgress[]; lessonsRead: string[]; quizzes: QuizProgress[] };

/** Everything stored about one learner, in one document: what "export my data" hands out. */
export type LearnerExport = {
  learner: string;
  exportedAt: string;
  checkRuns: Array<Omit<CheckRun, 'learner' | 'at'> & { at: string }>;
  hintsUsed: Array<{ lab: string; task: string; hint: number; at: string }>;
  labsCompleted: Array<{ lab: string; at: string }>;
  lessonsRead: Array<{ lesson: string; at: string }>;
  quizAnswers: Array<Omit<QuizAnswer, 'learner'> & { at: string }>;
  workshops: Array<{ code: string; title: string; name: string; joinedAt: string }>;
  examAttempts: Array<{
    exam: string;
    startedAt: string;
    endsAt: string;
    submittedAt: string | null;
    /** `choice` is the index in the bank's authored order. */
    answers: Array<{ question: string; choice: number | null; flagged: boolean }>;
    score: ExamScore | null;
  }>;
};

export type Workshop = {
  id: string;
  /** What learners type to join: short, unambiguous, upper case. */
  code: string;
  title: string;
  labs: string[];
  /** Practice exams the class sits together (server/exams/). */
  exams: string[];
  capacity: number;
  startsAt: Date;
  endsAt: Date;
  /** SHA-256 of the instructor's token: the token itself is never stored. */
  instructorTokenHash: string;
};

export type JoinResult = 'joined' | 'already a member' | 'full';

/** One learner's row on the instructor's dashboard. */
export type WorkshopMember = {
  learner: string;
  name: string;
  joinedAt: Date;
  /** "lab/task" of every task whose latest check since the learner joined passed. */
  passed: string[];
  /** "lab/task" of tasks whose latest check failed (not done yet, or undone: a reset). */
  failing: string[];
  /** The last check (by the learner or automatic), or the join. */
  lastActivity: Date;
  /** When the learner last got a task right, or joined: how long they have been stuck. */
  lastProgress: Date;
};

export interface ProgressStore {
  createWorkshop(workshop: Workshop): Promise<void>;
  workshopByCode(code: string): Promise<Workshop | undefined>;
  /** Adds a learner, unless the workshop already has `capacity` members. */
  joinWorkshop(workshop: Workshop, learner: string, name: string): Promise<JoinResult>;
  workshopMembers(workshop: Workshop): Promise<WorkshopMember[]>;
  /** Workshops that have ended and whose namespaces have not been cleaned up yet. */
  endedWorkshops(now: Date): Promise<Workshop[]>;
  markWorkshopCleaned(workshop: Workshop, at: Date): Promise<void>;
  /** The workshops a learner has joined, in the order they joined. */
  workshopsOf(learner: string): Promise<Workshop[]>;
  /** Starts the class's sitting of one of the workshop's exams, once: the start already recorded wins. */
  startSitting(workshop: Workshop, exam: string, at: Date): Promise<Date>;
  /** When each of the workshop's exam sittings started, by exam. */
  sittings(workshop: Workshop): Promise<Map<string, Date>>;
  /** Records one grading of a lab (one row per task, the latest CHECKS_KEPT kept per task); a lab whose tasks all pass is completed. */
  recordGrading(runs: CheckRun[]): Promise<void>;
  recordHint(learner: string, lab: string, task: string, hint: number): Promise<void>;
  recordLessonRead(learner: string, lesson: string): Promise<void>;
  /** The first and the latest attempts are kept (ANSWERS_KEPT per question); progress counts the first answer to each question. */
  recordQuizAnswer(answer: QuizAnswer): Promise<CountedAnswer>;
  /** The learner's answers that count, for one lesson's quiz, by question. */
  quizAnswers(learner: string, lesson: string): Promise<Map<string, Omit<CountedAnswer, 'counted'>>>;
  progress(learner: string): Promise<LearnerProgress>;
  labState(learner: string, lab: string): Promise<LabState>;
  exportLearner(learner: string): Promise<LearnerExport>;
  /** Practice exam attempts, each answer kept as it is given. */
  readonly exams: ExamAttempts;
  /** Forgets the learner entirely. */
  deleteLearner(learner: string): Promise<void>;
  close(): Promise<void>;
}

import { z } from 'zod';
import type { ClusterHealth } from '../cluster/health.ts';
import { providerNames } from '../cluster/provider.ts';
import type { QuizKey } from '../course/quiz-key.ts';
import type { AttemptView, QuestionView, ReviewView } from '../exams/practice.ts';
import type { LabResult, LabState } from '../shared/grades.ts';
import type { ExamScore, ScoreLine } from '../shared/exam-score.ts';
import type { CountedAnswer, LearnerExport, LearnerProgress } from '../store/store.ts';

// The answers more than one route gives, as zod schemas: the serializer checks every answer
// against its route's schema (a mismatch is the server's 500, never a silent surprise for a
// client), and the OpenAPI document describes them from the same place. Each schema is tied to
// the domain type it sends (`satisfies z.ZodType<T>`), so the two cannot drift apart.

/** Every refusal and failure: one sentence the client can show as it is. */
export const errorAnswer = z.object({ error: z.string() });

/** 204: nothing in the body. */
export const noContent = z.null().describe('no content');

const check = z.object({ ok: z.boolean(), message: z.string() });
const task = z.object({ id: z.string(), title: z.string(), passed: z.boolean(), checks: z.array(check) });

export const labResultAnswer = z.object({
  lab: z.string(),
  namespace: z.string(),
  passed: z.boolean(),
  tasks: z.array(task),
  gradedAt: z.string(),
}) satisfies z.ZodType<LabResult>;

/** `gradeJson`'s document: what `cnlab grade --format json` prints and POST /api/grade answers. */
export const gradeDocument = z.object({
  schema: z.string(),
  lab: z.string(),
  title: z.string(),
  namespace: z.string(),
  passed: z.boolean(),
  gradedAt: z.string(),
  tasks: z.array(task),
});

export const labStateAnswer = z.object({
  lab: z.string(),
  completedAt: z.string().nullable(),
  tasks: z.array(z.object({ task: z.string(), passed: z.boolean(), messages: z.array(z.string()), at: z.string(), lastPassedAt: z.string().nullable() })),
  hints: z.record(z.string(), z.number()),
}) satisfies z.ZodType<LabState>;

export const progressAnswer = z.object({
  labs: z.array(
    z.object({ lab: z.string(), tasksPassed: z.array(z.string()), completedAt: z.string().nullable(), checks: z.number(), hintsUsed: z.number() }),
  ),
  lessonsRead: z.array(z.string()),
  quizzes: z.array(z.object({ lesson: z.string(), answered: z.number(), correct: z.number() })),
}) satisfies z.ZodType<LearnerProgress>;

const scoreLine = { correct: z.number(), total: z.number() } satisfies Record<keyof ScoreLine, z.ZodType>;

export const examScore = z.object({
  ...scoreLine,
  percent: z.number(),
  passed: z.boolean(),
  passPercent: z.number(),
  timeUsedMs: z.number(),
  submittedBy: z.enum(['learner', 'clock']),
  byDomain: z.array(z.object({ ...scoreLine, domain: z.string(), title: z.string() })),
  studyNext: z.array(z.object({ ...scoreLine, domain: z.string(), subArea: z.string(), lessons: z.array(z.string()) })),
}) satisfies z.ZodType<ExamScore>;

export const learnerExport = z.object({
  learner: z.string(),
  exportedAt: z.string(),
  checkRuns: z.array(z.object({ lab: z.string(), task: z.string(), passed: z.boolean(), messages: z.array(z.string()), trigger: z.enum(['learner', 'auto']), at: z.string() })),
  hintsUsed: z.array(z.object({ lab: z.string(), task: z.string(), hint: z.number(), at: z.string() })),
  labsCompleted: z.array(z.object({ lab: z.string(), at: z.string() })),
  lessonsRead: z.array(z.object({ lesson: z.string(), at: z.string() })),
  quizAnswers: z.array(z.object({ lesson: z.string(), question: z.string(), choices: z.array(z.number()), correct: z.boolean(), at: z.string() })),
  workshops: z.array(z.object({ code: z.string(), title: z.string(), name: z.string(), joinedAt: z.string() })),
  examAttempts: z.array(
    z.object({
      exam: z.string(),
      startedAt: z.string(),
      endsAt: z.string(),
      submittedAt: z.string().nullable(),
      answers: z.array(z.object({ question: z.string(), choice: z.number().nullable(), flagged: z.boolean() })),
      score: examScore.nullable(),
    }),
  ),
}) satisfies z.ZodType<LearnerExport>;

const quizKey = { answer: z.array(z.number()), explanation: z.string() } satisfies Record<keyof QuizKey, z.ZodType>;
const countedAnswer = { correct: z.boolean(), choices: z.array(z.number()) };

/** A quiz answer as the server scored it, with the key the learner may now see. */
export const quizAnswerAnswer = z.object({ ...countedAnswer, counted: z.boolean(), ...quizKey }) satisfies z.ZodType<CountedAnswer & QuizKey>;

/** A lesson's answered questions, each with its key. */
export const quizAnswersAnswer = z.object({
  answers: z.array(z.object({ question: z.string(), ...countedAnswer, ...quizKey })),
}) satisfies z.ZodType<{ answers: Array<{ question: string } & Omit<CountedAnswer, 'counted'> & QuizKey> }>;

const questionView = { id: z.string(), prompt: z.string(), choices: z.array(z.string()), answer: z.number().nullable(), flagged: z.boolean() };
const reviewView = z.object({
  ...questionView,
  key: z.number(),
  why: z.array(z.string()),
  explanation: z.string(),
  domain: z.string(),
  subArea: z.string(),
  lesson: z.string(),
  section: z.string().nullable(),
}) satisfies z.ZodType<ReviewView>;

export const attemptView = z.object({
  id: z.string(),
  exam: z.string(),
  title: z.string(),
  startedAt: z.string(),
  endsAt: z.string(),
  remainingMs: z.number(),
  submitted: z.boolean(),
  // Under review the questions carry their keys; while the exam runs they do not.
  questions: z.union([z.array(reviewView), z.array(z.object(questionView) satisfies z.ZodType<QuestionView>)]),
  score: examScore.nullable(),
}) satisfies z.ZodType<AttemptView>;

export const clusterHealth = z.object({
  provider: z.enum(providerNames).optional(),
  healthy: z.boolean(),
  apiUrl: z.string().optional(),
  version: z.string().optional(),
  nodes: z.number().optional(),
  readyNodes: z.number().optional(),
  message: z.string().optional(),
}) satisfies z.ZodType<Partial<ClusterHealth>>;

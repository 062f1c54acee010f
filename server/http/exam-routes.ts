import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ExamClosedError, type PracticeExams } from '../exams/practice.ts';
import type { ProgressStore } from '../store/store.ts';
import { startRule } from '../workshops/sittings.ts';
import { attemptView, errorAnswer, examScore, noContent } from './answers.ts';
import { ensureLearner, learnerOf } from './identity.ts';

const examParams = z.object({ exam: z.string().max(64) });
const attemptParams = z.object({ id: z.string().max(64) });
const answerParams = attemptParams.extend({ question: z.string().max(200) });
const answerBody = z.object({ answer: z.number().int().min(0).max(9).nullable(), flagged: z.boolean() });

/** Practice exams: the learner starts or resumes an attempt, answers as they go, submits, reviews. */
export function registerExamRoutes(app: FastifyInstance, exams: PracticeExams, store: ProgressStore): void {
  const api = app.withTypeProvider<ZodTypeProvider>();

  const viewed = { 200: attemptView, 404: errorAnswer };
  // 409: the learner's workshop sits this exam together, and its instructor has not started it yet.
  api.post('/api/exams/:exam/attempts', { schema: { params: examParams, response: { 201: attemptView, 404: errorAnswer, 409: errorAnswer } } }, async (request, reply) => {
    const exam = exams.exam(request.params.exam);
    if (!exam) return reply.code(404).send({ error: 'no such exam' });
    const learner = ensureLearner(request, reply);
    const rule = await startRule(store, learner.id, exam);
    if (rule.kind === 'waiting') return reply.code(409).send({ error: `your workshop "${rule.workshop.title}" sits this exam together: it opens when your instructor starts it` });
    const attempt = await exams.start(learner.id, exam.id, rule.kind === 'sitting' ? rule.window : undefined);
    if (!attempt) return reply.code(404).send({ error: 'no such exam' });
    return reply.code(201).send(exams.view(attempt));
  });

  const history = z.object({
    open: z.string().nullable(),
    attempts: z.array(z.object({ id: z.string(), startedAt: z.string(), submittedAt: z.string().nullable(), score: examScore.nullable() })),
  });
  api.get('/api/exams/:exam/attempts', { schema: { params: examParams, response: { 200: history, 404: errorAnswer } } }, async (request, reply) => {
    if (!exams.exam(request.params.exam)) return reply.code(404).send({ error: 'no such exam' });
    const learner = learnerOf(request);
    const { open, submitted } = learner ? await exams.history(learner.id, request.params.exam) : { open: undefined, submitted: [] };
    return {
      open: open?.id ?? null,
      attempts: submitted.map((attempt) => ({ id: attempt.id, startedAt: attempt.startedAt.toISOString(), submittedAt: attempt.submittedAt?.toISOString() ?? null, score: attempt.score })),
    };
  });

  api.get('/api/exam-attempts/:id', { schema: { params: attemptParams, response: viewed } }, async (request, reply) => {
    const learner = learnerOf(request);
    const attempt = learner && (await exams.attempt(learner.id, request.params.id));
    if (!attempt) return reply.code(404).send({ error: 'no such exam attempt' });
    return exams.view(attempt);
  });

  api.put('/api/exam-attempts/:id/answers/:question', { schema: { params: answerParams, body: answerBody, response: { 204: noContent, 400: errorAnswer, 404: errorAnswer, 409: errorAnswer } } }, async (request, reply) => {
    const learner = learnerOf(request);
    const attempt = learner && (await exams.attempt(learner.id, request.params.id));
    if (!attempt) return reply.code(404).send({ error: 'no such exam attempt' });
    try {
      if (await exams.answer(attempt, request.params.question, request.body.answer, request.body.flagged)) return reply.code(400).send({ error: 'no such question or choice in this attempt' });
    } catch (error) {
      if (error instanceof ExamClosedError) return reply.code(409).send({ error: error.message });
      throw error;
    }
    return reply.code(204).send(null);
  });

  api.post('/api/exam-attempts/:id/submit', { schema: { params: attemptParams, response: viewed } }, async (request, reply) => {
    const learner = learnerOf(request);
    const attempt = learner && (await exams.attempt(learner.id, request.params.id));
    if (!attempt) return reply.code(404).send({ error: 'no such exam attempt' });
    return exams.view(await exams.submit(attempt));
  });
}

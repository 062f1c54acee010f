import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ExamClosedError, type PracticeExams } from '../exams/practice.ts';
import { ensureLearner, learnerOf } from './identity.ts';

const answerBody = z.strictObject({ answer: z.number().int().min(0).max(9).nullable(), flagged: z.boolean() });

/** Practice exams: the learner starts or resumes an attempt, answers as they go, submits, reviews. */
export function registerExamRoutes(app: FastifyInstance, exams: PracticeExams): void {
  app.post<{ Params: { exam: string } }>('/api/exams/:exam/attempts', async (request, reply) => {
    const attempt = await exams.start(ensureLearner(request, reply).id, request.params.exam);
    if (!attempt) return reply.code(404).send({ error: 'no such exam' });
    return reply.code(201).send(exams.view(attempt));
  });

  app.get<{ Params: { exam: string } }>('/api/exams/:exam/attempts', async (request, reply) => {
    if (!exams.exam(request.params.exam)) return reply.code(404).send({ error: 'no such exam' });
    const learner = learnerOf(request);
    const { open, submitted } = learner ? await exams.history(learner.id, request.params.exam) : { open: undefined, submitted: [] };
    return {
      open: open?.id ?? null,
      attempts: submitted.map((attempt) => ({ id: attempt.id, startedAt: attempt.startedAt.toISOString(), submittedAt: attempt.submittedAt?.toISOString() ?? null, score: attempt.score })),
    };
  });

  app.get<{ Params: { id: string } }>('/api/exam-attempts/:id', async (request, reply) => {
    const learner = learnerOf(request);
    const attempt = learner && (await exams.attempt(learner.id, request.params.id));
    if (!attempt) return reply.code(404).send({ error: 'no such exam attempt' });
    return exams.view(attempt);
  });

  app.put<{ Params: { id: string; question: string } }>('/api/exam-attempts/:id/answers/:question', async (request, reply) => {
    const body = answerBody.safeParse(request.body);
    if (!body.success) return reply.code(400).send({ error: 'send {"answer": <choice position, or null to clear>, "flagged": true|false}' });
    const learner = learnerOf(request);
    const attempt = learner && (await exams.attempt(learner.id, request.params.id));
    if (!attempt) return reply.code(404).send({ error: 'no such exam attempt' });
    try {
      if (await exams.answer(attempt, request.params.question, body.data.answer, body.data.flagged)) return reply.code(400).send({ error: 'no such question or choice in this attempt' });
    } catch (error) {
      if (error instanceof ExamClosedError) return reply.code(409).send({ error: error.message });
      throw error;
    }
    return reply.code(204).send();
  });

  app.post<{ Params: { id: string } }>('/api/exam-attempts/:id/submit', async (request, reply) => {
    const learner = learnerOf(request);
    const attempt = learner && (await exams.attempt(learner.id, request.params.id));
    if (!attempt) return reply.code(404).send({ error: 'no such exam attempt' });
    return exams.view(await exams.submit(attempt));
  });
}

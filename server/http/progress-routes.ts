import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isRight, quizKey } from '../course/quiz-key.ts';
import type { Quiz } from '../course/schema.ts';
import type { Lab } from '../labs/load.ts';
import type { SessionManager } from '../sessions/manager.ts';
import type { ProgressStore } from '../store/store.ts';
import { errorAnswer, labStateAnswer, learnerExport, noContent, progressAnswer, quizAnswerAnswer, quizAnswersAnswer } from './answers.ts';
import { ensureLearner, learnerOf } from './identity.ts';
import { ownSession, sessionParams } from './session-routes.ts';

/** A learner's own progress: read, exported, deleted; and the hints they open along the way. */
export function registerProgressRoutes(
  app: FastifyInstance,
  store: ProgressStore,
  sessions: SessionManager,
  labs: ReadonlyMap<string, Lab>,
  quizzes: ReadonlyMap<string, Quiz>,
  /** The course's lesson slugs: only these can be recorded as read. */
  lessons: ReadonlySet<string>,
): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.get('/api/progress', { schema: { response: { 200: progressAnswer } } }, async (request, reply) => store.progress(ensureLearner(request, reply).id));

  api.get('/api/progress/export', { schema: { response: { 200: learnerExport, 404: errorAnswer } } }, async (request, reply) => {
    const learner = learnerOf(request);
    if (!learner) return reply.code(404).send({ error: 'nothing is recorded for you yet' });
    return reply.header('content-disposition', 'attachment; filename="cnlab-progress.json"').send(await store.exportLearner(learner.id));
  });

  api.post('/api/progress/lessons', { schema: { body: z.object({ lesson: z.string().max(200) }), response: { 204: noContent, 400: errorAnswer } } }, async (request, reply) => {
    const { lesson } = request.body;
    if (!lessons.has(lesson)) return reply.code(400).send({ error: `no lesson is called ${lesson.slice(0, 80)}` });
    await store.recordLessonRead(ensureLearner(request, reply).id, lesson);
    return reply.code(204).send(null);
  });

  // The server scores answers: the page has no key. The first answer to a question counts; the
  // key and explanation come back with it, and with every later attempt (which counts for nothing).
  const answer = z.object({ lesson: z.string().max(200), question: z.string().max(200), choices: z.array(z.number().int().min(0)).min(1).max(6) });
  api.post('/api/progress/quiz', { schema: { body: answer, response: { 200: quizAnswerAnswer, 400: errorAnswer } } }, async (request, reply) => {
    const { body } = request;
    const question = quizzes.get(body.lesson)?.questions.find((candidate) => candidate.id === body.question);
    if (!question) return reply.code(400).send({ error: 'no such quiz question' });
    const choices = [...new Set(body.choices)].sort((a, b) => a - b);
    if (choices.some((choice) => choice >= question.choices.length)) return reply.code(400).send({ error: 'no such choice' });
    const counted = await store.recordQuizAnswer({ learner: ensureLearner(request, reply).id, lesson: body.lesson, question: question.id, choices, correct: isRight(question, choices) });
    return reply.send({ ...counted, ...quizKey(question) });
  });

  // A lesson's answered questions, for the page to show them answered (and their keys) on a reload.
  api.get('/api/progress/quiz', { schema: { querystring: z.object({ lesson: z.string().max(200) }), response: { 200: quizAnswersAnswer, 404: errorAnswer } } }, async (request, reply) => {
    const quiz = quizzes.get(request.query.lesson);
    if (!quiz) return reply.code(404).send({ error: 'no such quiz' });
    const learner = learnerOf(request);
    const answers = learner ? await store.quizAnswers(learner.id, request.query.lesson) : new Map();
    return {
      answers: quiz.questions.flatMap((question) => {
        const answer = answers.get(question.id);
        return answer ? [{ question: question.id, ...answer, ...quizKey(question) }] : [];
      }),
    };
  });

  // What the lab page shows on load: each task's latest check, hints opened, completion.
  api.get('/api/progress/labs/:lab', { schema: { params: z.object({ lab: z.string().max(64) }), response: { 200: labStateAnswer, 404: errorAnswer } } }, async (request, reply) => {
    if (!labs.has(request.params.lab)) return reply.code(404).send({ error: `no lab named ${request.params.lab}` });
    const learner = learnerOf(request);
    return learner ? store.labState(learner.id, request.params.lab) : { lab: request.params.lab, completedAt: null, tasks: [], hints: {} };
  });

  api.delete('/api/progress', { schema: { response: { 204: noContent } } }, async (request, reply) => {
    const learner = learnerOf(request);
    if (learner) await store.deleteLearner(learner.id);
    return reply.code(204).send(null);
  });

  const hint = z.object({ task: z.string().max(200), hint: z.number().int().min(0) });
  api.post('/api/sessions/:id/hints', { schema: { params: sessionParams, body: hint, response: { 204: noContent, 400: errorAnswer, 404: errorAnswer } } }, async (request, reply) => {
    const session = ownSession(request, sessions);
    const lab = session && labs.get(session.lab);
    if (!session || !lab) return reply.code(404).send({ error: 'no such session' });
    const task = lab.definition.tasks.find((candidate) => candidate.id === request.body.task);
    if (!task || request.body.hint >= task.hints.length) return reply.code(400).send({ error: 'no such hint in this lab' });
    await store.recordHint(session.learner, session.lab, task.id, request.body.hint);
    return reply.code(204).send(null);
  });
}

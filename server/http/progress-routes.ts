import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { isRight, quizKey } from '../course/quiz-key.ts';
import type { Quiz } from '../course/schema.ts';
import type { Lab } from '../labs/load.ts';
import type { SessionManager } from '../sessions/manager.ts';
import type { ProgressStore } from '../store/store.ts';
import { ensureLearner, learnerOf } from './identity.ts';
import { ownSession } from './session-routes.ts';

/** A learner's own progress: read, exported, deleted; and the hints they open along the way. */
export function registerProgressRoutes(
  app: FastifyInstance,
  store: ProgressStore,
  sessions: SessionManager,
  labs: ReadonlyMap<string, Lab>,
  quizzes: ReadonlyMap<string, Quiz>,
): void {
  app.get('/api/progress', async (request, reply) => store.progress(ensureLearner(request, reply).id));

  app.get('/api/progress/export', async (request, reply) => {
    const learner = learnerOf(request);
    if (!learner) return reply.code(404).send({ error: 'nothing is recorded for you yet' });
    return reply.header('content-disposition', 'attachment; filename="cnlab-progress.json"').send(await store.exportLearner(learner.id));
  });

  app.post('/api/progress/lessons', async (request, reply) => {
    const body = z.object({ lesson: z.string().regex(/^[a-z0-9-]+(\/[a-z0-9-]+)*$/) }).safeParse(request.body);
    if (!body.success) return reply.code(400).send({ error: 'send {"lesson": "<slug>"}' });
    await store.recordLessonRead(ensureLearner(request, reply).id, body.data.lesson);
    return reply.code(204).send();
  });

  // The server scores answers: the page has no key. The first answer to a question counts; the
  // key and explanation come back with it, and with every later attempt (which counts for nothing).
  app.post('/api/progress/quiz', async (request, reply) => {
    const body = z.object({ lesson: z.string(), question: z.string(), choices: z.array(z.number().int().min(0)).min(1).max(6) }).safeParse(request.body);
    const question = body.success ? quizzes.get(body.data.lesson)?.questions.find((candidate) => candidate.id === body.data.question) : undefined;
    if (!body.success || !question) return reply.code(400).send({ error: 'no such quiz question' });
    const choices = [...new Set(body.data.choices)].sort((a, b) => a - b);
    if (choices.some((choice) => choice >= question.choices.length)) return reply.code(400).send({ error: 'no such choice' });
    const counted = await store.recordQuizAnswer({ learner: ensureLearner(request, reply).id, lesson: body.data.lesson, question: question.id, choices, correct: isRight(question, choices) });
    return reply.send({ ...counted, ...quizKey(question) });
  });

  // A lesson's answered questions, for the page to show them answered (and their keys) on a reload.
  app.get('/api/progress/quiz', async (request, reply) => {
    const query = z.object({ lesson: z.string() }).safeParse(request.query);
    const quiz = query.success ? quizzes.get(query.data.lesson) : undefined;
    if (!query.success || !quiz) return reply.code(404).send({ error: 'no such quiz' });
    const learner = learnerOf(request);
    const answers = learner ? await store.quizAnswers(learner.id, query.data.lesson) : new Map();
    return {
      answers: quiz.questions.flatMap((question) => {
        const answer = answers.get(question.id);
        return answer ? [{ question: question.id, ...answer, ...quizKey(question) }] : [];
      }),
    };
  });

  // What the lab page shows on load: each task's latest check, hints opened, completion.
  app.get<{ Params: { lab: string } }>('/api/progress/labs/:lab', async (request, reply) => {
    if (!labs.has(request.params.lab)) return reply.code(404).send({ error: `no lab named ${request.params.lab}` });
    const learner = learnerOf(request);
    return learner ? store.labState(learner.id, request.params.lab) : { lab: request.params.lab, completedAt: null, tasks: [], hints: {} };
  });

  app.delete('/api/progress', async (request, reply) => {
    const learner = learnerOf(request);
    if (learner) await store.deleteLearner(learner.id);
    return reply.code(204).send();
  });

  app.post<{ Params: { id: string } }>('/api/sessions/:id/hints', async (request, reply) => {
    const session = ownSession(request, sessions);
    const lab = session && labs.get(session.lab);
    if (!session || !lab) return reply.code(404).send({ error: 'no such session' });
    const body = z.object({ task: z.string(), hint: z.number().int().min(0) }).safeParse(request.body);
    const task = body.success ? lab.definition.tasks.find((candidate) => candidate.id === body.data.task) : undefined;
    if (!body.success || !task || body.data.hint >= task.hints.length) return reply.code(400).send({ error: 'no such hint in this lab' });
    await store.recordHint(session.learner, session.lab, task.id, body.data.hint);
    return reply.code(204).send();
  });
}

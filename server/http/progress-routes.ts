import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
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
  /** The course's lesson slugs: only these can be recorded as read. */
  lessons: ReadonlySet<string>,
): void {
  app.get('/api/progress', async (request, reply) => store.progress(ensureLearner(request, reply).id));

  app.get('/api/progress/export', async (request, reply) => {
    const learner = learnerOf(request);
    if (!learner) return reply.code(404).send({ error: 'nothing is recorded for you yet' });
    return reply.header('content-disposition', 'attachment; filename="cnlab-progress.json"').send(await store.exportLearner(learner.id));
  });

  app.post('/api/progress/lessons', async (request, reply) => {
    const body = z.object({ lesson: z.string().max(200) }).safeParse(request.body);
    if (!body.success) return reply.code(400).send({ error: 'send {"lesson": "<slug>"}' });
    if (!lessons.has(body.data.lesson)) return reply.code(400).send({ error: `no lesson is called ${body.data.lesson.slice(0, 80)}` });
    await store.recordLessonRead(ensureLearner(request, reply).id, body.data.lesson);
    return reply.code(204).send();
  });

  // The page checks answers itself; the server scores them again from its own copy of the bank.
  app.post('/api/progress/quiz', async (request, reply) => {
    const body = z.object({ lesson: z.string(), question: z.string(), choices: z.array(z.number().int().min(0)).min(1).max(6) }).safeParse(request.body);
    const question = body.success ? quizzes.get(body.data.lesson)?.questions.find((candidate) => candidate.id === body.data.question) : undefined;
    if (!body.success || !question) return reply.code(400).send({ error: 'no such quiz question' });
    const choices = [...new Set(body.data.choices)].sort((a, b) => a - b);
    if (choices.some((choice) => choice >= question.choices.length)) return reply.code(400).send({ error: 'no such choice' });
    const correct = choices.length === question.answer.length && question.answer.every((answer) => choices.includes(answer));
    await store.recordQuizAnswer({ learner: ensureLearner(request, reply).id, lesson: body.data.lesson, question: question.id, choices, correct });
    return reply.send({ correct });
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

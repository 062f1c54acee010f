import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Lab } from '../labs/load.ts';
import { type AutoGrader, CLUSTER_UNAVAILABLE, LAB_ERROR } from '../labs/auto-grader.ts';
import { LabError } from '../labs/grade.ts';
import type { SessionManager } from '../sessions/manager.ts';
import { errorAnswer, labResultAnswer, noContent } from './answers.ts';
import type { OneAtATime } from './one-at-a-time.ts';
import { ownSession, sessionParams } from './session-routes.ts';

const publicLabAnswer = z.object({
  id: z.string(),
  title: z.string(),
  lesson: z.string(),
  intro: z.string(),
  tasks: z.array(z.object({ id: z.string(), title: z.string(), instructions: z.string(), hints: z.array(z.string()) })),
});

/** What the browser may know of a lab: everything but the solution, which must be earned. */
function publicLab(lab: Lab): z.infer<typeof publicLabAnswer> {
  const { id, title, lesson, intro, tasks } = lab.definition;
  return { id, title, lesson, intro, tasks: tasks.map(({ id: taskId, title: taskTitle, instructions, hints }) => ({ id: taskId, title: taskTitle, instructions, hints })) };
}

export const RESET_UNAVAILABLE = 'the lab cluster is unavailable right now, so the lab could not be reset: try again in a moment';

export function registerLabRoutes(app: FastifyInstance, sessions: SessionManager, grader: AutoGrader, labs: ReadonlyMap<string, Lab>, inFlight: OneAtATime): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.get('/api/labs/:id', { schema: { params: z.object({ id: z.string().max(64) }), response: { 200: publicLabAnswer, 404: errorAnswer } } }, async (request, reply) => {
    const lab = labs.get(request.params.id);
    return lab ? publicLab(lab) : reply.code(404).send({ error: `no lab named ${request.params.id}` });
  });

  // 429: a grade or reset of this lab is already in flight.
  const graded = { 200: labResultAnswer, 404: errorAnswer, 429: errorAnswer, 500: errorAnswer, 503: errorAnswer };
  api.post('/api/sessions/:id/grade', { schema: { params: sessionParams, response: graded } }, async (request, reply) => {
    const session = ownSession(request, sessions);
    if (!session) return reply.code(404).send({ error: 'no such session' });
    return inFlight.run(session, reply, async () => {
      let result;
      try {
        result = await grader.grade(session, 'learner');
      } catch (error) {
        // Neither a lab that cannot be graded nor an unreachable cluster is the learner's failure:
        // say which, and grade nothing.
        if (error instanceof LabError) {
          request.log.error({ err: error, session: session.id }, 'the lab cannot be graded');
          return reply.code(500).send({ error: LAB_ERROR });
        }
        request.log.warn({ err: error, session: session.id }, 'grading failed');
        return reply.code(503).send({ error: CLUSTER_UNAVAILABLE });
      }
      if (!result) return reply.code(404).send({ error: `the session's lab ${session.lab} has no checks` });
      session.tried = true;
      return result;
    });
  });

  api.post('/api/sessions/:id/reset', { schema: { params: sessionParams, response: { ...graded, 204: noContent } } }, async (request, reply) => {
    const session = ownSession(request, sessions);
    if (!session) return reply.code(404).send({ error: 'no such session' });
    return inFlight.run(session, reply, async () => {
      try {
        await sessions.reset(session);
      } catch (error) {
        request.log.warn({ err: error, session: session.id }, 'reset failed');
        return reply.code(503).send({ error: RESET_UNAVAILABLE });
      }
      // The reset is done; a grade that fails now is left to the automatic grader.
      const result = await grader.grade(session, 'learner').catch((error: unknown) => request.log.warn({ err: error, session: session.id }, 'grading after a reset failed'));
      return result ?? reply.code(204).send(null);
    });
  });

  api.get('/api/sessions/:id/solution', { schema: { params: sessionParams, response: { 200: z.object({ solution: z.string() }), 403: errorAnswer, 404: errorAnswer } } }, async (request, reply) => {
    const session = ownSession(request, sessions);
    const lab = session && labs.get(session.lab);
    if (!session || !lab) return reply.code(404).send({ error: 'no such session' });
    if (!session.tried) return reply.code(403).send({ error: 'try the tasks first: the solution opens once you have checked your work' });
    return { solution: lab.solution };
  });
}

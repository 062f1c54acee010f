import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Lab } from '../labs/load.ts';
import type { ProgressStore, Workshop } from '../store/store.ts';
import { hashToken } from '../workshops/workshops.ts';
import { displayNameSchema, ensureLearner, setLearner } from './identity.ts';

/** Whether a request carries the instructor token of this workshop (compared as hashes). */
function isInstructor(authorization: string | undefined, workshop: Workshop): boolean {
  const token = /^Bearer (.+)$/.exec(authorization ?? '')?.[1];
  if (!token) return false;
  return timingSafeEqual(Buffer.from(hashToken(token)), Buffer.from(workshop.instructorTokenHash));
}

/** Learners join a workshop with its code and a display name; its instructor watches the grid. */
export function registerWorkshopRoutes(app: FastifyInstance, store: ProgressStore, labs: ReadonlyMap<string, Lab>): void {
  app.get<{ Params: { code: string } }>('/api/workshops/:code/dashboard', async (request, reply) => {
    const workshop = await store.workshopByCode(request.params.code.toUpperCase());
    // A wrong code and a wrong token get the same answer: the dashboard's existence is not news.
    if (!workshop || !isInstructor(request.headers.authorization, workshop)) {
      return reply.code(401).header('www-authenticate', 'Bearer').send({ error: "the instructor's token for this workshop is required" });
    }
    const now = Date.now();
    return {
      title: workshop.title,
      code: workshop.code,
      capacity: workshop.capacity,
      startsAt: workshop.startsAt.toISOString(),
      endsAt: workshop.endsAt.toISOString(),
      tasks: workshop.labs.flatMap((id) => (labs.get(id)?.definition.tasks ?? []).map((task) => ({ key: `${id}/${task.id}`, lab: id, title: task.title }))),
      learners: (await store.workshopMembers(workshop))
        .map((member) => ({
          name: member.name,
          passed: member.passed,
          failing: member.failing,
          lastActivity: member.lastActivity.toISOString(),
          stuckSeconds: Math.round((now - member.lastProgress.getTime()) / 1000),
        }))
        .sort((a, b) => b.stuckSeconds - a.stuckSeconds),
    };
  });

  app.post('/api/workshops/join', async (request, reply) => {
    const body = z.object({ code: z.string().trim().toUpperCase(), name: displayNameSchema }).safeParse(request.body);
    if (!body.success) return reply.code(400).send({ error: body.error.issues[0]?.message ?? 'send a code and a name' });
    const workshop = await store.workshopByCode(body.data.code);
    if (!workshop) return reply.code(404).send({ error: `no workshop has the code ${body.data.code}: check it with your instructor` });
    if (workshop.endsAt.getTime() <= Date.now()) return reply.code(410).send({ error: `the workshop "${workshop.title}" has ended` });
    const learner = ensureLearner(request, reply);
    const joined = await store.joinWorkshop(workshop, learner.id, body.data.name);
    if (joined === 'full') return reply.code(409).send({ error: `the workshop "${workshop.title}" is full (${workshop.capacity} ${workshop.capacity === 1 ? 'learner' : 'learners'}): ask your instructor` });
    setLearner(reply, { ...learner, name: body.data.name }, request.protocol === 'https');
    return { title: workshop.title, labs: workshop.labs, startsAt: workshop.startsAt.toISOString(), endsAt: workshop.endsAt.toISOString(), joined };
  });
}

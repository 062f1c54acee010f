import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ProgressStore } from '../store/store.ts';
import { displayNameSchema, ensureLearner, setLearner } from './identity.ts';

/** Learners join a workshop with its code and a display name. */
export function registerWorkshopRoutes(app: FastifyInstance, store: ProgressStore): void {
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

import type { FastifyInstance, FastifyRequest, onRequestHookHandler } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Lab } from '../labs/load.ts';
import { SandboxUnavailableError, type Session, type SessionManager, SessionsFullError } from '../sessions/manager.ts';
import { GENERAL_SESSION } from '../shared/names.ts';
import { errorAnswer, noContent } from './answers.ts';
import { displayNameSchema, ensureLearner, learnerOf, setLearner } from './identity.ts';

/** The session named in the URL, if it belongs to the learner asking; anyone else's reads as unknown. */
export function ownSession(request: FastifyRequest & { params: { id: string } }, sessions: SessionManager): Session | undefined {
  const learner = learnerOf(request);
  const session = sessions.get(request.params.id);
  return learner && session?.learner === learner.id ? session : undefined;
}

const labSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'a lab id is lowercase letters, digits and dashes');

const sessionView = z.object({
  id: z.string(),
  lab: z.string(),
  title: z.string(),
  namespace: z.string(),
  openedAt: z.string(),
  lastInputAt: z.string(),
  expiresAt: z.string(),
});

/** A session as its learner sees it in "Your sessions": what it is for and how recently it was used. */
function describe(session: Session, labs: ReadonlyMap<string, Lab>): z.infer<typeof sessionView> {
  const title = session.lab === GENERAL_SESSION ? 'Lessons without a lab' : (labs.get(session.lab)?.definition.title ?? session.lab);
  return {
    id: session.id,
    lab: session.lab,
    title,
    namespace: session.namespace,
    openedAt: session.openedAt.toISOString(),
    lastInputAt: new Date(session.lastInput).toISOString(),
    expiresAt: session.expiresAt.toISOString(),
  };
}

/** The `:id` of a session's routes. */
export const sessionParams = z.object({ id: z.string().max(64) });

export function registerSessionRoutes(app: FastifyInstance, sessions: SessionManager, labs: ReadonlyMap<string, Lab>, startLimit: onRequestHookHandler): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const me = z.object({ id: z.string(), name: z.string().nullable() });
  api.get('/api/me', { schema: { response: { 200: me } } }, async (request, reply) => {
    const learner = ensureLearner(request, reply);
    // The id is what an instructor or a script names the learner by (`cnlab grade --learner`).
    return { id: learner.id, name: learner.name ?? null };
  });

  api.put('/api/me', { schema: { body: z.object({ name: displayNameSchema }), response: { 200: z.object({ name: z.string() }) } } }, async (request, reply) => {
    const learner = ensureLearner(request, reply);
    setLearner(reply, { ...learner, name: request.body.name }, request.protocol === 'https');
    return { name: request.body.name };
  });

  const opened = z.object({ id: z.string(), namespace: z.string(), lab: z.string(), expiresAt: z.string() });
  // A full answer lists the learner's own sessions, least recently used first, for the page to offer ending one.
  const full = errorAnswer.extend({ sessions: z.array(sessionView).optional() });
  api.post('/api/sessions', { onRequest: startLimit, schema: { body: z.object({ lab: labSchema }), response: { 201: opened, 429: full, 503: errorAnswer } } }, async (request, reply) => {
    const learner = ensureLearner(request, reply);
    try {
      const session = await sessions.open(learner.id, request.body.lab);
      return reply.code(201).send({ id: session.id, namespace: session.namespace, lab: session.lab, expiresAt: session.expiresAt.toISOString() });
    } catch (error) {
      if (error instanceof SessionsFullError) {
        const mine = sessions.sessionsOf(learner.id).map((session) => describe(session, labs));
        return reply.code(429).header('retry-after', '60').send({ error: error.message, sessions: mine });
      }
      if (error instanceof SandboxUnavailableError) return reply.code(503).send({ error: error.message });
      request.log.error({ err: error }, 'could not open a session');
      return reply.code(503).send({ error: `the lab cluster could not prepare your namespace (${(error as Error).message}); try again in a moment` });
    }
  });

  api.get('/api/sessions', { schema: { response: { 200: z.object({ sessions: z.array(sessionView) }) } } }, async (request) => {
    const learner = learnerOf(request);
    return { sessions: learner ? sessions.sessionsOf(learner.id).map((session) => describe(session, labs)) : [] };
  });

  api.delete('/api/sessions/:id', { schema: { params: sessionParams, response: { 204: noContent, 404: errorAnswer, 503: errorAnswer } } }, async (request, reply) => {
    const session = ownSession(request, sessions);
    if (!session) return reply.code(404).send({ error: 'no such session' });
    try {
      await sessions.close(session.id, 'closed by the learner');
    } catch (error) {
      // The shell is gone either way; the namespace waits for the cluster, or for its expiry.
      request.log.warn({ err: error, session: session.id }, 'deleting a closed session\'s namespace failed');
      return reply.code(503).send({ error: 'your terminal is closed, but the lab cluster is unavailable right now: its namespace is deleted when it expires' });
    }
    return reply.code(204).send(null);
  });
}

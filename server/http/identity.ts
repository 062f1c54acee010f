import { randomUUID } from 'node:crypto';
import fastifyCookie from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';

// A learner is whoever holds the signed learner cookie: anonymous, created on first visit, with
// an optional display name. It is the only secret the browser ever holds.

const COOKIE = 'cnlab_learner';
const YEAR_SECONDS = 365 * 24 * 3600;

const learnerSchema = z.object({ id: z.uuid(), name: z.string().max(40).optional() });
export type Learner = z.infer<typeof learnerSchema>;

export const displayNameSchema = z
  .string()
  .trim()
  .min(1, 'a display name needs at least one character')
  .max(40, 'a display name has at most 40 characters')
  .regex(/^[\p{L}\p{N} ._'-]+$/u, 'a display name may use letters, digits, spaces and . _ \' -');

export async function registerIdentity(app: FastifyInstance, secret: string): Promise<void> {
  await app.register(fastifyCookie, { secret });
}

/** The learner a request comes from, if its cookie is present and its signature holds. */
export function learnerOf(request: FastifyRequest): Learner | undefined {
  const raw = request.cookies[COOKIE];
  if (!raw) return undefined;
  const unsigned = request.unsignCookie(raw);
  if (!unsigned.valid || unsigned.value === null) return undefined;
  try {
    const parsed = learnerSchema.safeParse(JSON.parse(Buffer.from(unsigned.value, 'base64url').toString('utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export function setLearner(reply: FastifyReply, learner: Learner, secure: boolean): void {
  reply.setCookie(COOKIE, Buffer.from(JSON.stringify(learner)).toString('base64url'), {
    signed: true,
    httpOnly: true,
    sameSite: 'strict',
    secure,
    path: '/',
    maxAge: YEAR_SECONDS,
  });
}

/** The request's learner, creating an anonymous one (and its cookie) on first contact. */
export function ensureLearner(request: FastifyRequest, reply: FastifyReply): Learner {
  const known = learnerOf(request);
  if (known) return known;
  const learner = { id: randomUUID() };
  setLearner(reply, learner, request.protocol === 'https');
  return learner;
}

import { z } from 'zod';
import { CnlabError } from '../errors.ts';

const seconds = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const schema = z.object({
  CNLAB_SESSION_IDLE_SECONDS: seconds(15 * 60),
  CNLAB_SESSION_TTL_SECONDS: seconds(2 * 3600),
  CNLAB_SESSION_SWEEP_SECONDS: seconds(30),
  CNLAB_MAX_SESSIONS: z.coerce.number().int().positive().max(10_000).default(200),
  CNLAB_MAX_SESSIONS_PER_LEARNER: z.coerce.number().int().positive().default(3),
  CNLAB_SANDBOX_UID_BASE: z.coerce.number().int().min(1000).default(200_000),
});

export type SessionSettings = {
  idleSeconds: number;
  ttlSeconds: number;
  sweepSeconds: number;
  maxSessions: number;
  maxSessionsPerLearner: number;
  /** A root server runs session N's shell as host uid uidBase + N. */
  uidBase: number;
};

/** Session settings from the environment, each with a default; a bad value stops the start. */
export function sessionSettings(env: NodeJS.ProcessEnv = process.env): SessionSettings {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CnlabError(`${String(issue?.path[0])}="${env[String(issue?.path[0])]}" is not valid: ${issue?.message}`, 'fix or unset it');
  }
  const v = parsed.data;
  return {
    idleSeconds: v.CNLAB_SESSION_IDLE_SECONDS,
    ttlSeconds: v.CNLAB_SESSION_TTL_SECONDS,
    sweepSeconds: v.CNLAB_SESSION_SWEEP_SECONDS,
    maxSessions: v.CNLAB_MAX_SESSIONS,
    maxSessionsPerLearner: v.CNLAB_MAX_SESSIONS_PER_LEARNER,
    uidBase: v.CNLAB_SANDBOX_UID_BASE,
  };
}

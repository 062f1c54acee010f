import { setting } from '../settings.ts';

export type SessionSettings = {
  idleSeconds: number;
  ttlSeconds: number;
  sweepSeconds: number;
  maxSessions: number;
  maxSessionsPerLearner: number;
  /** A root server runs session N's shell as host uid uidBase + N. */
  uidBase: number;
};

/** The session settings (declared in server/settings.ts); a bad value stops the start. */
export function sessionSettings(env: NodeJS.ProcessEnv = process.env): SessionSettings {
  return {
    idleSeconds: setting('CNLAB_SESSION_IDLE_SECONDS', env),
    ttlSeconds: setting('CNLAB_SESSION_TTL_SECONDS', env),
    sweepSeconds: setting('CNLAB_SESSION_SWEEP_SECONDS', env),
    maxSessions: setting('CNLAB_MAX_SESSIONS', env),
    maxSessionsPerLearner: setting('CNLAB_MAX_SESSIONS_PER_LEARNER', env),
    uidBase: setting('CNLAB_SANDBOX_UID_BASE', env),
  };
}

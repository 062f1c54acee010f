import { setting } from '../settings.ts';
import { FIXED_LIMITS, type SessionLimits } from './sandbox.ts';

export type SessionSettings = {
  idleSeconds: number;
  ttlSeconds: number;
  sweepSeconds: number;
  maxSessions: number;
  maxSessionsPerLearner: number;
  /** Namespaces kept ready for new sessions (server/sessions/pool.ts); 0: none. */
  poolSize: number;
  /** A root server runs session N's shell as host uid uidBase + N. */
  uidBase: number;
  limits: SessionLimits;
};

const MIB = 1024 * 1024;

/** The session settings (declared in server/settings.ts); a bad value stops the start. */
export function sessionSettings(env: NodeJS.ProcessEnv = process.env): SessionSettings {
  return {
    idleSeconds: setting('CNLAB_SESSION_IDLE_SECONDS', env),
    ttlSeconds: setting('CNLAB_SESSION_TTL_SECONDS', env),
    sweepSeconds: setting('CNLAB_SESSION_SWEEP_SECONDS', env),
    maxSessions: setting('CNLAB_MAX_SESSIONS', env),
    maxSessionsPerLearner: setting('CNLAB_MAX_SESSIONS_PER_LEARNER', env),
    poolSize: setting('CNLAB_SESSION_POOL', env),
    uidBase: setting('CNLAB_SANDBOX_UID_BASE', env),
    limits: {
      processes: setting('CNLAB_SESSION_PROCESSES', env),
      memoryBytes: setting('CNLAB_SESSION_MEMORY_MIB', env) * MIB,
      cpus: setting('CNLAB_SESSION_CPUS', env),
      homeBytes: setting('CNLAB_SESSION_HOME_MIB', env) * MIB,
      homeFiles: setting('CNLAB_SESSION_HOME_FILES', env),
      apiConnections: setting('CNLAB_SESSION_API_CONNECTIONS', env),
      ...FIXED_LIMITS,
    },
  };
}

import { createRequire } from 'node:module';
import fastifyRateLimit, { type FastifyRateLimitOptions, type FastifyRateLimitStore } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { learnerOf } from './identity.ts';

// Opening a session is the one request that costs the cluster real work (a namespace, its
// policy, a sandboxed shell), so it is rationed three ways, each per minute: per learner cookie,
// per client address (generous: a classroom behind one NAT address shares it), and for the whole
// server. A request over any of them answers 429 with Retry-After; the rest of the API is not
// rationed by count (its own caps and one-at-a-time rules hold it).

export type SessionStartLimits = { perLearner: number; perAddress: number; overall: number };

const WINDOW_MS = 60_000;

type Count = { current: number; ttl: number };
type Incr = FastifyRateLimitStore['incr'];
const LocalStore = createRequire(import.meta.url)('@fastify/rate-limit/store/LocalStore.js') as new (continueExceeding: boolean, exponentialBackoff: boolean) => FastifyRateLimitStore;

/**
 * The plugin's in-memory store, handing out a copy of each count: its own hands out the live
 * record, which later requests of a burst increment before the first one reads it, so every
 * request of a concurrent burst would see the burst's final count and all would be refused.
 */
class SnapshotStore implements FastifyRateLimitStore {
  readonly #inner: FastifyRateLimitStore;

  constructor(options: FastifyRateLimitOptions | FastifyRateLimitStore) {
    this.#inner = 'incr' in options ? options : new LocalStore(false, false);
  }

  incr(key: string, callback: Parameters<Incr>[1], timeWindow: number, max: number): void {
    this.#inner.incr(key, (error, result?: Count) => callback(error, result && { current: result.current, ttl: result.ttl }), timeWindow, max);
  }

  child(routeOptions: Parameters<FastifyRateLimitStore['child']>[0]): FastifyRateLimitStore {
    return new SnapshotStore(this.#inner.child(routeOptions));
  }
}

type Limiter = ReturnType<FastifyInstance['createRateLimit']>;
type Ceiling = { limiter: Limiter; refusal: string };

/** Registers the limiter; returns the hook that rations a route (POST /api/sessions). */
export async function sessionStartLimit(app: FastifyInstance, limits: SessionStartLimits): Promise<(request: FastifyRequest, reply: FastifyReply) => Promise<void>> {
  await app.register(fastifyRateLimit, { global: false, store: SnapshotStore });
  const ceiling = (max: number, keyGenerator: (request: FastifyRequest) => string, refusal: string): Ceiling => ({
    limiter: app.createRateLimit({ max, timeWindow: WINDOW_MS, keyGenerator }),
    refusal,
  });
  // In this order, so a learner over their own ceiling does not use up their classmates'.
  const ceilings = [
    // A request without a cookie is a new learner: it counts toward its address only.
    ceiling(limits.perLearner, (request) => `learner:${learnerOf(request)?.id ?? `new:${request.ip}`}`, `you have started ${limits.perLearner} terminals in the last minute`),
    ceiling(limits.perAddress, (request) => `address:${request.ip}`, `${limits.perAddress} terminals were started from your network address in the last minute`),
    ceiling(limits.overall, () => 'server', `this server has started ${limits.overall} terminals in the last minute`),
  ];
  return async (request, reply) => {
    for (const { limiter, refusal } of ceilings) {
      const outcome = await limiter(request);
      if (!outcome.isAllowed && outcome.isExceeded) {
        const seconds = Math.max(1, outcome.ttlInSeconds);
        return reply
          .code(429)
          .header('retry-after', String(seconds))
          .send({ error: `${refusal}, the most allowed: try again in ${seconds} s` });
      }
    }
  };
}

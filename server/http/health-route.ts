import type { FastifyInstance } from 'fastify';
import { type ClusterHealth, probeCluster } from '../cluster/health.ts';
import type { ClusterAccess } from '../cluster/provider.ts';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { SessionManager } from '../sessions/manager.ts';
import { clusterHealth as clusterHealthAnswer } from './answers.ts';

// A page refresh or a monitoring probe should not turn into a burst of API calls.
const HEALTH_CACHE_MS = 2000;

type Unhealthy = { healthy: false; message: string };

async function clusterHealth(cluster: () => Promise<ClusterAccess | undefined>): Promise<ClusterHealth | Unhealthy> {
  try {
    const access = await cluster();
    return access ? await probeCluster(access) : { healthy: false, message: 'no cluster is up: run `cnlab cluster up`' };
  } catch (error) {
    // A damaged cluster record, say: reported, not a 500.
    return { healthy: false, message: (error as Error).message };
  }
}

/**
 * GET /api/health: the cluster, and whether learner terminals can start (and what was repaired);
 * 503 while either is not, for monitoring. GET /api/health/live: 200 whenever this process serves
 * HTTP, for a supervisor's liveness and readiness probes: the course pages, progress and exams
 * still work while the cluster is away, and restarting the server would not bring it back.
 */
export function registerHealthRoute(app: FastifyInstance, cluster: () => Promise<ClusterAccess | undefined>, sessions: SessionManager): void {
  app.withTypeProvider<ZodTypeProvider>().get('/api/health/live', { schema: { response: { 200: z.object({ status: z.literal('ok') }) } } }, async () => ({ status: 'ok' as const }));
  let cached: { at: number; cluster: ClusterHealth | Unhealthy } | undefined;
  const health = z.object({
    status: z.enum(['ok', 'unavailable']),
    cluster: clusterHealthAnswer,
    sessions: z.object({ healthy: z.boolean(), message: z.string().optional(), repaired: z.array(z.object({ files: z.array(z.string()), at: z.string() })) }),
  });
  app.withTypeProvider<ZodTypeProvider>().get('/api/health', { schema: { response: { 200: health, 503: health } } }, async (_request, reply) => {
    if (!cached || Date.now() - cached.at > HEALTH_CACHE_MS) cached = { at: Date.now(), cluster: await clusterHealth(cluster) };
    const terminals = await sessions.health();
    const healthy = cached.cluster.healthy && terminals.healthy;
    return reply.code(healthy ? 200 : 503).send({ status: healthy ? 'ok' : 'unavailable', cluster: cached.cluster, sessions: terminals });
  });
}

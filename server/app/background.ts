import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { ClusterLease } from '../cluster/lease.ts';
import type { SessionManager } from '../sessions/manager.ts';
import type { ProgressStore } from '../store/store.ts';
import { endWorkshops } from '../workshops/end.ts';

// The server's cluster-wide background work, run by one server at a time however many serve the
// same cluster and database: expired namespaces are deleted and ended workshops cleaned up by the
// holder of the lease. (Each server's own sessions are swept by its SessionManager, always.)

/** kube-system exists on every cluster and is where the control plane keeps its own leases. */
const LEASE = { namespace: 'kube-system', name: 'cnlab-background-work' };
// client-go's defaults for its own controllers: a holder that dies is replaced within 15 seconds.
const LEASE_DURATION_MS = 15_000;
const LEASE_RENEW_MS = 5000;

export type BackgroundWork = { stop(): Promise<void> };

export async function startBackgroundWork(parts: { kc: KubeConfig; store: ProgressStore; sessions: SessionManager; logger: Logger; everyMs: number }): Promise<BackgroundWork> {
  const { kc, store, sessions, logger, everyMs } = parts;
  const lease = new ClusterLease({
    kc,
    ...LEASE,
    identity: `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`,
    durationMs: LEASE_DURATION_MS,
    renewMs: LEASE_RENEW_MS,
    logger,
  });
  await lease.start();
  let running: Promise<void> | undefined;
  const work = async () => {
    if (!lease.holding) return;
    await sessions.sweepNamespaces().catch((error: unknown) => logger.error({ err: error }, 'deleting expired namespaces failed'));
    if (!lease.holding) return;
    await endWorkshops(store, sessions, logger).catch((error: unknown) => logger.error({ err: error }, 'cleaning up ended workshops failed'));
  };
  const timer = setInterval(() => void (running ??= work().finally(() => (running = undefined))), everyMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
      await lease.stop();
    },
  };
}

import { CoordinationV1Api, type KubeConfig, V1MicroTime, type V1Lease } from '@kubernetes/client-node';
import type { Logger } from 'pino';

// Who runs the platform's cluster-wide background work (expired-namespace sweeps, workshop ends)
// when several server processes serve one cluster: the holder of one coordination.k8s.io/v1
// Lease. A Lease rather than a PostgreSQL advisory lock because every deployment has a cluster
// but only some have PostgreSQL: one mechanism for one SQLite server and for many replicas.
// @kubernetes/client-node (1.4) has no leader election, so this is the small part of client-go's
// that is needed: acquire, renew, take over an expired lease, release on a clean stop.
//
// Expiry is judged the way client-go judges it, by the candidate's own clock: a lease is expired
// when its record has not changed for its duration since this process first saw it so, never by
// comparing another machine's renewTime with this clock (the clocks may disagree).

/** The lease record as far as deciding goes: who holds it, for how long, and its version. */
export type LeaseRecord = { holder: string | undefined; durationMs: number; version: string };

/** What a candidate does next with the record it just read. */
export type LeaseStep = 'create' | 'renew' | 'take' | 'wait';

/**
 * The timing logic, without I/O: `decide` is called with each record read (undefined: there is
 * none) and says what to do; `holding` says whether this process may run the work now.
 */
export class LeaseClock {
  readonly #identity: string;
  readonly #durationMs: number;
  readonly #now: () => number;
  /** The record last read and when this process first saw it at that version. */
  #seen: { version: string; at: number } | undefined;
  /** When this process last sent a renewal that succeeded; the lease is ours until then + duration. */
  #renewedAt: number | undefined;

  constructor(identity: string, durationMs: number, now: () => number = Date.now) {
    this.#identity = identity;
    this.#durationMs = durationMs;
    this.#now = now;
  }

  decide(record: LeaseRecord | undefined): LeaseStep {
    const now = this.#now();
    if (!record) return 'create';
    if (record.holder === this.#identity) return 'renew';
    // Someone else holds it: we do not, whatever we believed.
    this.#renewedAt = undefined;
    // Released (a clean stop): free at once.
    if (!record.holder) return 'take';
    if (this.#seen?.version !== record.version) {
      this.#seen = { version: record.version, at: now };
      return 'wait';
    }
    return now - this.#seen.at >= record.durationMs ? 'take' : 'wait';
  }

  /** Call with the time read before sending a create, renew or take that the API accepted. */
  acquired(sentAt: number): void {
    this.#renewedAt = sentAt;
  }

  /** The lease was lost (a write refused, the holder changed) or released. */
  lost(): void {
    this.#renewedAt = undefined;
  }

  /** Whether this process holds the lease now: its last accepted renewal is younger than the duration. */
  get holding(): boolean {
    return this.#renewedAt !== undefined && this.#now() - this.#renewedAt < this.#durationMs;
  }

  /** The time to read before a write, for `acquired`. */
  now(): number {
    return this.#now();
  }

  get durationMs(): number {
    return this.#durationMs;
  }
}

export type LeaseOptions = {
  kc: KubeConfig;
  namespace: string;
  name: string;
  /** Unique per process: two processes with one identity would both believe they hold it. */
  identity: string;
  /** How long a holder that stops renewing keeps the lease (others wait this long to take over). */
  durationMs: number;
  /** How often the holder renews and the others look; well under the duration. */
  renewMs: number;
  logger: Logger;
  now?: () => number;
};

const codeOf = (error: unknown) => (error as { code?: number }).code;

const recordOf = (lease: V1Lease): LeaseRecord => ({
  holder: lease.spec?.holderIdentity || undefined,
  durationMs: (lease.spec?.leaseDurationSeconds ?? 0) * 1000,
  version: String(lease.metadata?.resourceVersion),
});

/** A Lease in the cluster that this process tries to hold, renews while it does, and releases on stop. */
export class ClusterLease {
  readonly #options: LeaseOptions;
  readonly #clock: LeaseClock;
  readonly #api: CoordinationV1Api;
  #timer: NodeJS.Timeout | undefined;
  #tick: Promise<void> | undefined;
  #last: V1Lease | undefined;

  constructor(options: LeaseOptions) {
    if (options.renewMs * 2 > options.durationMs) throw new Error(`the lease renewal (${options.renewMs} ms) must be at most half its duration (${options.durationMs} ms)`);
    this.#options = options;
    this.#clock = new LeaseClock(options.identity, options.durationMs, options.now);
    this.#api = options.kc.makeApiClient(CoordinationV1Api);
  }

  /** Whether this process holds the lease now: check right before running the work. */
  get holding(): boolean {
    return this.#clock.holding;
  }

  /** Tries at once, then every renewal period; resolves after the first try. */
  async start(): Promise<void> {
    this.#timer = setInterval(() => void this.#try(), this.#options.renewMs);
    this.#timer.unref();
    await this.#try();
  }

  /** Stops renewing and, if held, releases the lease so another process takes over at once. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#tick;
    const { name, namespace, logger } = this.#options;
    if (!this.#clock.holding || !this.#last) return;
    this.#clock.lost();
    const spec = { ...this.#last.spec, holderIdentity: undefined, leaseDurationSeconds: 1, renewTime: new V1MicroTime() };
    await this.#api
      .replaceNamespacedLease({ name, namespace, body: { ...this.#last, spec } })
      .catch((error: unknown) => logger.warn({ err: error, lease: name }, 'could not release the background-work lease: another server takes it over when it expires'));
  }

  /** One look at the lease, never two at once (a slow API must not pile up requests). */
  #try(): Promise<void> {
    this.#tick ??= this.#step()
      .catch((error: unknown) => {
        // A holder that cannot renew keeps believing only until its last renewal expires.
        if (codeOf(error) === 409) this.#clock.lost();
        else this.#options.logger.warn({ err: error, lease: this.#options.name }, 'could not read or renew the background-work lease');
      })
      .finally(() => (this.#tick = undefined));
    return this.#tick;
  }

  async #step(): Promise<void> {
    const { name, namespace, identity, logger } = this.#options;
    const current = await this.#api.readNamespacedLease({ name, namespace }).catch((error: unknown) => {
      if (codeOf(error) === 404) return undefined;
      throw error;
    });
    const step = this.#clock.decide(current && recordOf(current));
    if (step === 'wait') return;
    const wasHolding = this.#clock.holding;
    const sentAt = this.#clock.now();
    const renewTime = new V1MicroTime(sentAt);
    const spec = {
      holderIdentity: identity,
      leaseDurationSeconds: Math.ceil(this.#clock.durationMs / 1000),
      renewTime,
      acquireTime: step === 'renew' ? (current?.spec?.acquireTime ?? renewTime) : renewTime,
      leaseTransitions: (current?.spec?.leaseTransitions ?? 0) + (step === 'take' ? 1 : 0),
    };
    // The resourceVersion read makes a write conditional: of two processes taking over at once,
    // the API accepts one and answers the other 409.
    this.#last =
      step === 'create'
        ? await this.#api.createNamespacedLease({ namespace, body: { metadata: { name, namespace }, spec } })
        : await this.#api.replaceNamespacedLease({ name, namespace, body: { metadata: { ...current?.metadata, name, namespace }, spec } });
    this.#clock.acquired(sentAt);
    if (!wasHolding) logger.info({ lease: name, identity }, 'this server now runs the cluster-wide background work');
  }
}

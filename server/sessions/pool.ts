import { randomBytes } from 'node:crypto';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { claimPoolNamespace, deleteNamespace, fillPoolNamespace, type LearnerNamespace, listPoolNamespaces, type NamespaceRequest, provisionNamespace } from './provision.ts';

/** A new learner (or pool) namespace's name: random, so nobody can guess another's. */
const newNamespaceName = () => `lab-${randomBytes(5).toString('hex')}`;

/**
 * Pool namespaces made at once: enough to refill between bursts, few enough that the API server
 * (two cores, shared with the learners' own requests) is not kept from other work.
 */
const FILLS_AT_ONCE = 2;

/** How long a stopping server lets its fills finish: an API server that hangs must not hold the shutdown. */
const STOP_WAIT_MS = 10_000;

/**
 * A few namespaces made in advance with everything but the learner: opening a session then takes
 * one, instead of making one, which is most of a session's API calls. Claims are conditioned
 * writes in the cluster, so any number of servers can share one pool and never hand the same
 * namespace to two learners; each server tops the pool up in the background after it takes one,
 * while no session of its own is being opened: refills wait for a burst to pass, not the reverse.
 */
export class NamespacePool {
  readonly #kc: KubeConfig;
  readonly #size: number;
  readonly #logger: Logger;
  /** Believed free, oldest first; another server may have claimed one since, whose claim then fails and the next is tried. */
  #free: string[] = [];
  #fillsUnderway = 0;
  #refilling: Promise<void> | undefined;
  /** A claim came while a refill was finishing: refill again when it ends. */
  #wanted = false;
  #stopped = false;
  /** Sessions whose namespace is being taken or made now; refills wait until there are none. */
  #opening = 0;
  #quiet: PromiseWithResolvers<void> | undefined;

  constructor(kc: KubeConfig, size: number, logger: Logger) {
    this.#kc = kc;
    this.#size = size;
    this.#logger = logger;
  }

  /** Takes up the complete pool namespaces a restart found, and fills the pool to its size. */
  start(complete: string[]): void {
    this.#free = [...complete];
    this.#topUp();
  }

  /** No more fills; those underway get a few seconds to finish (one cut off midway is cleaned up by a later start). */
  async stop(): Promise<void> {
    this.#stopped = true;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.#refilling, new Promise((resolve) => (timer = setTimeout(resolve, STOP_WAIT_MS)))]);
    clearTimeout(timer);
  }

  /**
   * A new session's namespace, with its token and the lab's setup: one from the pool, relabelled
   * for the learner, or, when the pool has none left, one made now.
   */
  async take(request: Omit<NamespaceRequest, 'namespace'>, setup: readonly KubernetesObject[]): Promise<LearnerNamespace> {
    this.#opening += 1;
    try {
      for (let namespace = this.#free.shift(); namespace !== undefined; namespace = this.#free.shift()) {
        const claimed = await claimPoolNamespace(this.#kc, { ...request, namespace }, setup);
        if (claimed) return claimed;
      }
      return await provisionNamespace(this.#kc, { ...request, namespace: newNamespaceName() }, setup);
    } finally {
      this.#opening -= 1;
      if (this.#opening === 0) {
        this.#quiet?.resolve();
        this.#quiet = undefined;
      }
      this.#topUp();
    }
  }

  /** Resolves when no session is being opened. */
  async #whenQuiet(): Promise<void> {
    if (this.#opening === 0) return;
    this.#quiet ??= Promise.withResolvers<void>();
    await this.#quiet.promise;
  }

  /** Reads the pool back from the cluster (other servers claim and fill it too) and tops it up. */
  async resync(): Promise<void> {
    if (this.#size === 0) return;
    const { unassigned } = await listPoolNamespaces(this.#kc);
    const inCluster = new Set(unassigned.map((ns) => String(ns.metadata?.name)));
    // One whose claim is under way may be listed again: the next claim of it fails its test and moves on.
    this.#free = [...this.#free.filter((name) => inCluster.has(name)), ...[...inCluster].filter((name) => !this.#free.includes(name))];
    this.#topUp();
  }

  #topUp(): void {
    if (this.#stopped || this.#size === 0) return;
    if (this.#refilling) {
      this.#wanted = true;
      return;
    }
    this.#refilling = this.#refill().finally(() => {
      this.#refilling = undefined;
      if (this.#wanted) {
        this.#wanted = false;
        this.#topUp();
      }
    });
  }

  async #refill(): Promise<void> {
    const filler = async () => {
      while (!this.#stopped && this.#free.length + this.#fillsUnderway < this.#size) {
        await this.#whenQuiet();
        if (this.#stopped || this.#free.length + this.#fillsUnderway >= this.#size) return;
        const namespace = newNamespaceName();
        this.#fillsUnderway += 1;
        try {
          await fillPoolNamespace(this.#kc, namespace);
          this.#free.push(namespace);
        } catch (error) {
          // The next claim or sweep tries again: a cluster that fails is not asked again at once.
          this.#logger.warn({ err: error, namespace }, 'could not add a namespace to the pool');
          this.#wanted = false;
          await deleteNamespace(this.#kc, namespace).catch(() => undefined);
          return;
        } finally {
          this.#fillsUnderway -= 1;
        }
      }
    };
    await Promise.all(Array.from({ length: FILLS_AT_ONCE }, filler));
  }
}

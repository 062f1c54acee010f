import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, chown, mkdir, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { KubeConfig, KubernetesObject, V1Namespace } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { stringify } from 'yaml';
import { run } from '../exec.ts';
import { type FolderLock, lockFolder } from '../folder-lock.ts';
import { metrics } from '../metrics.ts';
import { cacheDir } from '../paths.ts';
import { type Bus, createBus } from '../shared/bus.ts';
import { LABELS, ownerLabel } from '../shared/names.ts';
import { type ApiRelay, startApiRelay } from './api-relay.ts';
import { ensureLearnerAdmission } from './learner-admission.ts';
import { NamespacePool } from './pool.ts';
import {
  deleteNamespace,
  ensureClusterReadRole,
  expiryOf,
  type LearnerNamespace,
  listLearnerNamespaces,
  provisionNamespace,
  reconcile,
} from './provision.ts';
import { applySetup, wipeNamespace } from './seed.ts';
import { INSIDE, probeSandbox, type SandboxSpec, sandboxCommand, sandboxEtc } from './sandbox.ts';
import { writeSeccompFilter } from './seccomp.ts';
import { ensureToolsetTree } from './toolset.ts';
import { SessionCgroups } from './session-cgroups.ts';
import type { SessionSettings } from './settings.ts';
import { Terminal } from './terminal.ts';

export type Session = {
  id: string;
  learner: string;
  lab: string;
  namespace: string;
  expiresAt: Date;
  lastInput: number;
  terminal: Terminal;
  /** Host uid of the shell (root server) or the slot it would use. */
  slot: number;
  /** The learner has asked for a grade at least once: the solution may be shown. */
  tried: boolean;
  /** When the learner opened it: a workshop's instructor reaches only sessions opened since joining. */
  openedAt: Date;
};

/** "Full, try again": a cap was reached; nobody else's session got worse. */
export class SessionsFullError extends Error {}
/** The sandbox cannot be created here, so no shell is started at all. */
export class SandboxUnavailableError extends Error {}

export type ManagerOptions = {
  kc: KubeConfig;
  kubectl: string;
  helm: string;
  /** Per-session folders and their API relay sockets; only the server's user may enter it. */
  dir: string;
  settings: SessionSettings;
  logger: Logger;
  /** A lab's setup objects, by lab id: a session for a known lab starts with them in its namespace. */
  labSetup(lab: string): readonly KubernetesObject[] | undefined;
};

/** What happens to sessions, for whoever needs to know (the automatic grader). */
export type SessionEvents = {
  /** A shell printed: something in its namespace may have changed. */
  activity: Session;
  /** A session has ended: its shell is gone. */
  closed: Session;
};

const TERMINAL_SIZE = { cols: 100, rows: 30 };

const returnKey = (owner: string, lab: string) => `${owner}\n${lab}`;


/** Learner sessions: a namespace each, a sandboxed shell in it, and their lifecycle. */
export class SessionManager {
  readonly #options: ManagerOptions;
  readonly events: Bus<SessionEvents> = createBus();
  readonly #sessions = new Map<string, Session>();
  readonly #opening = new Map<string, Promise<Session>>();
  readonly #freeSlots: number[];
  /** Namespaces from an earlier run, by owner and lab, for their learners to return to. */
  readonly #returnable = new Map<string, V1Namespace>();
  /** Each session's own API relay, so that its connections are counted and capped per session. */
  readonly #relays = new Map<string, ApiRelay>();
  /** Namespaces made in advance, for new sessions to take instead of making one. */
  readonly #pool: NamespacePool;
  readonly #cgroups: SessionCgroups;
  #seccompFilter = '';
  #usr = '';
  #completion = '';
  #lock: FolderLock | undefined;
  #repairing: Promise<void> | undefined;
  /** Shared sandbox files found missing (removed by someone else) and made again. */
  readonly #repairs: Array<{ files: string[]; at: Date }> = [];
  #sweeper: NodeJS.Timeout | undefined;
  #sandboxProblem: string | undefined;
  readonly #api: { host: string; port: number; server: string; ca: string | undefined; tlsServerName: string };

  constructor(options: ManagerOptions) {
    this.#options = options;
    this.#cgroups = new SessionCgroups(options.dir);
    this.#pool = new NamespacePool(options.kc, options.settings.poolSize, options.logger);
    this.#freeSlots = Array.from({ length: options.settings.maxSessions }, (_, index) => index);
    const cluster = options.kc.getCurrentCluster();
    if (!cluster) throw new Error('the admin kubeconfig has no current cluster');
    const url = new URL(cluster.server);
    this.#api = {
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: Number(url.port || 443),
      server: cluster.server,
      ca: cluster.caData ?? (cluster.caFile ? readFileSync(cluster.caFile).toString('base64') : undefined),
      tlsServerName: url.hostname.replace(/^\[|\]$/g, ''),
    };
  }

  get #kubectlCompletion(): string {
    return join(this.#options.dir, 'kubectl-completion.bash');
  }

  /** Reconciles what a previous run left, prepares the sandbox (cgroups, seccomp filter, toolset) and checks it works. */
  async start(): Promise<void> {
    const { logger, kc, dir } = this.#options;
    // Another process's sessions (shells, the files they use) must not be swept away.
    this.#lock = lockFolder(dir, 'the sessions folder');
    // Shells do not survive a restart, so the homes and cgroups of the previous run's sessions go too.
    await this.#cgroups.prepare();
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await chmod(dir, 0o700);
    await ensureClusterReadRole(kc);
    const { userNamespaces } = await ensureLearnerAdmission(kc);
    logger.info({ userNamespaces }, userNamespaces ? 'learner pods run in user namespaces' : 'learner pods run without user namespaces: no real node supports them');
    const { deleted, pool, removedFromPool } = await reconcile(kc, this.#options.settings.poolSize);
    if (deleted.length > 0) logger.info({ deleted }, 'deleted expired learner namespaces left by an earlier run');
    if (removedFromPool.length > 0) logger.info({ removed: removedFromPool }, 'deleted pool namespaces that were incomplete or beyond the pool size');
    this.#pool.start(pool);
    // Learners may return to namespaces an earlier run left within their lifetime; knowing them
    // up front saves every new session a lookup.
    for (const ns of await listLearnerNamespaces(kc)) {
      const labels = ns.metadata?.labels ?? {};
      // A namespace already being deleted cannot be taken up again: its owner gets a new one.
      if (!deleted.includes(String(ns.metadata?.name)) && ns.status?.phase !== 'Terminating') this.#returnable.set(returnKey(String(labels[LABELS.owner]), String(labels[LABELS.lab])), ns);
    }
    logger.info({ cgroup: this.#cgroups.support.version }, this.#cgroups.describe(this.#options.settings.limits));
    this.#completion = (await run(this.#options.kubectl, ['completion', 'bash'])).stdout;
    await writeFile(this.#kubectlCompletion, this.#completion, { mode: 0o644 });
    const probe = await Promise.all([writeSeccompFilter(dir), ensureToolsetTree(cacheDir())]).then(
      ([filter, usr]) => {
        this.#seccompFilter = filter;
        this.#usr = usr;
        return this.#probe();
      },
      (error: Error) => ({ ok: false as const, reason: error.message }),
    );
    if (!probe.ok) {
      this.#sandboxProblem = probe.reason;
      logger.error({ reason: probe.reason }, 'the terminal sandbox cannot be created: terminals will refuse to start');
    }
    // The cluster-wide cleanup (sweepNamespaces) is scheduled by the platform, under a lease.
    this.#sweeper = setInterval(() => void this.sweepSessions().catch((error: unknown) => logger.error({ err: error }, 'session sweep failed')), this.#options.settings.sweepSeconds * 1000);
    this.#sweeper.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#sweeper);
    await this.#pool.stop();
    // Shells end with the server; namespaces stay until they expire, for their owners to return to.
    for (const session of this.#sessions.values()) session.terminal.kill();
    this.#sessions.clear();
    await Promise.all([...this.#relays.values()].map((relay) => relay.close()));
    this.#relays.clear();
    await this.#cgroups.removeAll();
    // The homes and sockets are of no use without their shells (a restart would clear them too).
    if (this.#lock) {
      await rm(this.#options.dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 }).catch((error: unknown) =>
        this.#options.logger.warn({ err: error }, 'could not remove the sessions folder'),
      );
    }
    this.#lock?.release();
  }

  /**
   * Whether new terminals can start here, and the shared sandbox files that went missing and were
   * made again; a missing one is made again first.
   */
  async health(): Promise<{ healthy: boolean; message?: string; repaired: Array<{ files: string[]; at: string }> }> {
    const repaired = () => this.#repairs.map(({ files, at }) => ({ files, at: at.toISOString() }));
    try {
      await this.#ensureSharedFiles();
    } catch (error) {
      return { healthy: false, message: `the sandbox's shared files cannot be made again: ${(error as Error).message}`, repaired: repaired() };
    }
    if (this.#sandboxProblem) return { healthy: false, message: `the terminal sandbox cannot be created on this server: ${this.#sandboxProblem}`, repaired: repaired() };
    return { healthy: true, repaired: repaired() };
  }

  /** Every sandbox binds kubectl's completion and the seccomp filter: if something removed them, they are made again. */
  #ensureSharedFiles(): Promise<void> {
    if (existsSync(this.#kubectlCompletion) && existsSync(this.#seccompFilter)) return Promise.resolve();
    this.#repairing ??= this.#repairSharedFiles().finally(() => (this.#repairing = undefined));
    return this.#repairing;
  }

  async #repairSharedFiles(): Promise<void> {
    const missing = [this.#kubectlCompletion, this.#seccompFilter].filter((file) => !existsSync(file));
    if (missing.length === 0) return;
    this.#options.logger.warn({ missing }, 'shared sandbox files were removed by something else: making them again');
    await mkdir(this.#options.dir, { recursive: true, mode: 0o700 });
    if (!existsSync(this.#kubectlCompletion)) await writeFile(this.#kubectlCompletion, this.#completion, { mode: 0o644 });
    if (!existsSync(this.#seccompFilter)) this.#seccompFilter = await writeSeccompFilter(this.#options.dir);
    this.#repairs.push({ files: missing.map((file) => basename(file)), at: new Date() });
  }

  /** The learner's session for a lab: the live one if there is one, else a new one. */
  async open(learner: string, lab: string): Promise<Session> {
    const existing = this.liveSession(learner, lab);
    if (existing) return existing;
    const key = `${learner}\n${lab}`;
    const pending = this.#opening.get(key);
    if (pending) return pending;
    const opening = this.#create(learner, lab).finally(() => this.#opening.delete(key));
    this.#opening.set(key, opening);
    return opening;
  }

  get(id: string): Session | undefined {
    return this.#sessions.get(id);
  }

  /** Marks learner input, which is what keeps a session from idling out. */
  touch(session: Session): void {
    session.lastInput = Date.now();
  }

  /** The learner's open sessions, the least recently used first: the one to end to make room. */
  sessionsOf(learner: string): Session[] {
    return [...this.#sessions.values()].filter((session) => session.learner === learner && !session.terminal.exited).sort((a, b) => a.lastInput - b.lastInput);
  }

  /** The learner's open terminal for a lab, if they have one (opened at `since` or later, if given). */
  liveSession(learner: string, lab: string, since?: Date): Session | undefined {
    return [...this.#sessions.values()].find(
      (session) => session.learner === learner && session.lab === lab && !session.terminal.exited && (!since || session.openedAt >= since),
    );
  }

  /**
   * Resets a learner's lab for someone else (their instructor), as far as `since` reaches: their
   * session opened since then if there is one, else the namespace they made since then. Returns
   * the session reset, or whether a namespace was.
   */
  async resetFor(learner: string, lab: string, since: Date): Promise<Session | 'namespace' | undefined> {
    const live = this.liveSession(learner, lab, since);
    if (live) {
      await this.reset(live);
      return live;
    }
    const owner = ownerLabel(learner);
    const namespace = (await listLearnerNamespaces(this.#options.kc)).find(
      (candidate) =>
        candidate.metadata?.labels?.[LABELS.owner] === owner &&
        candidate.metadata.labels[LABELS.lab] === lab &&
        candidate.status?.phase !== 'Terminating' &&
        // Creation times are whole seconds.
        new Date(candidate.metadata.creationTimestamp ?? 0).getTime() >= Math.floor(since.getTime() / 1000) * 1000,
    );
    if (!namespace?.metadata?.name) return undefined;
    await this.#resetNamespace(namespace.metadata.name, lab);
    return 'namespace';
  }

  /** "Reset lab": everything the learner made goes, and the lab's setup is applied again. */
  reset(session: Session): Promise<void> {
    return this.#resetNamespace(session.namespace, session.lab);
  }

  async #resetNamespace(namespace: string, lab: string): Promise<void> {
    await wipeNamespace(this.#options.kc, namespace);
    const setup = this.#options.labSetup(lab);
    if (setup) await applySetup(this.#options.kc, namespace, setup);
  }

  async close(id: string, reason: string): Promise<void> {
    const session = this.#sessions.get(id);
    if (!session) return;
    this.#sessions.delete(id);
    this.events.emit('closed', session);
    metrics.sessionsActive.set(this.#sessions.size);
    session.terminal.kill();
    this.#freeSlots.push(session.slot);
    this.#options.logger.info({ session: id, namespace: session.namespace, reason }, 'session closed');
    // Never let a leftover folder or cgroup take the server down (the next start clears both anyway).
    const removeHome = this.#release(id)
      .then(() => rm(join(this.#options.dir, id), { recursive: true, force: true, maxRetries: 5, retryDelay: 100 }))
      .catch((error: unknown) => this.#options.logger.warn({ err: error, session: id }, 'could not remove the session folder or cgroup'));
    await Promise.all([deleteNamespace(this.#options.kc, session.namespace), removeHome]);
  }

  /** A session's relay and cgroup (with anything still running in it) go. */
  async #release(id: string): Promise<void> {
    await this.#relays.get(id)?.close();
    this.#relays.delete(id);
    await this.#cgroups.remove(id);
  }

  /**
   * Ends some learners' work on some labs for good (their workshop is over): live sessions close
   * and every namespace they own for those labs is deleted. Returns the namespaces deleted.
   */
  async endLabs(learners: string[], labs: string[]): Promise<string[]> {
    for (const session of [...this.#sessions.values()]) {
      if (learners.includes(session.learner) && labs.includes(session.lab)) await this.close(session.id, 'workshop ended');
    }
    const owners = new Set(learners.map(ownerLabel));
    const deleted: string[] = [];
    // One list for all of them: a workshop's end is one sweep, not one per learner.
    for (const namespace of await listLearnerNamespaces(this.#options.kc)) {
      const labels = namespace.metadata?.labels ?? {};
      const owner = String(labels[LABELS.owner]);
      const lab = String(labels[LABELS.lab]);
      if (!owners.has(owner) || !labs.includes(lab)) continue;
      this.#returnable.delete(returnKey(owner, lab));
      if (namespace.status?.phase !== 'Terminating') await deleteNamespace(this.#options.kc, String(namespace.metadata?.name));
      deleted.push(String(namespace.metadata?.name));
    }
    return deleted;
  }

  /**
   * This process's part of the cleanup: its idle and expired sessions close, and so do those whose
   * namespace is gone or going (deleted by whichever server ran the cluster-wide part: a workshop
   * ended, an administrator removed it), so no shell outlives its namespace on any server.
   */
  async sweepSessions(now = Date.now()): Promise<void> {
    const { settings } = this.#options;
    for (const session of [...this.#sessions.values()]) {
      if (now - session.lastInput > settings.idleSeconds * 1000) await this.close(session.id, 'idle');
      else if (session.expiresAt.getTime() <= now) await this.close(session.id, 'expired');
    }
    // Only sessions registered before the list was asked for: a session is registered after its
    // namespace exists, so the list cannot have missed theirs.
    const listed = [...this.#sessions.values()];
    const present = new Set(
      (await listLearnerNamespaces(this.#options.kc)).filter((namespace) => namespace.status?.phase !== 'Terminating').map((namespace) => namespace.metadata?.name),
    );
    for (const session of listed) {
      if (!present.has(session.namespace) && this.#sessions.has(session.id)) await this.close(session.id, 'namespace deleted');
    }
    // Nor can a learner return to a namespace that is gone.
    for (const [key, namespace] of this.#returnable) if (!present.has(namespace.metadata?.name)) this.#returnable.delete(key);
    // Every server tops up the pool it shares with the others from what the cluster holds now.
    await this.#pool.resync();
  }

  /**
   * The cluster-wide part, for one server at a time (the holder of the background-work lease):
   * deletes the namespaces expired by their label. The label is the truth for every server: a
   * session expires with its namespace (both are given one time when it opens), so a namespace
   * held by a live session, on this server or another, is not expired; at most an expired
   * session's namespace goes a sweep before its own server closes it.
   */
  async sweepNamespaces(now = Date.now()): Promise<void> {
    for (const namespace of await listLearnerNamespaces(this.#options.kc)) {
      const name = String(namespace.metadata?.name);
      if (expiryOf(namespace).getTime() <= now && namespace.status?.phase !== 'Terminating') {
        const labels = namespace.metadata?.labels ?? {};
        this.#returnable.delete(returnKey(String(labels[LABELS.owner]), String(labels[LABELS.lab])));
        await deleteNamespace(this.#options.kc, name);
      }
    }
  }

  async #create(learner: string, lab: string): Promise<Session> {
    const { settings, kc, logger } = this.#options;
    if (this.#sandboxProblem) throw new SandboxUnavailableError(`the terminal sandbox cannot be created on this server: ${this.#sandboxProblem}`);
    // Sessions still being created count too, or a burst of requests would all pass the cap.
    const opening = [...this.#opening.keys()].filter((key) => key.startsWith(`${learner}\n`)).length;
    const mine = [...this.#sessions.values()].filter((session) => session.learner === learner).length + opening;
    if (mine >= settings.maxSessionsPerLearner) {
      throw new SessionsFullError(`you already have ${mine} open terminals, the most one learner may have: close one (or wait for it to idle out) and try again`);
    }
    const slot = this.#freeSlots.shift();
    if (slot === undefined) throw new SessionsFullError('all terminals on this server are in use: try again in a few minutes');

    const started = performance.now();
    const id = randomUUID();
    try {
      await this.#ensureSharedFiles();
      const owner = ownerLabel(learner);
      // A namespace the learner still owns (from before a server restart) is taken up again.
      const returning = this.#returnable.get(returnKey(owner, lab));
      this.#returnable.delete(returnKey(owner, lab));
      const kept = returning && expiryOf(returning).getTime() > Date.now() + 60_000 ? returning : undefined;
      const expiresAt = kept ? expiryOf(kept) : new Date(Date.now() + settings.ttlSeconds * 1000);
      const setup = this.#options.labSetup(lab) ?? [];
      const learnerNamespace = kept
        ? await provisionNamespace(kc, { namespace: String(kept.metadata?.name), owner, lab, expiresAt })
        : await this.#pool.take({ owner, lab, expiresAt }, setup);
      const { namespace } = learnerNamespace;
      const uid = this.#uid(slot);
      const spec = await this.#prepareSessionDir(id, learnerNamespace, uid);
      spec.cgroupProcs = await this.#cgroups.create(id, settings.limits);
      const session: Session = {
        id,
        learner,
        lab,
        namespace,
        expiresAt,
        lastInput: Date.now(),
        slot,
        tried: false,
        openedAt: new Date(),
        terminal: new Terminal(sandboxCommand(spec), TERMINAL_SIZE, {
          output: (bytes) => {
            metrics.terminalBytes.inc({ direction: 'out' }, bytes);
            this.events.emit('activity', session);
          },
          exit: (code) => {
            logger.info({ session: id, code }, 'shell exited');
            void this.close(id, 'shell exited').catch((error: unknown) => logger.error({ err: error }, 'closing a session failed'));
          },
        }),
      };
      this.#sessions.set(id, session);
      metrics.sessionsActive.set(this.#sessions.size);
      metrics.provisionSeconds.observe((performance.now() - started) / 1000);
      logger.info({ session: id, namespace, lab, adopted: Boolean(kept) }, 'session opened');
      return session;
    } catch (error) {
      await this.#release(id).catch((cleanup: unknown) => logger.warn({ err: cleanup, session: id }, 'could not remove the cgroup of a session that failed to start'));
      this.#freeSlots.push(slot);
      metrics.errors.inc({ kind: 'provision' });
      throw error;
    }
  }

  /** A root server gives each session a host uid of its own; otherwise all run as the server's. */
  #uid(slot: number): number | undefined {
    return process.getuid?.() === 0 ? this.#options.settings.uidBase + slot : undefined;
  }

  async #prepareSessionDir(id: string, learnerNamespace: LearnerNamespace, uid: number | undefined): Promise<SandboxSpec> {
    const spec = await this.#writeSandboxFiles(id, learnerNamespace.namespace, uid);
    const kubeconfig = join(spec.sessionDir, 'etc', 'kubeconfig');
    await writeFile(kubeconfig, this.#kubeconfig(learnerNamespace), { mode: 0o600 });
    if (uid !== undefined) await chown(kubeconfig, uid, uid);
    return spec;
  }

  /** A session folder: the files bound into the sandbox, the mount points of its home and /tmp, and its own API relay. */
  async #writeSandboxFiles(id: string, namespace: string, uid: number | undefined): Promise<SandboxSpec> {
    const sessionDir = join(this.#options.dir, id);
    for (const dir of ['home', 'tmp', 'etc']) await mkdir(join(sessionDir, dir), { recursive: true, mode: 0o700 });
    const { kubectl, helm, settings } = this.#options;
    const { limits } = settings;
    const etc = sandboxEtc({ namespace, uid: uid ?? 1000, limits });
    await Promise.all(Object.entries(etc).map(([name, text]) => writeFile(join(sessionDir, 'etc', name), text, { mode: 0o644 })));
    const apiSocket = join(sessionDir, 'kube-api.sock');
    this.#relays.set(id, await startApiRelay(apiSocket, this.#api, { maxConnections: limits.apiConnections }));
    return {
      sessionDir,
      namespace,
      kubectl,
      helm,
      kubectlCompletion: this.#kubectlCompletion,
      apiSocket,
      seccompFilter: this.#seccompFilter,
      usr: this.#usr,
      cgroupProcs: [],
      limits,
      ...(uid === undefined ? {} : { uid }),
    };
  }

  /** The shell's kubeconfig: the learner's own token, its namespace as default, the API through the relay. */
  #kubeconfig({ namespace, token }: LearnerNamespace): string {
    return stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'cnlab',
          cluster: {
            server: `https://127.0.0.1:${INSIDE.apiPort}`,
            'tls-server-name': this.#api.tlsServerName,
            ...(this.#api.ca ? { 'certificate-authority-data': this.#api.ca } : {}),
          },
        },
      ],
      users: [{ name: 'learner', user: { token } }],
      contexts: [{ name: namespace, context: { cluster: 'cnlab', user: 'learner', namespace } }],
      'current-context': namespace,
    });
  }

  async #probe(): Promise<{ ok: true } | { ok: false; reason: string }> {
    const dir = join(this.#options.dir, 'probe');
    try {
      const spec = await this.#writeSandboxFiles('probe', 'probe', this.#uid(0));
      await writeFile(join(dir, 'etc', 'kubeconfig'), '', { mode: 0o600 });
      return await probeSandbox(spec);
    } finally {
      await this.#release('probe');
      await rm(dir, { recursive: true, force: true });
    }
  }
}

import { mkdir, mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import type { FastifyInstance } from 'fastify';
import { loadKubeConfig } from '../cluster/health.ts';
import { ensureLearnerTools } from '../cluster/local/toolchain.ts';
import type { ClusterAccess } from '../cluster/provider.ts';
import { readRecord, writeRecord } from '../cluster/record.ts';
import { chooseProvider, type ProviderChoice } from '../cluster/select.ts';
import { type Course, loadCourse } from '../course/load.ts';
import { loadExamsWithBanks } from '../exams/load.ts';
import { PracticeExams } from '../exams/practice.ts';
import { buildApp } from '../http/app.ts';
import type { Listening } from '../http/host-guard.ts';
import { type AutoGrader, autoGrader, type GradeEvents } from '../labs/auto-grader.ts';
import { type Lab, loadLabs } from '../labs/load.ts';
import { logger } from '../log.ts';
import { stateDir } from '../paths.ts';
import { persistentSecret } from '../secrets.ts';
import { setting } from '../settings.ts';
import { SessionManager } from '../sessions/manager.ts';
import { sessionSettings } from '../sessions/settings.ts';
import type { Steps } from '../steps.ts';
import { openReplicaBus, openStore } from '../store/open.ts';
import { localBus } from '../store/replica-bus.ts';
import type { ProgressStore } from '../store/store.ts';
import { siteDir } from './site.ts';

// The composition root: the one module that knows every part of the platform and how they fit.
// Everything below it is handed what it needs; nothing below it reaches up or sideways for it.
//
//   cluster access ─> store (and the events every server hears) ─> labs ─> sessions ─> auto-grader ─> HTTP app (optional)
//   and, for the server, the cluster-wide background work under a lease (background.ts)

/** The cluster for `up`, `start` and `labs test`: brought up (or confirmed up) and recorded. */
export async function clusterUp(choice: ProviderChoice, steps: Steps): Promise<ClusterAccess> {
  const provider = await chooseProvider(choice, steps);
  const access = await provider.up(steps);
  await writeRecord(access);
  return access;
}

/** Every lab by id, loaded and validated once. */
export async function labsById(): Promise<ReadonlyMap<string, Lab>> {
  return new Map((await loadLabs()).map((lab) => [lab.definition.id, lab]));
}

/** The bearer token of POST /api/grade: CNLAB_GRADING_TOKEN, else one generated once and kept in the state folder. */
export const gradingToken = () => persistentSecret(join(stateDir(), 'grading-token'), setting('CNLAB_GRADING_TOKEN'));

/** The bearer token of GET /metrics: CNLAB_METRICS_TOKEN, else one generated once and kept in the state folder. */
export const metricsToken = () => persistentSecret(join(stateDir(), 'metrics-token'), setting('CNLAB_METRICS_TOKEN'));

/** The learner cookie's signing key: CNLAB_COOKIE_SECRET, else one generated once and kept in the state folder. */
const cookieSecret = () => persistentSecret(join(stateDir(), 'cookie-secret'), setting('CNLAB_COOKIE_SECRET'));

export type Platform = {
  kc: KubeConfig;
  store: ProgressStore;
  labs: ReadonlyMap<string, Lab>;
  sessions: SessionManager;
  grader: AutoGrader;
  /** The web server, when asked for (`start`); not listening yet. */
  http: FastifyInstance | undefined;
  /** Ends the shells, the web server and the store; the cluster and the namespaces stay. */
  stop(): Promise<void>;
};

/**
 * The platform on a cluster, as the server and `cnlab labs test` both run it: the store, the
 * labs, learner sessions (reconciled, sandbox checked), the auto-grader, and, given where it will
 * listen (`http`), the web server over all of them.
 */
export async function buildPlatform(access: ClusterAccess, steps: Steps, options: { http?: Listening }): Promise<Platform> {
  // Learner shells run the kubectl and helm the local provider builds, whichever provider serves
  // the API; nothing else of the toolchain, so a server on another cluster needs no control plane.
  const toolchain = await ensureLearnerTools(steps);
  const kc = loadKubeConfig(access);
  const store = await openStore();
  const labs = await labsById();
  const settings = sessionSettings();
  await mkdir(stateDir(), { recursive: true, mode: 0o700 });
  const sessions = new SessionManager({
    kc,
    kubectl: toolchain.kubectl,
    helm: toolchain.helm,
    // The server's sessions folder is its own; a command that only proves labs gets another, so
    // it never touches a running server's shells.
    dir: options.http ? join(stateDir(), 'sessions') : await mkdtemp(join(stateDir(), 'sessions-')),
    settings,
    logger,
    labSetup: (lab) => labs.get(lab)?.setup,
  });
  // The server's grades reach learners' sockets on every server of its database; a command that
  // only proves labs has no sockets to reach.
  const gradeEvents = options.http ? await openReplicaBus<GradeEvents>(logger) : localBus<GradeEvents>();
  const grader = autoGrader(kc, labs, store, logger, sessions.events, gradeEvents);
  await steps.step('prepare learner sessions (reconcile namespaces, check the sandbox)', () => sessions.start());
  const http = options.http ? await webServer(options.http, { kc, store, labs, sessions, grader }) : undefined;
  return {
    kc,
    store,
    labs,
    sessions,
    grader,
    http,
    async stop() {
      await Promise.all([http?.close(), sessions.stop()]);
      await gradeEvents.close();
      await store.close();
    },
  };
}

/** The practice exams with their banks, their attempts kept in `store`. */
export async function practiceExams(course: Course, store: ProgressStore): Promise<PracticeExams> {
  return new PracticeExams({ ...(await loadExamsWithBanks(course)), domains: course.curriculum.domains, store: store.exams });
}

/** The web server over the platform's parts, configured from the settings. */
async function webServer(listening: Listening, parts: Pick<Platform, 'kc' | 'store' | 'labs' | 'sessions' | 'grader'>): Promise<FastifyInstance> {
  const course = await loadCourse();
  return buildApp({
    ...parts,
    siteDir,
    // The record is read on every health check so a `cnlab cluster down` is reported at once.
    cluster: readRecord,
    logger,
    quizzes: course.quizzes,
    lessons: new Set(course.lessons.keys()),
    exams: await practiceExams(course, parts.store),
    cookieSecret: await cookieSecret(),
    gradingToken: await gradingToken(),
    metricsToken: await metricsToken(),
    listening,
    publicUrl: setting('CNLAB_PUBLIC_URL'),
    trustProxy: setting('CNLAB_TRUST_PROXY'),
    sessionStarts: {
      perLearner: setting('CNLAB_SESSION_STARTS_PER_LEARNER'),
      perAddress: setting('CNLAB_SESSION_STARTS_PER_ADDRESS'),
      overall: setting('CNLAB_SESSION_STARTS'),
    },
  });
}

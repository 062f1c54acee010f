import fastifyStatic from '@fastify/static';
import fastifyWebsocket from '@fastify/websocket';
import type { KubeConfig } from '@kubernetes/client-node';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { ClusterAccess } from '../cluster/provider.ts';
import type { Quiz } from '../course/schema.ts';
import type { Lab } from '../labs/load.ts';
import type { AutoGrader } from '../labs/auto-grader.ts';
import { registry } from '../metrics.ts';
import type { SessionManager } from '../sessions/manager.ts';
import type { ProgressStore } from '../store/store.ts';
import type { PracticeExams } from '../exams/practice.ts';
import { registerExamRoutes } from './exam-routes.ts';
import { bearerMatches } from './bearer.ts';
import { registerGradingApi } from './grading-api.ts';
import { registerHealthRoute } from './health-route.ts';
import { hostAllowList, type Listening, registerHostGuard } from './host-guard.ts';
import { registerIdentity } from './identity.ts';
import { registerLabRoutes } from './lab-routes.ts';
import { oneAtATime } from './one-at-a-time.ts';
import { registerOpenApi } from './openapi.ts';
import { registerProgressRoutes } from './progress-routes.ts';
import { type SessionStartLimits, sessionStartLimit } from './rate-limits.ts';
import { registerSessionRoutes } from './session-routes.ts';
import { registerWorkshopRoutes } from './workshop-routes.ts';
import { MAX_FRAME_BYTES } from '../shared/terminal-protocol.ts';
import { registerTerminalSocket } from './terminal-socket.ts';

export type AppOptions = {
  siteDir: string;
  /** The cluster to report on; undefined when none has been brought up. */
  cluster: () => Promise<ClusterAccess | undefined>;
  logger: FastifyBaseLogger;
  sessions: SessionManager;
  grader: AutoGrader;
  labs: ReadonlyMap<string, Lab>;
  /** The question bank by lesson, to score quiz answers. */
  quizzes: ReadonlyMap<string, Quiz>;
  exams: PracticeExams;
  /** Every lesson's slug. */
  lessons: ReadonlySet<string>;
  store: ProgressStore;
  cookieSecret: string;
  /** The admin view of the cluster, for the grading API. */
  kc: KubeConfig;
  gradingToken: string;
  /** The bearer token of GET /metrics. */
  metricsToken: string;
  /** Where the server listens: the names it answers to start from it. */
  listening: Listening;
  /** CNLAB_PUBLIC_URL: the address learners use, when it is not a loopback one. */
  publicUrl: string | undefined;
  /** CNLAB_TRUST_PROXY, as Fastify's trustProxy. */
  trustProxy: boolean | number | string[];
  sessionStarts: SessionStartLimits;
};

// Every request body is a small JSON document; nothing an anonymous client sends may be big.
const BODY_LIMIT_BYTES = 64 * 1024;

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: options.logger, disableRequestLogging: true, trustProxy: options.trustProxy, bodyLimit: BODY_LIMIT_BYTES });
  // Before any route: routes are validated by their schemas and described from them.
  await registerOpenApi(app);
  // The WebSocket plugin first: its hooks close the socket of an upgrade the guard refuses.
  await app.register(fastifyWebsocket, { options: { maxPayload: MAX_FRAME_BYTES } });
  registerHostGuard(app, hostAllowList(options.listening, options.publicUrl));
  await registerIdentity(app, options.cookieSecret);
  registerSessionRoutes(app, options.sessions, options.labs, await sessionStartLimit(app, options.sessionStarts));
  registerTerminalSocket(app, options.sessions, options.grader.events);
  // One grade or reset per lab at a time, whoever asks: the learner or their instructor.
  const inFlight = oneAtATime();
  registerLabRoutes(app, options.sessions, options.grader, options.labs, inFlight);
  registerProgressRoutes(app, options.store, options.sessions, options.labs, options.quizzes, options.lessons);
  registerGradingApi(app, options.kc, options.labs, options.gradingToken);
  registerWorkshopRoutes(app, { store: options.store, labs: options.labs, exams: options.exams, sessions: options.sessions, grader: options.grader, inFlight });
  registerExamRoutes(app, options.exams, options.store);
  // Metrics name sessions, errors and load: for the operator's Prometheus, not the internet.
  app.get('/metrics', async (request, reply) => {
    if (!bearerMatches(request.headers.authorization, options.metricsToken)) {
      return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'the metrics token is required (Authorization: Bearer <token>; `cnlab metrics-token` prints it)' });
    }
    return reply.type(registry.contentType).send(await registry.metrics());
  });

  registerHealthRoute(app, options.cluster, options.sessions);

  await app.register(fastifyStatic, { root: options.siteDir, wildcard: false });
  app.setNotFoundHandler((request, reply) => {
    if (request.url.startsWith('/api/')) return reply.code(404).send({ error: `no API route ${request.method} ${request.url}` });
    return reply.code(404).sendFile('404.html');
  });
  return app;
}

// The progress routes over a real PostgreSQL that stops for a moment: a 503 in words, never a
// stack trace or a hang, and answers again once the database is back, without a restart. (The
// replicas test does the same against the whole platform on a cluster.)
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import Fastify, { type FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { SessionManager } from '../sessions/manager.ts';
import { sessionSettings } from '../sessions/settings.ts';
import { postgresConnection } from '../store/postgres.ts';
import { SqlProgressStore } from '../store/sql-store.ts';
import type { ProgressStore } from '../store/store.ts';
import { startPostgres, type TestPostgres } from '../testing/postgres.ts';
import { registerIdentity } from './identity.ts';
import { registerOpenApi } from './openapi.ts';
import { registerProgressRoutes } from './progress-routes.ts';

let postgres: TestPostgres;
let store: ProgressStore;
let app: FastifyInstance;

before(async () => {
  postgres = await startPostgres();
  store = await SqlProgressStore.open(postgresConnection(postgres.url));
  const logger = pino({ level: 'silent' });
  // The progress routes never reach the cluster; the manager is only their way to sessions.
  const kc = new KubeConfig();
  kc.loadFromOptions({ clusters: [{ name: 'none', server: 'https://127.0.0.1:9' }], users: [{ name: 'none' }], contexts: [{ name: 'none', cluster: 'none', user: 'none' }], currentContext: 'none' });
  const sessions = new SessionManager({ kc, kubectl: 'kubectl', helm: 'helm', dir: '/nonexistent', settings: sessionSettings({}), logger, labSetup: () => undefined });
  app = Fastify({ logger: false });
  await registerOpenApi(app);
  await registerIdentity(app, 'a test cookie secret that is long enough');
  registerProgressRoutes(app, store, sessions, new Map(), new Map(), new Set(['fundamentals/architecture']));
});

after(async () => {
  await app?.close();
  await store?.close();
  await postgres?.stop();
});

const read = () => app.inject({ method: 'GET', url: '/api/progress' });
const write = () => app.inject({ method: 'POST', url: '/api/progress/lessons', payload: { lesson: 'fundamentals/architecture' } });

test('PostgreSQL stopped under a running server: 503 with words at once; started again: answered again', async () => {
  assert.equal((await read()).statusCode, 200);
  await postgres.stop();
  try {
    const started = Date.now();
    for (const answer of [await read(), await write()]) {
      assert.equal(answer.statusCode, 503);
      assert.equal(answer.headers['retry-after'], '5');
      const body = answer.json<{ error: string }>();
      assert.match(body.error, /^the progress database is not answering right now, so nothing was read or recorded: try again in a moment$/);
      assert.doesNotMatch(answer.body, /at .*\.ts:\d+|ECONNREFUSED|ENOENT/, 'no stack trace or driver detail');
    }
    assert.ok(Date.now() - started < 15_000, 'answered, not left hanging');
  } finally {
    await postgres.start();
  }
  const deadline = Date.now() + 30_000;
  while ((await read()).statusCode !== 200) {
    if (Date.now() > deadline) throw new Error('the routes did not recover after the database came back');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.equal((await write()).statusCode, 204);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import Fastify from 'fastify';
import { ensureLearner, registerIdentity } from './identity.ts';
import { sessionStartLimit } from './rate-limits.ts';

// The limiter in front of POST /api/sessions, on a bare Fastify with the real identity cookies
// and a client address taken from X-Forwarded-For (trustProxy), so one test can be many networks.
async function server(limits = { perLearner: 10, perAddress: 60, overall: 240 }) {
  const app = Fastify({ trustProxy: true });
  await registerIdentity(app, 'rate-limit-test-secret');
  const limit = await sessionStartLimit(app, limits);
  app.get('/api/me', async (request, reply) => ({ id: ensureLearner(request, reply).id }));
  app.post('/api/sessions', { onRequest: limit }, async (_request, reply) => reply.code(201).send({}));
  const learner = async (address: string) => {
    const response = await app.inject({ method: 'GET', url: '/api/me', headers: { 'x-forwarded-for': address } });
    const cookie = String(response.headers['set-cookie']).split(';')[0] ?? '';
    return () => app.inject({ method: 'POST', url: '/api/sessions', headers: { cookie, 'x-forwarded-for': address } });
  };
  return { app, learner };
}

test('a classroom of 50 behind one NAT address all get their terminals', async () => {
  const { app, learner } = await server();
  const classroom = await Promise.all(Array.from({ length: 50 }, () => learner('198.51.100.7')));
  const answers = await Promise.all(classroom.map((open) => open()));
  assert.deepEqual(answers.map((answer) => answer.statusCode), Array(50).fill(201));
  await app.close();
});

test('fresh cookies from one address beyond its ceiling answer 429 with Retry-After; other addresses go on', async () => {
  const { app, learner } = await server();
  const flood = await Promise.all(Array.from({ length: 80 }, () => learner('203.0.113.9')));
  const answers = await Promise.all(flood.map((open) => open()));
  assert.equal(answers.filter((answer) => answer.statusCode === 201).length, 60);
  const refused = answers.filter((answer) => answer.statusCode === 429);
  assert.equal(refused.length, 20);
  for (const answer of refused) {
    assert.ok(Number(answer.headers['retry-after']) >= 1, 'Retry-After in seconds');
    assert.match(answer.json<{ error: string }>().error, /from your network address .* try again in \d+ s/);
  }
  assert.equal((await (await learner('203.0.113.10'))()).statusCode, 201);
  await app.close();
});

test("one learner's burst is refused without using up their classmates' share", async () => {
  const { app, learner } = await server();
  const greedy = await learner('192.0.2.1');
  const answers = await Promise.all(Array.from({ length: 30 }, () => greedy()));
  assert.equal(answers.filter((answer) => answer.statusCode === 201).length, 10);
  assert.match(answers.find((answer) => answer.statusCode === 429)?.json<{ error: string }>().error ?? '', /you have started 10 terminals in the last minute/);
  const classmates = await Promise.all(Array.from({ length: 50 }, () => learner('192.0.2.1')));
  assert.ok((await Promise.all(classmates.map((open) => open()))).every((answer) => answer.statusCode === 201));
  await app.close();
});

test('the whole server has a ceiling, whatever the addresses', async () => {
  const { app, learner } = await server({ perLearner: 10, perAddress: 60, overall: 30 });
  const everywhere = await Promise.all(Array.from({ length: 40 }, (_, index) => learner(`10.0.${index}.1`)));
  const answers = await Promise.all(everywhere.map((open) => open()));
  assert.equal(answers.filter((answer) => answer.statusCode === 201).length, 30);
  assert.match(answers.find((answer) => answer.statusCode === 429)?.json<{ error: string }>().error ?? '', /this server has started 30 terminals/);
  await app.close();
});

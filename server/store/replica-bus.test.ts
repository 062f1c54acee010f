// Events between server processes over one real PostgreSQL: what one server emits, every
// server's listeners receive, in order, whatever its size, and again after the database restarts.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import type { GradeEvents } from '../labs/auto-grader.ts';
import type { LabResult } from '../shared/grades.ts';
import { startPostgres, type TestPostgres } from '../testing/postgres.ts';
import { postgresConnection } from './postgres.ts';
import { localBus, postgresBus, type ReplicaBus } from './replica-bus.ts';
import { SqlProgressStore } from './sql-store.ts';

const logger = pino({ level: 'silent' });
let postgres: TestPostgres;
const buses: Array<ReplicaBus<GradeEvents>> = [];

before(async () => {
  postgres = await startPostgres();
  // The table the events wait in is part of the store's schema.
  await (await SqlProgressStore.open(postgresConnection(postgres.url))).close();
});
after(async () => {
  for (const bus of buses) await bus.close();
  await postgres?.stop();
});

async function bus(): Promise<ReplicaBus<GradeEvents>> {
  const opened = await postgresBus<GradeEvents>(postgres.url, logger);
  buses.push(opened);
  return opened;
}

/** The payloads of `event` the bus has delivered so far, as they arrive. */
function heard<K extends keyof GradeEvents>(on: ReplicaBus<GradeEvents>, event: K): Array<GradeEvents[K]> {
  const seen: Array<GradeEvents[K]> = [];
  on.on(event, (payload) => seen.push(payload));
  return seen;
}

async function until(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const result = (tasks: number, message = 'the deployment web has 1 ready replica, 3 wanted'): LabResult => ({
  lab: 'deployment-rollout',
  namespace: 'lab-0123456789',
  passed: false,
  gradedAt: new Date().toISOString(),
  tasks: Array.from({ length: tasks }, (_, index) => ({ id: `task-${index}`, title: `Task ${index}`, passed: false, checks: [{ ok: false, message }] })),
});

test("a grade emitted on one server reaches the other server's listeners, and its own", async () => {
  const [a, b] = [await bus(), await bus()];
  const onA = heard(a, 'graded');
  const onB = heard(b, 'graded');
  const event = { session: 'session-on-a', result: result(3) };
  b.emit('graded', event);
  await until('both servers to hear the grade', () => onA.length === 1 && onB.length === 1);
  assert.deepEqual(onA[0], event);
  assert.deepEqual(onB[0], event);
});

test('a result larger than a NOTIFY payload may be (8000 bytes) arrives whole', async () => {
  const [a, b] = [await bus(), await bus()];
  const onA = heard(a, 'graded');
  const big = { session: 'big', result: result(40, 'x'.repeat(400)) };
  assert.ok(JSON.stringify(big).length > 8000, 'the test result is over the limit');
  b.emit('graded', big);
  await until('the big grade', () => onA.length === 1);
  assert.deepEqual(onA[0], big);
});

test('events from one server arrive in the order it emitted them', async () => {
  const [a, b] = [await bus(), await bus()];
  const onA = heard(a, 'ungraded');
  for (let index = 0; index < 30; index += 1) b.emit('ungraded', { session: 's', message: String(index) });
  await until('all thirty events', () => onA.length === 30);
  assert.deepEqual(onA.map((event) => event.message), Array.from({ length: 30 }, (_, index) => String(index)));
});

test('after the database was down, the listening connection comes back by itself and events flow again', async () => {
  const [a, b] = [await bus(), await bus()];
  const onA = heard(a, 'ungraded');
  await postgres.stop();
  await postgres.start();
  // Emitted until one arrives: events sent while a listener is still reconnecting are missed.
  const deadline = Date.now() + 30_000;
  while (onA.length === 0) {
    if (Date.now() > deadline) throw new Error('no event arrived after the restart');
    b.emit('ungraded', { session: 's', message: 'after the restart' });
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  assert.equal(onA[0]?.message, 'after the restart');
});

test('with SQLite (one server) the bus is the in-process one: listeners hear emits at once', async () => {
  const local = localBus<GradeEvents>();
  const seen = heard(local, 'ungraded');
  local.emit('ungraded', { session: 's', message: 'here' });
  assert.deepEqual(seen, [{ session: 's', message: 'here' }]);
  await local.close();
});

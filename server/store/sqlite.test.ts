// The embedded progress store on a real SQLite file.
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import { SqliteStore } from './sqlite.ts';
import type { CheckRun } from './store.ts';

const file = async () => join(await mkdtemp(join(tmpdir(), 'cnlab-store-')), 'cnlab.db');
const run = (learner: string, task: string, passed: boolean, at = new Date()): CheckRun => ({
  learner,
  lab: 'deployment-rollout',
  task,
  passed,
  messages: passed ? [] : [`${task} is not done`],
  trigger: 'learner',
  at,
});

test('a new file gets the schema once, in WAL mode, readable by its owner only', async () => {
  const path = await file();
  await new SqliteStore(path).close();
  await new SqliteStore(path).close();
  const db = new DatabaseSync(path);
  assert.deepEqual(db.prepare('SELECT version FROM schema_migrations').all().map((row) => row.version), [1]);
  assert.equal(db.prepare('PRAGMA journal_mode').get()?.journal_mode, 'wal');
  db.close();
  assert.equal(statSync(path).mode & 0o777, 0o600);
});

test('gradings add up to progress, and a lab whose tasks all pass is completed', async () => {
  const store = new SqliteStore(await file());
  await store.recordGrading([run('ada', 'create', false), run('ada', 'scale', false)]);
  await store.recordGrading([run('ada', 'create', true), run('ada', 'scale', false)]);
  await store.recordHint('ada', 'deployment-rollout', 'scale', 0);
  await store.recordHint('ada', 'deployment-rollout', 'scale', 0);
  let progress = await store.progress('ada');
  assert.deepEqual(progress.labs, [{ lab: 'deployment-rollout', tasksPassed: ['create'], completedAt: null, checks: 4, hintsUsed: 1 }]);
  await store.recordGrading([run('ada', 'create', true), run('ada', 'scale', true)]);
  progress = await store.progress('ada');
  assert.deepEqual(progress.labs[0]?.tasksPassed, ['create', 'scale']);
  assert.ok(progress.labs[0]?.completedAt);
  assert.deepEqual(await store.progress('grace'), { labs: [], lessonsRead: [] });
  await store.close();
});

test('progress survives closing and reopening the file (a server restart)', async () => {
  const path = await file();
  const before = new SqliteStore(path);
  await before.recordGrading([run('ada', 'create', true)]);
  await before.recordLessonRead('ada', 'fundamentals/architecture');
  await before.close();
  const after = new SqliteStore(path);
  const progress = await after.progress('ada');
  assert.deepEqual(progress.labs.map(({ lab, tasksPassed, checks }) => ({ lab, tasksPassed, checks })), [{ lab: 'deployment-rollout', tasksPassed: ['create'], checks: 1 }]);
  assert.deepEqual(progress.lessonsRead, ['fundamentals/architecture']);
  await after.close();
});

test('many writers at once lose nothing', async () => {
  const store = new SqliteStore(await file());
  await Promise.all(Array.from({ length: 200 }, (_, i) => store.recordGrading([run(`learner-${i % 20}`, `task-${i % 7}`, i % 3 === 0)])));
  const totals = await Promise.all(Array.from({ length: 20 }, async (_, i) => (await store.progress(`learner-${i}`)).labs[0]?.checks ?? 0));
  assert.equal(totals.reduce((sum, n) => sum + n, 0), 200);
  await store.close();
});

test('export holds everything about a learner, and delete forgets it all', async () => {
  const store = new SqliteStore(await file());
  await store.recordGrading([run('ada', 'create', false)]);
  await store.recordHint('ada', 'deployment-rollout', 'create', 1);
  await store.recordLessonRead('ada', 'fundamentals/architecture');
  await store.recordGrading([run('grace', 'create', true)]);
  const exported = await store.exportLearner('ada');
  assert.equal(exported.learner, 'ada');
  assert.deepEqual(exported.checkRuns.map(({ task, passed, messages, trigger }) => ({ task, passed, messages, trigger })), [{ task: 'create', passed: false, messages: ['create is not done'], trigger: 'learner' }]);
  assert.deepEqual(exported.hintsUsed.map(({ task, hint }) => ({ task, hint })), [{ task: 'create', hint: 1 }]);
  assert.deepEqual(exported.lessonsRead.map(({ lesson }) => lesson), ['fundamentals/architecture']);
  await store.deleteLearner('ada');
  const gone = await store.exportLearner('ada');
  assert.deepEqual([gone.checkRuns, gone.hintsUsed, gone.labsCompleted, gone.lessonsRead], [[], [], [], []]);
  assert.equal((await store.progress('grace')).labs.length, 1, "another learner's progress stays");
  await store.close();
});

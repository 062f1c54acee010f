// The progress store, run against every backend: a real SQLite file and a real PostgreSQL server.
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, test } from 'node:test';
import { startPostgres, type TestPostgres } from '../testing/postgres.ts';
import { migrations } from './migrations.ts';
import { StoreUnavailableError } from './connection.ts';
import { postgresConnection } from './postgres.ts';
import { ANSWERS_KEPT, CHECKS_KEPT, SqlProgressStore } from './sql-store.ts';
import { sqliteConnection } from './sqlite.ts';
import { createWorkshop } from '../workshops/workshops.ts';
import type { CheckRun, ProgressStore } from './store.ts';

const run = (learner: string, task: string, passed: boolean): CheckRun => ({
  learner,
  lab: 'deployment-rollout',
  task,
  passed,
  messages: passed ? [] : [`${task} is not done`],
  trigger: 'learner',
  at: new Date(),
});

let postgres: TestPostgres;
before(async () => {
  postgres = await startPostgres();
});
after(async () => {
  await postgres?.stop();
});

let databases = 0;
const backends: Array<[string, () => Promise<{ open(): Promise<ProgressStore> }>]> = [
  ['sqlite', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'cnlab-store-')), 'cnlab.db');
    return { open: () => SqlProgressStore.open(sqliteConnection(file)) };
  }],
  ['postgresql', async () => {
    // A schema of its own per test, so tests never see each other's rows.
    const schema = `t${(databases += 1)}`;
    const admin = postgresConnection(postgres.url);
    await admin.transaction(({ execute }) => execute(`CREATE SCHEMA ${schema}`));
    await admin.close();
    return { open: () => SqlProgressStore.open(postgresConnection(`${postgres.url}&options=${encodeURIComponent(`-c search_path=${schema}`)}`)) };
  }],
];

for (const [name, database] of backends) {
  describe(name, () => {
    test('gradings add up to progress, and a lab whose tasks all pass is completed', async () => {
      const store = await (await database()).open();
      await store.recordGrading([run('ada', 'create', false), run('ada', 'scale', false)]);
      await store.recordGrading([run('ada', 'create', true), run('ada', 'scale', false)]);
      await store.recordHint('ada', 'deployment-rollout', 'scale', 0);
      await store.recordHint('ada', 'deployment-rollout', 'scale', 0);
      assert.deepEqual((await store.progress('ada')).labs, [{ lab: 'deployment-rollout', tasksPassed: ['create'], completedAt: null, checks: 4, hintsUsed: 1 }]);
      await store.recordGrading([run('ada', 'create', true), run('ada', 'scale', true)]);
      const progress = await store.progress('ada');
      assert.deepEqual(progress.labs[0]?.tasksPassed, ['create', 'scale']);
      assert.ok(progress.labs[0]?.completedAt);
      assert.deepEqual(await store.progress('grace'), { labs: [], lessonsRead: [], quizzes: [] });
      await store.close();
    });

    test('progress survives closing and reopening (a restart), and the schema is applied once', async () => {
      const db = await database();
      // Several server instances starting together on one PostgreSQL apply the schema once.
      // (SQLite serves one server process; its one connection queues every transaction.)
      const [before, twin] = name === 'postgresql' ? await Promise.all([db.open(), db.open()]) : [await db.open(), undefined];
      await twin?.close();
      await before.recordGrading([run('ada', 'create', true), run('ada', 'scale', false)]);
      await before.recordLessonRead('ada', 'fundamentals/architecture');
      await before.close();
      const after = await db.open();
      const progress = await after.progress('ada');
      assert.deepEqual(progress.labs.map(({ lab, tasksPassed, checks }) => ({ lab, tasksPassed, checks })), [{ lab: 'deployment-rollout', tasksPassed: ['create'], checks: 2 }]);
      assert.deepEqual(progress.lessonsRead, ['fundamentals/architecture']);
      await after.close();
    });

    test('many writers at once lose nothing', async () => {
      const store = await (await database()).open();
      await Promise.all(Array.from({ length: 200 }, (_, i) => store.recordGrading([run(`learner-${i % 20}`, `task-${i % 7}`, i % 3 === 0), run(`learner-${i % 20}`, 'other', true)])));
      const totals = await Promise.all(Array.from({ length: 20 }, async (_, i) => (await store.progress(`learner-${i}`)).labs[0]?.checks ?? 0));
      assert.equal(totals.reduce((sum, n) => sum + n, 0), 400);
      await store.close();
    });

    test('a workshop takes members up to its capacity, each once, even when they join at once', async () => {
      const store = await (await database()).open();
      const { workshop } = await createWorkshop(store, { title: 'Friday', labs: ['service-endpoints'], capacity: 3, startsAt: new Date(), endsAt: new Date(Date.now() + 3600_000) });
      assert.match(workshop.code, /^[A-HJ-NP-Z2-9]{6}$/);
      assert.deepEqual((await store.workshopByCode(workshop.code))?.labs, ['service-endpoints']);
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => store.joinWorkshop(workshop, `learner-${i}`, `Learner ${i}`)));
      assert.equal(results.filter((result) => result === 'joined').length, 3);
      assert.equal(results.filter((result) => result === 'full').length, 7);
      const member = `learner-${results.indexOf('joined')}`;
      assert.equal(await store.joinWorkshop(workshop, member, 'New name'), 'already a member');
      assert.deepEqual((await store.exportLearner(member)).workshops.map(({ code, name }) => ({ code, name })), [{ code: workshop.code, name: 'New name' }]);

      // The instructor's rows: what passed, what is still failing, since joining.
      await store.recordGrading([{ ...run(member, 'deploy', true), lab: 'service-endpoints' }, { ...run(member, 'expose', false), lab: 'service-endpoints' }]);
      await store.recordGrading([{ ...run(member, 'create', true), lab: 'not-in-this-workshop' }]);
      const [row] = (await store.workshopMembers(workshop)).filter((entry) => entry.learner === member);
      assert.deepEqual({ name: row?.name, passed: row?.passed, failing: row?.failing }, { name: 'New name', passed: ['service-endpoints/deploy'], failing: ['service-endpoints/expose'] });
      assert.ok((row?.lastProgress.getTime() ?? 0) >= (row?.joinedAt.getTime() ?? Infinity));
      // The grid shows where the learner is now: a later failing check (a reset) undoes the tick.
      await new Promise((resolve) => setTimeout(resolve, 5));
      await store.recordGrading([{ ...run(member, 'deploy', false), lab: 'service-endpoints', at: new Date() }]);
      const [again] = (await store.workshopMembers(workshop)).filter((entry) => entry.learner === member);
      assert.deepEqual({ passed: again?.passed, failing: again?.failing.sort() }, { passed: [], failing: ['service-endpoints/deploy', 'service-endpoints/expose'] });
      await store.close();
    });

    test('an ended workshop is handed out for cleanup until it is marked cleaned', async () => {
      const store = await (await database()).open();
      const hour = 3600_000;
      const { workshop: ended } = await createWorkshop(store, { title: 'Done', labs: ['service-endpoints'], capacity: 5, startsAt: new Date(Date.now() - 2 * hour), endsAt: new Date(Date.now() - hour) });
      await createWorkshop(store, { title: 'Running', labs: ['service-endpoints'], capacity: 5, startsAt: new Date(), endsAt: new Date(Date.now() + hour) });
      assert.deepEqual((await store.endedWorkshops(new Date())).map((workshop) => workshop.title).filter((title) => ['Done', 'Running'].includes(title)), ['Done']);
      await store.markWorkshopCleaned(ended, new Date());
      assert.ok(!(await store.endedWorkshops(new Date())).some((workshop) => workshop.id === ended.id));
      await store.close();
    });

    test('quiz answers: every attempt is kept, the first answer to each question counts', async () => {
      const store = await (await database()).open();
      const answer = (question: string, correct: boolean) => ({ learner: 'ada', lesson: 'fundamentals/pods', question, choices: [correct ? 1 : 0], correct });
      assert.deepEqual(await store.recordQuizAnswer(answer('pods-network', false)), { correct: false, choices: [0], counted: true });
      await new Promise((resolve) => setTimeout(resolve, 5));
      // Answering again after seeing the key changes nothing: the first answer is the one that counts.
      assert.deepEqual(await store.recordQuizAnswer(answer('pods-network', true)), { correct: false, choices: [0], counted: false });
      await store.recordQuizAnswer(answer('pods-probes', true));
      assert.deepEqual((await store.progress('ada')).quizzes, [{ lesson: 'fundamentals/pods', answered: 2, correct: 1 }]);
      assert.deepEqual([...(await store.quizAnswers('ada', 'fundamentals/pods'))], [
        ['pods-network', { correct: false, choices: [0] }],
        ['pods-probes', { correct: true, choices: [1] }],
      ]);
      assert.deepEqual((await store.exportLearner('ada')).quizAnswers.map(({ question, correct, choices }) => ({ question, correct, choices })), [
        { question: 'pods-network', correct: false, choices: [0] },
        { question: 'pods-network', correct: true, choices: [1] },
        { question: 'pods-probes', correct: true, choices: [1] },
      ]);
      await store.close();
    });

    test("the lab page's state: each task's latest check, when it last passed, hints opened, completion", async () => {
      const store = await (await database()).open();
      const at = (ms: number) => new Date(Date.UTC(2026, 11, 1, 14, 0, 0) + ms);
      assert.deepEqual(await store.labState('ada', 'deployment-rollout'), { lab: 'deployment-rollout', completedAt: null, tasks: [], hints: {} });
      await store.recordGrading([{ ...run('ada', 'create', false), at: at(0) }, { ...run('ada', 'scale', false), at: at(0) }]);
      await store.recordGrading([{ ...run('ada', 'create', true), at: at(60_000) }, { ...run('ada', 'scale', true), at: at(60_000) }]);
      // The learner breaks a task that had passed: the page can say when it last passed.
      await store.recordGrading([{ ...run('ada', 'create', true), at: at(120_000) }, { ...run('ada', 'scale', false), at: at(120_000) }]);
      await store.recordHint('ada', 'deployment-rollout', 'scale', 0);
      await store.recordHint('ada', 'deployment-rollout', 'scale', 1);
      await store.recordGrading([{ ...run('grace', 'create', true), at: at(180_000) }]);
      const state = await store.labState('ada', 'deployment-rollout');
      assert.equal(state.completedAt, at(60_000).toISOString());
      assert.deepEqual(state.hints, { scale: 2 });
      assert.deepEqual(
        state.tasks.sort((a, b) => a.task.localeCompare(b.task)),
        [
          { task: 'create', passed: true, messages: [], at: at(120_000).toISOString(), lastPassedAt: at(120_000).toISOString() },
          { task: 'scale', passed: false, messages: ['scale is not done'], at: at(120_000).toISOString(), lastPassedAt: at(60_000).toISOString() },
        ],
      );
      await store.close();
    });

    test('a learner who checks and answers without end keeps a bounded history, and what passed once stays passed', async () => {
      const store = await (await database()).open();
      const base = Date.now();
      await store.recordGrading([{ ...run('eve', 'spam', true), at: new Date(base) }]);
      for (let i = 1; i <= CHECKS_KEPT + 30; i += 1) await store.recordGrading([{ ...run('eve', 'spam', false), at: new Date(base + i) }]);
      const kept = (await store.exportLearner('eve')).checkRuns;
      // The latest CHECKS_KEPT, and the passing run that ticks the task.
      assert.equal(kept.length, CHECKS_KEPT + 1);
      assert.ok(kept[0]?.passed);
      assert.deepEqual((await store.progress('eve')).labs[0]?.tasksPassed, ['spam']);

      const answer = (correct: boolean) => ({ learner: 'eve', lesson: 'fundamentals/pods', question: 'pods-network', choices: [correct ? 1 : 0], correct });
      for (let i = 0; i < ANSWERS_KEPT + 10; i += 1) {
        // Answers are ordered by their time: one per millisecond, so the latest is well defined.
        const now = Date.now();
        while (Date.now() === now) await new Promise((resolve) => setImmediate(resolve));
        await store.recordQuizAnswer(answer(i === ANSWERS_KEPT + 9));
      }
      const answers = (await store.exportLearner('eve')).quizAnswers;
      assert.equal(answers.length, ANSWERS_KEPT);
      // The first answer (wrong) is the one that counts, and it stays however many follow.
      assert.deepEqual(answers[0]?.choices, [0]);
      assert.equal(answers.at(-1)?.correct, true);
      assert.deepEqual((await store.progress('eve')).quizzes, [{ lesson: 'fundamentals/pods', answered: 1, correct: 0 }]);
      await store.close();
    });

    test("the instructor's grid stops at the workshop's end: later checks are the learner's own", async () => {
      const store = await (await database()).open();
      const endsAt = new Date(Date.now() + 60_000);
      const { workshop } = await createWorkshop(store, { title: 'Ends', labs: ['service-endpoints'], capacity: 5, startsAt: new Date(), endsAt });
      await store.joinWorkshop(workshop, 'ada', 'Ada');
      await store.recordGrading([{ ...run('ada', 'deploy', true), lab: 'service-endpoints' }]);
      await store.recordGrading([{ ...run('ada', 'deploy', false), lab: 'service-endpoints', at: new Date(endsAt.getTime() + 1000) }]);
      const [row] = await store.workshopMembers(workshop);
      assert.deepEqual({ passed: row?.passed, failing: row?.failing }, { passed: ['service-endpoints/deploy'], failing: [] });
      await store.close();
    });

    test('export holds everything about a learner, and delete forgets it all', async () => {
      const store = await (await database()).open();
      await store.recordGrading([run('ada', 'create', false)]);
      await store.recordHint('ada', 'deployment-rollout', 'create', 1);
      await store.recordLessonRead('ada', 'fundamentals/architecture');
      await store.recordQuizAnswer({ learner: 'ada', lesson: 'fundamentals/pods', question: 'pods-network', choices: [1], correct: true });
      await store.recordGrading([run('grace', 'create', true)]);
      const exported = await store.exportLearner('ada');
      assert.deepEqual(exported.checkRuns.map(({ task, passed, messages, trigger }) => ({ task, passed, messages, trigger })), [{ task: 'create', passed: false, messages: ['create is not done'], trigger: 'learner' }]);
      assert.deepEqual(exported.hintsUsed.map(({ task, hint }) => ({ task, hint })), [{ task: 'create', hint: 1 }]);
      assert.deepEqual(exported.lessonsRead.map(({ lesson }) => lesson), ['fundamentals/architecture']);
      assert.deepEqual(exported.quizAnswers.map(({ question }) => question), ['pods-network']);
      await store.deleteLearner('ada');
      const gone = await store.exportLearner('ada');
      assert.deepEqual([gone.checkRuns, gone.hintsUsed, gone.labsCompleted, gone.lessonsRead, gone.quizAnswers, gone.workshops], [[], [], [], [], [], []]);
      assert.equal((await store.progress('grace')).labs.length, 1, "another learner's progress stays");
      await store.close();
    });

    test("a workshop's exam sittings: the first start stands, members find their workshops, attempts are found by their start", async () => {
      const store = await (await database()).open();
      const hour = 3600_000;
      const { workshop } = await createWorkshop(store, { title: 'Exam day', labs: [], exams: ['kcna'], capacity: 5, startsAt: new Date(), endsAt: new Date(Date.now() + hour) });
      await createWorkshop(store, { title: 'Other', labs: ['service-endpoints'], capacity: 5, startsAt: new Date(), endsAt: new Date(Date.now() + hour) });
      assert.deepEqual((await store.workshopByCode(workshop.code))?.exams, ['kcna']);
      await store.joinWorkshop(workshop, 'ada', 'Ada');
      assert.deepEqual((await store.workshopsOf('ada')).map((each) => [each.code, each.exams]), [[workshop.code, ['kcna']]]);
      assert.deepEqual(await store.workshopsOf('grace'), []);
      const first = new Date(Date.now() - 1000);
      const [one, two] = await Promise.all([store.startSitting(workshop, 'kcna', first), store.startSitting(workshop, 'kcna', new Date())]);
      assert.equal(one.getTime(), two.getTime(), 'two starts at once recorded two sittings');
      assert.equal((await store.sittings(workshop)).get('kcna')?.getTime(), one.getTime());
      const at = (offset: number) => new Date(first.getTime() + offset);
      for (const [id, learner, offset] of [['before', 'ada', -5000], ['in', 'grace', 1000], ['other', 'linus', 2000]] as const) {
        await store.exams.start({ id, learner, exam: 'kcna', startedAt: at(offset), endsAt: at(offset + hour), questions: [] });
      }
      const found = await store.exams.startedBetween('kcna', ['ada', 'grace'], first, at(hour));
      assert.deepEqual(found.map((attempt) => attempt.id), ['in']);
      assert.deepEqual(await store.exams.startedBetween('kcna', [], first, at(hour)), []);
      await store.close();
    });

    test('an exam attempt: one open per learner and exam, answers kept as given across a restart, submitted once', async () => {
      const db = await database();
      const store = await db.open();
      const now = Date.now();
      const attempt = (id: string) => ({ id, learner: 'ada', exam: 'kcna', startedAt: new Date(now), endsAt: new Date(now + 60_000), questions: [{ id: 'q1', order: [2, 0, 1, 3] }, { id: 'q2', order: [0, 1, 2, 3] }] });
      // Two tabs starting at once get the same attempt.
      const [first, second] = await Promise.all([store.exams.start(attempt('a1')), store.exams.start(attempt('a2'))]);
      assert.equal(first.id, second.id);
      await store.exams.answer(first, 'q1', { choice: 2, flagged: false, at: new Date() });
      await store.exams.answer(first, 'q1', { choice: 3, flagged: true, at: new Date() });
      await store.close();
      const reopened = await db.open();
      const resumed = await reopened.exams.open('ada', 'kcna');
      assert.equal(resumed?.id, first.id);
      assert.deepEqual(resumed?.questions, attempt('x').questions);
      assert.deepEqual({ ...resumed?.answers.get('q1'), at: undefined }, { choice: 3, flagged: true, at: undefined });
      const score = { correct: 1, total: 2, percent: 50, passed: false, passPercent: 75, timeUsedMs: 1000, submittedBy: 'learner' as const, byDomain: [], studyNext: [] };
      assert.equal(await reopened.exams.submit(first, new Date(), score), true);
      assert.equal(await reopened.exams.submit(first, new Date(), { ...score, correct: 2 }), false, 'a second submission changed the score');
      assert.equal(await reopened.exams.open('ada', 'kcna'), undefined);
      assert.deepEqual((await reopened.exams.history('ada', 'kcna')).map((each) => each.score?.correct), [1]);
      const next = await reopened.exams.start(attempt('a3'));
      assert.equal(next.id, 'a3', 'a new attempt could not start after the last was submitted');
      const exported = await reopened.exportLearner('ada');
      assert.deepEqual(exported.examAttempts.map((each) => each.answers), [[{ question: 'q1', choice: 3, flagged: true }, { question: 'q2', choice: null, flagged: false }], [{ question: 'q1', choice: null, flagged: false }, { question: 'q2', choice: null, flagged: false }]]);
      await reopened.deleteLearner('ada');
      assert.deepEqual((await reopened.exportLearner('ada')).examAttempts, []);
      assert.equal(await reopened.exams.get(first.id), undefined);
      await reopened.close();
    });
  });
}

test('the SQLite file is in WAL mode and readable by its owner only', async () => {
  const file = join(await mkdtemp(join(tmpdir(), 'cnlab-store-')), 'cnlab.db');
  await (await SqlProgressStore.open(sqliteConnection(file))).close();
  const db = new DatabaseSync(file);
  assert.equal(db.prepare('PRAGMA journal_mode').get()?.journal_mode, 'wal');
  assert.deepEqual(db.prepare('SELECT version FROM schema_migrations').all().map((row) => row.version), migrations.map((step) => step.version));
  db.close();
  assert.equal(statSync(file).mode & 0o777, 0o600);
});

test('PostgreSQL down for a moment: reads and writes fail soon as "unavailable", nothing half-written, and the store recovers by itself', async () => {
  const store = await SqlProgressStore.open(postgresConnection(postgres.url));
  await store.recordGrading([run('outage', 'create', true)]);
  await postgres.stop();
  try {
    const started = Date.now();
    await assert.rejects(store.progress('outage'), StoreUnavailableError);
    await assert.rejects(store.recordGrading([run('outage', 'create', true), run('outage', 'scale', true)]), (error: Error) => {
      assert.ok(error instanceof StoreUnavailableError);
      assert.match(error.message, /not answering right now.*try again/);
      return true;
    });
    assert.ok(Date.now() - started < 15_000, 'a database that is down is reported, not waited for');
  } finally {
    await postgres.start();
  }
  // The same store, never reopened: its pool makes new connections once the server is back.
  const deadline = Date.now() + 30_000;
  for (;;) {
    const progress = await store.progress('outage').catch((error: unknown) => {
      if (!(error instanceof StoreUnavailableError) || Date.now() > deadline) throw error;
      return undefined;
    });
    if (progress) {
      assert.deepEqual(progress.labs.map(({ tasksPassed, checks }) => ({ tasksPassed, checks })), [{ tasksPassed: ['create'], checks: 1 }], 'the write that failed left nothing');
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await store.recordGrading([run('outage', 'scale', true)]);
  assert.deepEqual((await store.progress('outage')).labs[0]?.tasksPassed, ['create', 'scale']);
  await store.close();
});

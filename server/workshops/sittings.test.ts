// A workshop's exam sitting on a real SQLite store with the real KCNA bank, and a clock the test
// moves: members wait for the instructor, everyone's attempt ends with the sitting, the results
// say who has submitted and how they scored; `cnlab grade --exam` reports the same.
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { XMLParser } from 'fast-xml-parser';
import { loadCourse } from '../course/load.ts';
import { loadExamsWithBanks } from '../exams/load.ts';
import { PracticeExams } from '../exams/practice.ts';
import { run } from '../exec.ts';
import { projectRoot } from '../paths.ts';
import { SqlProgressStore } from '../store/sql-store.ts';
import { sqliteConnection } from '../store/sqlite.ts';
import { formatSitting } from './sitting-report.ts';
import { scoreDistribution, sittingResults, startRule } from './sittings.ts';
import { createWorkshop } from './workshops.ts';

const course = await loadCourse();
const loaded = await loadExamsWithBanks(course);
const drill = loaded.exams.get('kcna-drill');
assert.ok(drill, 'exams/kcna-drill exists');
const minute = 60_000;

async function setup() {
  let now = new Date();
  const stateDir = await mkdtemp(join(tmpdir(), 'cnlab-sitting-'));
  const store = await SqlProgressStore.open(sqliteConnection(join(stateDir, 'cnlab.db')));
  const exams = new PracticeExams({ ...loaded, domains: course.curriculum.domains, store: store.exams, now: () => now });
  const { workshop } = await createWorkshop(store, { title: 'Exam day', labs: [], exams: ['kcna-drill'], capacity: 10, startsAt: now, endsAt: new Date(now.getTime() + 3 * 3600_000) });
  for (const [learner, name] of [['ada', 'Ada'], ['grace', 'Grace'], ['edsger', 'Edsger']] as const) await store.joinWorkshop(workshop, learner, name);
  return { store, exams, workshop, stateDir, now: () => now, advance: (ms: number) => (now = new Date(now.getTime() + ms)) };
}

/** Answers every question of the learner's attempt with its key: a perfect score. */
async function answerAll(exams: PracticeExams, learner: string, id: string) {
  const attempt = await exams.attempt(learner, id);
  assert.ok(attempt);
  const bank = new Map((loaded.banks.get('kcna') ?? []).map((question) => [question.id, question]));
  for (const drawn of attempt.questions) await exams.answer(attempt, drawn.id, drawn.order.indexOf(bank.get(drawn.id)?.answer ?? -1), false);
  return exams.submit(attempt);
}

test('members wait for the instructor; the sitting gives everyone the same end; a practice attempt from before gives way', async () => {
  const { store, exams, workshop, now, advance } = await setup();
  assert.equal((await startRule(store, 'ada', drill, now())).kind, 'waiting');
  assert.equal((await startRule(store, 'linus', drill, now())).kind, 'practice', 'a learner outside the workshop practises on their own');
  // Ada practised on her own before the class met (her own clock): the sitting replaces it.
  const practice = await exams.start('linus', drill.id);
  const early = await exams.start('ada', drill.id);
  assert.ok(practice && early);

  advance(minute);
  const startedAt = await store.startSitting(workshop, drill.id, now());
  assert.equal((await store.startSitting(workshop, drill.id, new Date(now().getTime() + 5000))).getTime(), startedAt.getTime(), 'a second start keeps the first');
  const rule = await startRule(store, 'ada', drill, now());
  assert.equal(rule.kind, 'sitting');
  assert.ok(rule.kind === 'sitting');
  assert.equal(rule.window.endsAt.getTime(), startedAt.getTime() + drill.minutes * minute);
  const ada = await exams.start('ada', drill.id, rule.window);
  assert.ok(ada);
  assert.notEqual(ada.id, early.id);
  assert.ok((await exams.attempt('ada', early.id))?.submittedAt, 'the practice attempt begun before the sitting was submitted');

  // Grace comes a minute late: her exam ends with everyone's.
  advance(minute);
  const late = await startRule(store, 'grace', drill, now());
  assert.ok(late.kind === 'sitting');
  const grace = await exams.start('grace', drill.id, late.window);
  assert.ok(grace);
  assert.equal(exams.view(grace).remainingMs, drill.minutes * minute - minute);
  assert.equal(grace.endsAt.getTime(), ada.endsAt.getTime());

  await answerAll(exams, 'ada', ada.id);
  // Members joined in the same millisecond: by name, as `cnlab grade` lists them.
  const members = (await store.workshopMembers(workshop)).map(({ learner, name }) => ({ learner, name })).sort((a, b) => a.name.localeCompare(b.name));
  const during = await sittingResults(exams, drill, members, startedAt);
  assert.deepEqual(
    during.map(({ name, state, score }) => [name, state, score?.percent ?? null]),
    [['Ada', 'submitted', 100], ['Edsger', 'not started', null], ['Grace', 'in progress', null]],
  );
  assert.deepEqual(scoreDistribution(during), [0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);

  // The sitting's time runs out: Grace's attempt is submitted with what she gave (nothing), and
  // the exam is everyone's own practice again.
  advance(drill.minutes * minute);
  const afterwards = await sittingResults(exams, drill, members, startedAt);
  assert.deepEqual(afterwards.map(({ name, state }) => [name, state]), [['Ada', 'submitted'], ['Edsger', 'not started'], ['Grace', 'submitted']]);
  assert.equal(afterwards[2]?.score?.submittedBy, 'clock');
  assert.deepEqual(scoreDistribution(afterwards), [1, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
  assert.equal((await startRule(store, 'ada', drill, now())).kind, 'practice');
  // Linus's own attempt, started in the same minutes, is no part of the class's results.
  assert.ok(!afterwards.some((result) => result.learner === 'linus'));

  const json = JSON.parse(formatSitting(afterwards, workshop, drill, startedAt, 'json')) as { schema: string; passed: boolean; learners: Array<{ name: string; state: string; percent: number | null; passed: boolean }> };
  assert.equal(json.schema, 'cnlab.workshop-exam/v1');
  assert.equal(json.passed, false);
  assert.deepEqual(json.learners.map(({ name, percent, passed }) => [name, percent, passed]), [['Ada', 100, true], ['Edsger', null, false], ['Grace', 0, false]]);
  const junit = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => name === 'testcase' }).parse(formatSitting(afterwards, workshop, drill, startedAt, 'junit')) as {
    testsuites: { tests: string; failures: string; testsuite: { testcase: Array<{ name: string; failure?: { message: string } }> } };
  };
  assert.equal(junit.testsuites.tests, '3');
  assert.equal(junit.testsuites.failures, '2');
  assert.deepEqual(junit.testsuites.testsuite.testcase.map((each) => [each.name, each.failure?.message ?? 'passed']), [
    ['Ada', 'passed'],
    ['Edsger', 'has not started the exam'],
    ['Grace', `0% (0 of ${drill.questions}), not passed`],
  ]);
  await store.close();
});

test('`cnlab grade --exam` reports the sitting from the store, with no cluster, and exits by the results', async () => {
  const { store, exams, workshop, stateDir, now } = await setup();
  const cli = (...args: string[]) => run(process.execPath, [join(projectRoot, 'server', 'cli.ts'), 'grade', ...args], { env: { ...process.env, CNLAB_STATE_DIR: stateDir } });
  const notStarted = await cli('--exam', 'kcna-drill', '--workshop', workshop.code);
  assert.equal(notStarted.code, 3, notStarted.stderr);
  assert.match(notStarted.stderr, /the sitting of kcna-drill in workshop \w+ has not started/);
  assert.equal((await cli('--exam', 'kcna', '--workshop', workshop.code)).code, 3, 'an exam the workshop does not sit');
  assert.equal((await cli('--exam', 'no-such-exam', '--workshop', workshop.code)).code, 3);
  assert.equal((await cli('--exam', 'kcna-drill', '--learner', 'ada')).code, 3, 'an exam is graded for a workshop');

  const startedAt = await store.startSitting(workshop, drill.id, now());
  const rule = await startRule(store, 'ada', drill, now());
  assert.ok(rule.kind === 'sitting');
  const ada = await exams.start('ada', drill.id, rule.window);
  assert.ok(ada);
  await answerAll(exams, 'ada', ada.id);
  await store.close();

  const text = await cli('--exam', 'kcna-drill', '--workshop', workshop.code.toLowerCase());
  assert.equal(text.code, 1, text.stderr);
  assert.match(text.stdout, new RegExp(`Exam day \\(${workshop.code}\\), KCNA speed drill \\(kcna-drill\\), started ${startedAt.toISOString()}: 1 of 3 learners passes`));
  assert.match(text.stdout, /✓ Ada: 100%/);
  assert.match(text.stdout, /✗ Edsger: has not started the exam/);
  const json = await cli('--exam', 'kcna-drill', '--workshop', workshop.code, '--format', 'json');
  assert.deepEqual((JSON.parse(json.stdout) as { learners: Array<{ name: string; state: string }> }).learners.map(({ name, state }) => [name, state]), [
    ['Ada', 'submitted'],
    ['Edsger', 'not started'],
    ['Grace', 'not started'],
  ]);
});

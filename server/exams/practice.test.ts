// The practice exam's rules on a real SQLite store, with a clock the test moves: the draw, the
// server-owned time, answers in shown order, scoring and what the page may see before and after.
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { BankQuestion } from '../course/bank.ts';
import { SqlProgressStore } from '../store/sql-store.ts';
import { sqliteConnection } from '../store/sqlite.ts';
import type { Exam } from './definition.ts';
import { drawQuestions, quotas } from './draw.ts';
import { ExamClosedError, PracticeExams } from './practice.ts';

const domains = [
  { id: 'fundamentals' as const, title: 'Kubernetes Fundamentals', weight: 44, subAreas: ['core-concepts'] },
  { id: 'orchestration' as const, title: 'Container Orchestration', weight: 28, subAreas: ['networking'] },
  { id: 'delivery' as const, title: 'Cloud Native Application Delivery', weight: 16, subAreas: ['debugging'] },
  { id: 'architecture' as const, title: 'Cloud Native Architecture', weight: 12, subAreas: ['observability'] },
  { id: 'infrastructure' as const, title: 'Infrastructure track', weight: 0, subAreas: ['adoption'] },
];

const question = (id: string, domain: BankQuestion['domain'], subArea: string, answer = 1): BankQuestion => ({
  id,
  domain,
  subArea,
  lesson: `${domain}/lesson-${subArea}`,
  difficulty: 2,
  prompt: `What does ${id} ask?`,
  choices: [0, 1, 2, 3].map((n) => ({ text: `${id} choice ${n}`, why: `why ${id} choice ${n} is ${n === answer ? 'right' : 'wrong'}` })),
  answer,
  explanation: `the explanation of ${id}, long enough to be valid`,
});

const bank = [
  ...Array.from({ length: 30 }, (_, n) => question(`f${n}`, 'fundamentals', 'core-concepts')),
  ...Array.from({ length: 20 }, (_, n) => question(`o${n}`, 'orchestration', 'networking')),
  ...Array.from({ length: 12 }, (_, n) => question(`d${n}`, 'delivery', 'debugging')),
  ...Array.from({ length: 9 }, (_, n) => question(`a${n}`, 'architecture', 'observability')),
];

const exam: Exam = { id: 'kcna', file: 'exams/kcna/exam.yaml', title: 'KCNA practice exam', summary: 'a test exam of the practice rules', kind: 'practice', bank: 'kcna', questions: 60, minutes: 90, passPercent: 75 };

async function setup() {
  let now = new Date('2026-12-01T10:00:00Z');
  const store = await SqlProgressStore.open(sqliteConnection(join(await mkdtemp(join(tmpdir(), 'cnlab-exam-')), 'cnlab.db')));
  const exams = new PracticeExams({ exams: new Map([['kcna', exam]]), banks: new Map([['kcna', bank]]), domains, store: store.exams, now: () => now });
  return { exams, store, advance: (ms: number) => (now = new Date(now.getTime() + ms)) };
}

test('quotas follow the weights and add up: 26/17/10/7 of 60, and small exams stay whole', () => {
  const weights = domains.filter((d) => d.weight > 0);
  assert.deepEqual(Object.fromEntries(quotas(weights, 60)), { fundamentals: 26, orchestration: 17, delivery: 10, architecture: 7 });
  for (const count of [1, 6, 7, 13, 59]) assert.equal([...quotas(weights, count).values()].reduce((a, b) => a + b, 0), count);
});

test('a draw takes each domain its quota, prefers questions the last attempt did not have, and shuffles every choice order', () => {
  const weights = domains.filter((d) => d.weight > 0);
  const first = drawQuestions(bank, weights, 20, new Set());
  const second = drawQuestions(bank, weights, 20, new Set(first.map((q) => q.id)));
  assert.equal(new Set(first.map((q) => q.id)).size, 20);
  assert.equal(second.filter((q) => first.some((f) => f.id === q.id)).length, 0, 'a question of the last attempt came back although fresh ones were left');
  for (const drawn of first) assert.deepEqual([...drawn.order].sort(), [0, 1, 2, 3]);
  const orders = new Set(Array.from({ length: 50 }, () => drawQuestions(bank, weights, 60, new Set())).flatMap((draw) => draw.map((q) => q.order.join(''))));
  assert.ok(orders.size > 12, `choice orders barely vary: ${orders.size}`);
  // A domain short of questions leaves its share to the others: the exam is still full.
  assert.equal(drawQuestions(bank.filter((q) => q.domain !== 'architecture'), weights, 60, new Set()).length, 60);
});

test('an attempt hides the key until submitted; answers are given in shown order; the score is by domain, with what to study next', async () => {
  const { exams, store } = await setup();
  const attempt = await exams.start('ada', 'kcna');
  assert.ok(attempt);
  const view = exams.view(attempt);
  assert.equal(view.questions.length, 60);
  assert.equal(view.remainingMs, 90 * 60_000);
  assert.doesNotMatch(JSON.stringify(view), /"key"|why |explanation/, 'the running exam shows its keys');
  // Answer every fundamentals question right (by its shown position), leave the rest.
  for (const drawn of attempt.questions.filter((q) => q.id.startsWith('f'))) await exams.answer(attempt, drawn.id, drawn.order.indexOf(1), false);
  const flagged = attempt.questions[0] as { id: string; order: number[] };
  await exams.answer(attempt, flagged.id, drawn(flagged).wrong, true);
  const submitted = await exams.submit((await exams.attempt('ada', attempt.id)) ?? attempt);
  const score = submitted.score;
  assert.ok(score);
  const fundamentalsRight = 26 - (flagged.id.startsWith('f') ? 1 : 0);
  assert.equal(score.correct, fundamentalsRight);
  assert.equal(score.passed, false);
  assert.deepEqual(score.byDomain.map((d) => [d.domain, d.total]), [['fundamentals', 26], ['orchestration', 17], ['delivery', 10], ['architecture', 7]]);
  assert.deepEqual(score.studyNext.map((area) => area.subArea).slice(0, 3).sort(), ['debugging', 'networking', 'observability']);
  assert.equal(score.submittedBy, 'learner');
  const review = exams.view(submitted);
  const first = review.questions[0] as { key: number; answer: number | null; flagged: boolean; why: string[] };
  assert.equal(first.flagged, true);
  assert.notEqual(first.answer, first.key);
  assert.match(first.why[first.key] ?? '', /is right/);
  await assert.rejects(exams.answer(submitted, flagged.id, 0, false), ExamClosedError);
  await store.close();
});

function drawn(question: { order: number[] }) {
  return { wrong: question.order.indexOf(0) };
}

test('the server owns the clock: a reload resumes with less time, a late answer is refused, and the clock submits what was given', async () => {
  const { exams, store, advance } = await setup();
  const attempt = await exams.start('ada', 'kcna');
  assert.ok(attempt);
  const q = attempt.questions[0] as { id: string; order: number[] };
  await exams.answer(attempt, q.id, q.order.indexOf(1), false);
  advance(30 * 60_000);
  const resumed = await exams.start('ada', 'kcna');
  assert.equal(resumed?.id, attempt.id, 'starting again began a new attempt with fresh time');
  assert.equal(exams.view(resumed as typeof attempt).remainingMs, 60 * 60_000);
  advance(60 * 60_000 + 5000);
  await assert.rejects(exams.answer(attempt, q.id, 0, false), /time is up/);
  const settled = await exams.attempt('ada', attempt.id);
  assert.equal(settled?.score?.submittedBy, 'clock');
  assert.equal(settled?.score?.correct, 1, 'the answers given in time were not counted');
  assert.equal(settled?.score?.timeUsedMs, 90 * 60_000);
  assert.equal(await exams.attempt('grace', attempt.id), undefined, "another learner's attempt is readable");
  const next = await exams.start('ada', 'kcna');
  assert.notEqual(next?.id, attempt.id);
  await store.close();
});

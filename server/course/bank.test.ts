// The question bank's quality: the KCNA bank (exams/kcna/bank/) and the lesson quizzes
// (content/**/*.quiz.yaml) must not be gameable. A learner who does not know Kubernetes should not
// score by picking a favourite position or the longest choice, and no question may be asked twice
// in other words. Fast: files only, no cluster.
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { headingSlugs, loadBank } from './bank.ts';
import { loadCourse } from './load.ts';
import { YamlFileError } from '../yaml-file.ts';

/** The fewest questions each exam domain must have, so 60-question draws at the exam's weights (26/17/10/7) can vary between attempts. */
const domainMinimums: Record<string, number> = { fundamentals: 160, orchestration: 100, delivery: 60, architecture: 40 };

/** No answer position may hold more than this share of the keys, and the longest choice may be the key in at most this share. */
const MAX_SHARE = 0.35;

/**
 * Two questions are near-duplicates when the Jaccard similarity of their word 2-shingles (stem
 * and key, function words left out) exceeds this. The stem alone misses a question asked again in
 * other words; the key is what makes it the same question. Measured on the lesson quizzes before
 * they were merged: the pairs an expert called duplicates (the release cadence asked in two
 * lessons, dockershim twice, empty EndpointSlices twice) scored 0.19 to 0.31, while distinct
 * questions stayed at 0.11 and below; distinct questions on one topic in the bank (the CRI's
 * services beside "which interface does the kubelet use") reach 0.13. 0.15 sits between.
 */
const NEAR_DUPLICATE = 0.15;

type Item = { id: string; where: string; prompt: string; choices: string[]; answer: number[] };

const course = await loadCourse();
const bank = await loadBank(course);
const bankItems: Item[] = bank.map((question) => ({ id: question.id, where: question.file, prompt: question.prompt, choices: question.choices.map((choice) => choice.text), answer: [question.answer] }));
const quizItems = [...course.quizzes].flatMap(([lesson, quiz]) =>
  quiz.questions.map((question) => ({ type: question.type, id: question.id, where: `content/${lesson}.quiz.yaml`, prompt: question.prompt, choices: question.choices, answer: question.answer })),
);
const singleQuizItems = quizItems.filter((item) => item.type === 'single');
const selectAllQuizItems = quizItems.filter((item) => item.type === 'multiple');

const percent = (share: number) => `${Math.round(share * 100)}%`;

/** Each position's share of all keys (a select-all question has several). */
function keyShares(items: Item[]): number[] {
  const counts: number[] = [];
  for (const item of items) for (const index of item.answer) counts[index] = (counts[index] ?? 0) + 1;
  const total = counts.reduce((sum, count) => sum + (count ?? 0), 0);
  return Array.from(counts, (count) => (count ?? 0) / total);
}

function assertBalancedKeys(items: Item[], what: string): void {
  const shares = keyShares(items);
  const worst = Math.max(...shares);
  assert.ok(
    worst <= MAX_SHARE,
    `${what}: position ${shares.indexOf(worst)} holds ${percent(worst)} of the keys (at most ${percent(MAX_SHARE)}); by position: ${shares.map(percent).join(' / ')}. Move keys of some questions to other positions.`,
  );
}

/** Single-answer questions whose key is (one of) the longest choice(s). */
const longestIsKey = (items: Item[]) => items.filter((item) => item.choices[item.answer[0] ?? 0]?.length === Math.max(...item.choices.map((choice) => choice.length)));

function assertLongestNotFavoured(items: Item[], what: string): void {
  const favoured = longestIsKey(items);
  assert.ok(
    favoured.length <= MAX_SHARE * items.length,
    `${what}: the longest choice is the key in ${favoured.length} of ${items.length} (${percent(favoured.length / items.length)}; at most ${percent(MAX_SHARE)}). Make distractors as specific as the key, e.g. in: ${favoured.slice(0, 12).map((item) => item.id).join(', ')}`,
  );
}

const functionWords = new Set('a an and are as at be by can do does for from how in is it its no not of on or than that the this to what when which who why with you your'.split(' '));

function shingles(text: string): Set<string> {
  const words = text.toLowerCase().replace(/[^a-z0-9\s-]/g, ' ').split(/\s+/).filter((word) => word && !functionWords.has(word));
  if (words.length < 2) return new Set(words);
  return new Set(words.slice(1).map((word, index) => `${words[index]} ${word}`));
}

/** What a question asks: its stem and its key. */
const asked = (item: Item) => [item.prompt, ...item.answer.map((index) => item.choices[index] ?? '')].join(' ');

function jaccard(a: Set<string>, b: Set<string>): number {
  let shared = 0;
  for (const shingle of a) if (b.has(shingle)) shared += 1;
  return shared / (a.size + b.size - shared);
}

/** Pairs of near-duplicate questions within `items`, or between `items` and `others` when given. */
function nearDuplicates(items: Item[], others?: Item[]): string[] {
  const sets = items.map((item) => shingles(asked(item)));
  const otherSets = others?.map((item) => shingles(asked(item)));
  const found: string[] = [];
  for (let i = 0; i < items.length; i += 1) {
    const candidates = otherSets ?? sets;
    for (let j = otherSets ? 0 : i + 1; j < candidates.length; j += 1) {
      const other = (others ?? items)[j];
      const similarity = jaccard(sets[i] ?? new Set(), candidates[j] ?? new Set());
      if (similarity > NEAR_DUPLICATE) found.push(`${items[i]?.id} (${items[i]?.where}) and ${other?.id} (${other?.where}): ${similarity.toFixed(2)}`);
    }
  }
  return found;
}

test('each exam domain has at least its minimum of questions', () => {
  const counts = new Map<string, number>();
  for (const question of bank) counts.set(question.domain, (counts.get(question.domain) ?? 0) + 1);
  for (const [domain, minimum] of Object.entries(domainMinimums)) {
    assert.ok((counts.get(domain) ?? 0) >= minimum, `exams/kcna/bank: ${domain} has ${counts.get(domain) ?? 0} questions; it needs at least ${minimum}`);
  }
});

test('the bank: keys spread over the positions, and the longest choice is not a tell', () => {
  assert.ok(bank.length > 0, 'exams/kcna/bank holds questions');
  assertBalancedKeys(bankItems, 'exams/kcna/bank');
  assertLongestNotFavoured(bankItems, 'exams/kcna/bank');
});

test('the lesson quizzes: keys spread over the positions, and the longest choice is not a tell', () => {
  assertBalancedKeys(singleQuizItems, 'single-answer quiz questions');
  // A select-all question marks several choices, so the longest choice is often among them by
  // chance; the tell there is a position that is (nearly) always marked.
  assertBalancedKeys(selectAllQuizItems, 'select-all quiz questions');
  assertLongestNotFavoured(singleQuizItems, 'single-answer quiz questions');
});

test('no two questions are near-duplicates, in the bank or in the lesson quizzes', () => {
  const measure = `word 2-shingle Jaccard of stem and key over ${NEAR_DUPLICATE}`;
  assert.deepEqual(nearDuplicates(bankItems), [], `near-duplicate questions in exams/kcna/bank (${measure}): merge or rewrite one of each pair`);
  assert.deepEqual(nearDuplicates(quizItems), [], `near-duplicate questions in the lesson quizzes (${measure}): merge or rewrite one of each pair`);
});

test('no exam question re-asks a lesson quiz question, so the quizzes are not a crib for the exam', () => {
  assert.deepEqual(nearDuplicates(bankItems, quizItems), [], `bank questions that repeat a lesson quiz question (word 2-shingle Jaccard of stem and key over ${NEAR_DUPLICATE}): ask the exam question differently`);
});

test('every bank question explains its answer and each choice, and names a lesson of the course', () => {
  for (const question of bank) {
    assert.ok(question.explanation.trim().length >= 30, `${question.file}: ${question.id} needs an explanation`);
    for (const choice of question.choices) assert.ok(choice.why.trim().length >= 10, `${question.file}: ${question.id}: every choice says why`);
    assert.ok(course.lessons.has(question.lesson), `${question.file}: ${question.id}: content/${question.lesson}.mdx does not exist`);
  }
});

test('the checks catch a gamed bank: a favourite position, a longest-choice tell, a question asked twice', () => {
  const gamed: Item[] = Array.from({ length: 8 }, (_, index) => ({
    id: `q${index}`,
    where: 'gamed.yaml',
    prompt: `Question number ${index} about a different topic ${'x'.repeat(index)}`,
    choices: ['short', 'the one right answer, written out at length', 'brief', 'terse'],
    answer: [1],
  }));
  assert.throws(() => assertBalancedKeys(gamed, 'gamed'), /position 1 holds 100% of the keys/);
  assert.throws(() => assertLongestNotFavoured(gamed, 'gamed'), /the longest choice is the key in 8 of 8/);
  const [first] = gamed;
  assert.ok(first);
  assert.equal(nearDuplicates([first, { ...first, id: 'again', prompt: `${first.prompt} Pick one.` }]).length, 1);
});

test('the near-duplicate measure tells a reworded stem from a different question on the same topic', () => {
  const stem = shingles('A Pod has been Pending for ten minutes and shows no node. Where do you find the reason?');
  const reworded = shingles('A Pod has been Pending for ten minutes and has no node. Where do you look for the reason?');
  const other = shingles('A Pod is Running but its Service sends it no traffic. Where do you find the reason?');
  assert.ok(jaccard(stem, reworded) > NEAR_DUPLICATE);
  assert.ok(jaccard(stem, other) <= NEAR_DUPLICATE);
});

test('headings become the anchors the site makes', () => {
  const slugs = headingSlugs('## Requests and limits\n```sh\n## not a heading\n```\n### kube-apiserver: the front door\n## `securityContext`: fewer privileges\n## Requests and limits\n## See [the docs](https://example.com)');
  assert.deepEqual([...slugs], ['requests-and-limits', 'kube-apiserver-the-front-door', 'securitycontext-fewer-privileges', 'requests-and-limits-1', 'see-the-docs']);
});

const valid = (overrides: string) => `questions:
  - id: sample-question
    domain: fundamentals
    subArea: scheduling
    lesson: fundamentals/scheduling
    difficulty: 2
    prompt: Which component picks the node for a new Pod?
    choices:
      - text: kube-scheduler
        why: It filters and scores the nodes, then binds the Pod.
      - text: the kubelet
        why: It runs the Pods already bound to its node.
      - text: etcd
        why: It stores the binding but decides nothing.
      - text: kube-proxy
        why: It programs Service routing, not placement.
    answer: 0
    explanation: The scheduler watches for Pods without a node and binds each to a feasible node.
${overrides}`;

async function bankWith(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cnlab-bank-'));
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

/** Loading rejects with a YamlFileError naming the file, the line and the problem. */
async function rejectsAt(files: Record<string, string>, file: string, line: number, problem: RegExp): Promise<void> {
  await assert.rejects(loadBank(course, await bankWith(files)), (error: unknown) => {
    assert.ok(error instanceof YamlFileError, String(error));
    assert.match(error.message, new RegExp(`${file}:${line}:\\d+: `));
    assert.match(error.message, problem);
    return true;
  });
}

test('the loader names file and line of a mistake', async () => {
  const file = 'fundamentals-scheduling.yaml';
  await rejectsAt({ [file]: valid('').replace('subArea: scheduling', 'subArea: networking') }, file, 4, /subArea is networking; this file holds scheduling/);
  await rejectsAt({ [file]: valid('').replace('lesson: fundamentals/scheduling', 'lesson: fundamentals/nope') }, file, 5, /content\/fundamentals\/nope\.mdx is not a lesson/);
  await rejectsAt({ [file]: valid('').replace('    difficulty', '    section: no-such-heading\n    difficulty') }, file, 6, /"no-such-heading" is not a heading of fundamentals\/scheduling/);
  await rejectsAt({ [file]: valid('').replace('answer: 0', 'answer: 4') }, file, 17, /answer/);
  await rejectsAt({ [file]: valid('').replace(/ {6}- text: kube-proxy\n.*\n/, '') }, file, 9, /exactly 4 choices/);
  await rejectsAt({ [file]: valid('').replace('choices:', 'choices: [') }, file, 9, /not valid YAML/);
  await rejectsAt({ 'fundamentals-nope.yaml': valid('') }, 'fundamentals-nope.yaml', 1, /file name/);
  await rejectsAt({ [file]: valid(''), 'fundamentals-administration.yaml': valid('').replace('subArea: scheduling', 'subArea: administration') }, 'fundamentals-scheduling.yaml', 2, /id sample-question is also used in .*fundamentals-administration\.yaml/);
  const withSection = valid('').replace('    difficulty', '    section: taints-and-tolerations-nodes-that-repel-pods\n    difficulty');
  assert.equal((await loadBank(course, await bankWith({ [file]: withSection })))[0]?.section, 'taints-and-tolerations-nodes-that-repel-pods');
});

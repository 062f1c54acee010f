import { readdirSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { expect, test } from '@playwright/test';
import { marked } from 'marked';
import { parse } from 'yaml';

const lesson = 'fundamentals/pods';
const outline = parse(readFileSync('content/curriculum.yaml', 'utf8')) as { modules: Array<{ number: number; items: Array<{ lesson: string }> }> };
const fundamentalsLessons = new Set(outline.modules.find((module) => module.number === 3)?.items.map((item) => item.lesson)).size;
const quiz = parse(readFileSync(`content/${lesson}.quiz.yaml`, 'utf8')) as { questions: Array<{ id: string; type: string; choices: string[]; answer: number[]; explanation: string }> };
const single = quiz.questions.find((question) => question.type === 'single');
if (!single) throw new Error(`content/${lesson}.quiz.yaml has no single-choice question for this test`);

test('the course home maps every module with its time, and a module page lists its lessons in order', async ({ page }) => {
  await page.goto('/');
  const map = page.getByRole('list', { name: 'Course modules' });
  await expect(map.locator(':scope > li')).toHaveCount(outline.modules.length);
  await expect(map).toContainText(/Kubernetes fundamentals.*\d+ h/s);
  await map.getByRole('link', { name: /Kubernetes fundamentals/ }).click();
  await expect(page).toHaveURL(/\/fundamentals\/$/);
  const lessons = page.getByRole('list', { name: 'Lessons in this module' }).locator(':scope > li > a:first-child');
  await expect(lessons.first()).toContainText('Kubernetes architecture');
  await expect(lessons).toHaveCount(fundamentalsLessons);
});

test('a lesson shows its objectives, links the glossary, and ends in a quiz that explains and records answers', async ({ page }) => {
  await page.goto(`/${lesson}/`);
  await expect(page.getByRole('heading', { name: 'After this lesson you can' })).toBeVisible();
  // Starlight's previous/next links and table of contents are part of every lesson.
  await expect(page.getByRole('link', { name: /Previous/ })).toBeVisible();
  await expect(page.getByRole('link', { name: /Next/ })).toBeVisible();
  await expect(page.getByRole('navigation', { name: 'On this page' }).getByRole('link', { name: 'Summary' })).toBeAttached();
  // A term links to its glossary entry.
  const term = page.locator('.sl-markdown-content a[href^="/glossary/#"]').first();
  const id = ((await term.getAttribute('href')) ?? '').split('#')[1] ?? '';
  await term.click();
  await expect(page.locator(`dt[id="${id}"]`)).toBeInViewport();
  await page.goBack();

  // The page holds no key: neither the answers nor the explanations, which give them away.
  const html = await page.content();
  expect(html).not.toContain('data-answer');
  for (const question of quiz.questions) expect(html).not.toContain(marked.parseInline(question.explanation, { async: false }));

  const form = page.locator(`form[data-question="${single.id}"]`);
  const wrong = single.choices.findIndex((_, index) => !single.answer.includes(index));
  await form.locator(`input[value="${wrong}"]`).check();
  await form.getByRole('button', { name: 'Check answer' }).click();
  await expect(form.getByRole('status')).toContainText('Not quite');
  // Only now does the page learn the key: the right choice is marked, and the question is locked.
  await expect(form.locator(`label:has(input[value="${single.answer[0]}"])`)).toHaveAttribute('data-mark', 'right');
  await expect(form.locator('.explanation')).not.toBeEmpty();
  await expect(form.locator(`input[value="${single.answer[0]}"]`)).toBeDisabled();

  // Sending the right answer now, round the page, changes nothing: the first answer counts.
  const resubmitted = await page.request.post('/api/progress/quiz', { data: { lesson, question: single.id, choices: single.answer } });
  expect(await resubmitted.json()).toMatchObject({ counted: false, correct: false, choices: [wrong] });
  const progress = (await (await page.request.get('/api/progress')).json()) as { quizzes: Array<{ lesson: string; answered: number; correct: number }> };
  expect(progress.quizzes.find((entry) => entry.lesson === lesson)).toMatchObject({ answered: 1, correct: 0 });
  await page.goto('/progress/');
  await expect(page.locator(`tr[data-lesson="${lesson}"] [data-quiz]`)).toHaveText(`0 of ${quiz.questions.length} right`);

  // Back on the lesson, the question shows as it was answered.
  await page.goto(`/${lesson}/`);
  await expect(form.getByRole('status')).toContainText('Not quite');
  await expect(form.locator(`input[value="${wrong}"]`)).toBeChecked();
  await expect(form.locator(`label:has(input[value="${wrong}"])`)).toHaveAttribute('data-mark', 'wrong');
});

test('every lab is listed at /labs/, the favicon is there, and counts read as words', async ({ page, request }) => {
  expect((await request.get('/favicon.svg')).status()).toBe(200);
  const labCount = readdirSync('labs', { withFileTypes: true }).filter((entry) => entry.isDirectory()).length;
  await page.goto('/labs/');
  const labs = page.getByRole('list', { name: 'Labs' }).locator(':scope > li');
  await expect(labs).toHaveCount(labCount);
  await labs.first().getByRole('link').first().click();
  await expect(page).toHaveURL(/\/labs\/[a-z0-9-]+\/$/);
  await page.goto('/');
  const map = page.getByRole('list', { name: 'Course modules' });
  // The infrastructure module has one lab: "1 lab", never "1 labs".
  await expect(map).toContainText(/\b1 lab ·/);
  await expect(map).not.toContainText(/\b1 (labs|lessons|modules)\b/);
});

test('the server refuses a quiz answer it cannot score', async ({ request }) => {
  const response = await request.post('/api/progress/quiz', { data: { lesson, question: 'no-such-question', choices: [0] } });
  expect(response.status()).toBe(400);
});

test('a lesson page without the terminal open ships under 60 KB of JavaScript', async ({ page }) => {
  const scripts: Buffer[] = [];
  page.on('response', async (response) => {
    if (response.request().resourceType() === 'script') scripts.push(await response.body());
  });
  // Every script the page loads by itself is in once it has settled (the cluster status has its answer).
  await page.goto(`/${lesson}/`, { waitUntil: 'networkidle' });
  await expect(page.locator('cluster-status [data-text]')).not.toHaveText(/Checking/);
  const gzipped = scripts.reduce((sum, body) => sum + gzipSync(body).length, 0);
  test.info().annotations.push({ type: 'javascript', description: `${(gzipped / 1024).toFixed(1)} KB gzip in ${scripts.length} files` });
  expect(gzipped).toBeLessThan(60 * 1024);
});

test("a quiz question's choices come in an order of each visit's own, each still scored by what it says", async ({ page }) => {
  const orders = new Set<string>();
  for (let visit = 0; visit < 6 && orders.size < 2; visit += 1) {
    await page.goto(`/${lesson}/`);
    const values = await page.locator(`form[data-question="${single.id}"] input`).evaluateAll((inputs) => inputs.map((input) => (input as HTMLInputElement).value));
    expect([...values].sort()).toEqual(single.choices.map((_, index) => String(index)));
    orders.add(values.join(','));
  }
  // Six visits in the authored order by chance: (1/24)^5 for four choices.
  expect(orders.size).toBeGreaterThan(1);
});

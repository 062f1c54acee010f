import { readdirSync, readFileSync } from 'node:fs';
import { expect, type Page, test } from '@playwright/test';
import { parse } from 'yaml';

const labCount = readdirSync('labs', { withFileTypes: true }).filter((entry) => entry.isDirectory()).length;
type Outline = { modules: Array<{ number: number; items: Array<{ lesson: string }> }> };
const outline = parse(readFileSync('content/curriculum.yaml', 'utf8')) as Outline;
/** Lessons of module 3 (Kubernetes fundamentals), as the sidebar counts them. */
const fundamentalsLessons = new Set(outline.modules.find((module) => module.number === 3)?.items.map((item) => item.lesson)).size;
const lessonCount = new Set((parse(readFileSync('content/curriculum.yaml', 'utf8')) as { modules: Array<{ items: Array<{ lesson: string }> }> }).modules.flatMap((module) => module.items.map((item) => item.lesson))).size;

const task = (page: Page, id: string) => page.locator(`[data-task="${id}"]`);

async function type(page: Page, command: string): Promise<void> {
  await page.locator('.cnlab-terminal .xterm').click();
  await page.keyboard.type(`${command}\n`);
}

test('a learner solves a lab in the terminal, sees each task tick, then resets it', async ({ page, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  page.on('dialog', (dialog) => void dialog.accept());
  await page.goto('/labs/service-endpoints/');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Expose a Deployment with a Service');

  // Checking the untouched lab says what is missing, in words.
  await page.getByRole('button', { name: 'Check all' }).click();
  await expect(task(page, 'deploy')).toHaveAttribute('data-state', 'failed');
  await expect(task(page, 'deploy')).toContainText('there is no Deployment named api in your namespace yet');
  await expect(page.getByRole('button', { name: 'Show solution' })).toBeEnabled();

  // Hints come one at a time, and each one opened is recorded once (the second as hint 1, not 2).
  const hintRequests: number[] = [];
  page.on('requestfinished', (request) => {
    if (request.url().endsWith('/hints')) void request.response().then((response) => hintRequests.push(response?.status() ?? 0));
  });
  await task(page, 'deploy').getByRole('button', { name: /Show a hint/ }).click();
  await expect(task(page, 'deploy').locator('.hints li')).toHaveCount(1);
  await task(page, 'expose').getByRole('button', { name: /Show a hint/ }).click();
  await task(page, 'expose').getByRole('button', { name: /Show another hint/ }).click();
  await expect(task(page, 'expose').locator('.hints li')).toHaveCount(2);
  await expect(async () => {
    const progress = (await (await page.request.get('/api/progress')).json()) as { labs: Array<{ lab: string; hintsUsed: number }> };
    expect(progress.labs.find((entry) => entry.lab === 'service-endpoints')?.hintsUsed).toBe(3);
  }).toPass({ timeout: 10_000 });
  // The page's requests are reported to the test asynchronously: wait for the third one too.
  await expect.poll(() => hintRequests).toEqual([204, 204, 204]);

  await page.getByRole('button', { name: 'Open the lab terminal' }).click();
  await expect(page.getByRole('complementary', { name: 'Lab terminal' }).getByRole('status')).toHaveText('connected');

  // The tasks tick by themselves as the learner works: no Check button needed.
  await type(page, 'kubectl create deployment api --image=nginx:1.26 --replicas=2');
  await expect(task(page, 'deploy')).toHaveAttribute('data-state', 'passed', { timeout: 20_000 });
  await expect(task(page, 'expose')).toHaveAttribute('data-state', 'failed');
  await type(page, 'kubectl expose deployment api --port=80');
  await expect(task(page, 'expose')).toHaveAttribute('data-state', 'passed', { timeout: 20_000 });

  await page.getByRole('button', { name: 'Show solution' }).click();
  await expect(page.locator('.solution')).toContainText('kubectl expose deployment api');
  // Long lines wrap rather than run off the panel, and the whole solution copies in one click.
  expect(await page.locator('.solution pre').evaluate((pre) => getComputedStyle(pre).whiteSpace)).toBe('pre-wrap');
  expect(await page.locator('.solution pre').evaluate((pre) => pre.scrollWidth <= pre.clientWidth)).toBe(true);
  await page.locator('.solution').getByRole('button', { name: 'Copy' }).click();
  await expect(page.locator('.solution').getByRole('button', { name: 'Copied' })).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(readFileSync('labs/service-endpoints/solution.sh', 'utf8'));

  // Reset wipes the learner's work and starts the lab over.
  await page.getByRole('button', { name: 'Reset lab' }).click();
  await expect(task(page, 'deploy')).toHaveAttribute('data-state', 'failed', { timeout: 20_000 });
  await expect(task(page, 'expose')).toHaveAttribute('data-state', 'failed');
  await type(page, 'echo deployments=$(kubectl get deployments --no-headers 2>/dev/null | wc -l)');
  await expect(page.locator('.cnlab-terminal .xterm-rows')).toContainText('deployments=0');
  // Only the namespace is wiped: the cluster's nodes, which learners may read, are untouched.
  await type(page, 'echo nodes=$(kubectl get nodes --no-headers | wc -l)');
  await expect(page.locator('.cnlab-terminal .xterm-rows')).toContainText('nodes=3');
});

test('a Run button types its command into the terminal', async ({ page }) => {
  await page.goto('/fundamentals/architecture/');
  await page.locator('[data-runnable="kubectl get nodes -o wide"]').getByRole('button', { name: 'Run' }).click();
  await expect(page.locator('.cnlab-terminal .xterm-rows')).toContainText(/node-000000\s+Ready/, { timeout: 20_000 });
});

test('progress shows in the navigation and on the progress page, and can be exported and erased', async ({ page }) => {
  page.on('dialog', (dialog) => void dialog.accept());
  // Reading a lesson to its end counts it as read.
  await page.goto('/fundamentals/architecture/');
  // The end of the prose is an empty marker, so the page scrolls it into view.
  await page.evaluate(() => document.querySelector('[data-lesson-end]')?.scrollIntoView());
  await expect(async () => {
    const progress = (await (await page.request.get('/api/progress')).json()) as { lessonsRead: string[] };
    expect(progress.lessonsRead).toContain('fundamentals/architecture');
  }).toPass({ timeout: 10_000 });

  // A checked task shows in the sidebar of every page.
  await page.goto('/labs/network-policy/');
  await page.getByRole('button', { name: 'Check all' }).click();
  await expect(page.locator('[data-task="default-deny"]')).toHaveAttribute('data-state', 'failed');
  await page.goto('/progress/');
  const sidebar = page.getByRole('navigation', { name: 'Main' });
  // Ticks per lesson (inside the collapsed module group), per module, and for the whole course.
  await expect(sidebar.locator('a[href="/fundamentals/architecture/"]')).toHaveAttribute('data-progress', '✓');
  await expect(sidebar.locator('summary .group-label', { hasText: 'Kubernetes fundamentals' })).toHaveAttribute('data-progress', `1/${fundamentalsLessons}`);
  await expect(sidebar.getByRole('link', { name: 'Your progress' })).toHaveAttribute('data-progress', `1/${lessonCount}`);
  await expect(page.getByRole('status').first()).toContainText(`0 of ${labCount} labs completed, 1 of ${lessonCount} lessons read.`);
  await expect(page.locator('[data-lab="network-policy"] [data-done]')).toHaveText('0 of 3');

  const download = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Download my data (JSON)' }).click();
  const exported = JSON.parse(await (await (await download).createReadStream()).toArray().then((chunks) => Buffer.concat(chunks).toString())) as { checkRuns: Array<{ lab: string }> };
  expect(exported.checkRuns.map((run) => run.lab)).toContain('network-policy');

  await page.getByRole('button', { name: 'Erase my progress' }).click();
  await expect(page.getByRole('status').first()).toContainText(`0 of ${labCount} labs completed, 0 of ${lessonCount} lessons read.`);
});

test('a completed lab shows its ticks and its completion after a reload, and a regression is explained', async ({ page, context }) => {
  await page.goto('/labs/service-endpoints/');
  await page.getByRole('button', { name: 'Open the lab terminal' }).click();
  await expect(page.getByRole('complementary', { name: 'Lab terminal' }).getByRole('status')).toHaveText('connected');
  await type(page, 'kubectl create deployment api --image=nginx:1.26 --replicas=2 && kubectl expose deployment api --port=80');
  await expect(task(page, 'expose')).toHaveAttribute('data-state', 'passed', { timeout: 30_000 });
  await expect(task(page, 'deploy')).toHaveAttribute('data-state', 'passed');
  // Finishing is a moment: the page says so and points onward.
  const complete = page.locator('lab-panel [data-complete]');
  await expect(complete).toBeVisible();
  await expect(complete.getByRole('link', { name: /^Next: / })).toHaveAttribute('href', /^\/(labs\/)?[a-z0-9/-]+\/$/);

  // A fresh tab (no terminal open, nothing checked): the ticks come from the learner's progress.
  const fresh = await context.newPage();
  await fresh.goto('/labs/service-endpoints/');
  await expect(task(fresh, 'deploy')).toHaveAttribute('data-state', 'passed');
  await expect(task(fresh, 'expose')).toHaveAttribute('data-state', 'passed');
  await expect(task(fresh, 'expose').locator('.state')).toHaveText('done');
  await expect(fresh.locator('lab-panel [data-complete]')).toBeVisible();
  await expect(fresh.getByRole('complementary', { name: 'Lab terminal' })).toHaveCount(0);
  await fresh.close();

  // Working on, the learner breaks a task that had passed: the page says when it passed and what is wrong now.
  await type(page, 'kubectl delete service api');
  const regression = /^This passed at \d{1,2}:\d{2}( [AP]M)?; now: there is no Service named api in your namespace yet$/;
  await expect(task(page, 'expose')).toHaveAttribute('data-state', 'failed', { timeout: 20_000 });
  await expect(task(page, 'expose').locator('.results li').first()).toHaveText(regression);
  await expect(task(page, 'expose').locator('.state')).toHaveText('no longer passes');
  const again = await context.newPage();
  await again.goto('/labs/service-endpoints/');
  await expect(task(again, 'expose').locator('.results li').first()).toHaveText(regression);
  await expect(task(again, 'deploy')).toHaveAttribute('data-state', 'passed');
  // Completed once stays completed: the store keeps it.
  await expect(again.locator('lab-panel [data-complete]')).toBeVisible();
});

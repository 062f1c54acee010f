import { execFileSync } from 'node:child_process';
import { expect, test } from '@playwright/test';
import { e2eEnv } from '../playwright.config.ts';

function createWorkshop(capacity: number, what = ['--labs', 'service-endpoints,network-policy']): { code: string; dashboard: string } {
  const output = execFileSync(process.execPath, ['server/cli.ts', 'workshop', 'create', '--title', 'Friday workshop', ...what, '--capacity', String(capacity)], {
    env: { ...process.env, ...e2eEnv },
    encoding: 'utf8',
  });
  const code = /^join code: +([A-Z0-9]{6})$/m.exec(output)?.[1];
  const dashboard = /^dashboard: +(\S+)$/m.exec(output)?.[1];
  if (!code || !dashboard) throw new Error(`no join code or dashboard in:\n${output}`);
  return { code, dashboard: new URL(dashboard).pathname + new URL(dashboard).search + new URL(dashboard).hash };
}

test('a learner joins a workshop with its code and a display name', async ({ page, browser }) => {
  const { code } = createWorkshop(1);
  await page.goto(`/workshop/join/?code=${code}`);
  await expect(page.getByLabel('Workshop code')).toHaveValue(code);
  await page.getByLabel('Your name, as the instructor will see it').fill('Ada');
  await page.getByRole('button', { name: 'Join' }).click();
  await expect(page.getByRole('heading', { name: 'Friday workshop' })).toBeVisible();
  await expect(page.getByRole('main').getByRole('link', { name: 'Expose a Deployment with a Service' })).toHaveAttribute('href', '/labs/service-endpoints/');

  // The one seat is taken: a second learner is told so, in words.
  const other = await browser.newContext();
  const second = await other.newPage();
  await second.goto(`/workshop/join/?code=${code}`);
  await second.getByLabel('Your name, as the instructor will see it').fill('Grace');
  await second.getByRole('button', { name: 'Join' }).click();
  await expect(second.getByRole('alert')).toHaveText('the workshop "Friday workshop" is full (1 learner): ask your instructor');
  await second.getByLabel('Workshop code').fill('NOPE42');
  await second.getByRole('button', { name: 'Join' }).click();
  await expect(second.getByRole('alert')).toHaveText('no workshop has the code NOPE42: check it with your instructor');
  await other.close();
});

test("the instructor's grid shows a learner's task the moment it passes, and nobody else sees it", async ({ browser }) => {
  const { code, dashboard } = createWorkshop(10);
  const instructor = await (await browser.newContext()).newPage();
  await instructor.goto(dashboard);
  await expect(instructor.getByRole('status').first()).toHaveText('Friday workshop: 0 of 10 learners joined. Stuck longest first.');

  const learnerContext = await browser.newContext();
  const learner = await learnerContext.newPage();
  await learner.goto(`/workshop/join/?code=${code}`);
  await learner.getByLabel('Your name, as the instructor will see it').fill('Ada');
  await learner.getByRole('button', { name: 'Join' }).click();
  await expect(learner.getByRole('heading', { name: 'Friday workshop' })).toBeVisible();
  await expect(instructor.getByRole('row', { name: /Ada/ })).toBeVisible();

  // A learner holding the dashboard path without the token sees nothing of it.
  await learner.goto(dashboard.split('#')[0] ?? '');
  await expect(learner.getByRole('status').first()).toContainText('needs the link printed by `cnlab workshop create`');
  expect((await learner.request.get(`/api/workshops/${code}/dashboard`)).status()).toBe(401);

  await learner.goto('/labs/service-endpoints/');
  await learner.getByRole('button', { name: 'Open the lab terminal' }).click();
  await expect(learner.getByRole('complementary', { name: 'Lab terminal' }).getByRole('status')).toHaveText('connected');
  await learner.locator('.cnlab-terminal .xterm').click();
  await learner.keyboard.type('kubectl create deployment api --image=nginx:1.26 --replicas=2\n');
  const cell = instructor.getByRole('row', { name: /Ada/ }).locator('[data-task="service-endpoints/deploy"]');
  await expect(cell).toHaveAttribute('data-state', 'passed', { timeout: 20_000 });
  await expect(instructor.getByRole('row', { name: /Ada/ }).locator('[data-task="service-endpoints/expose"]')).toHaveAttribute('data-state', 'failing');

  // From the grid the instructor watches Ada's terminal (read-only), then resets her lab.
  const row = instructor.getByRole('row', { name: /Ada/ });
  await row.getByRole('button', { name: 'Watch service-endpoints' }).click();
  await expect(instructor.getByRole('heading', { name: "Ada's terminal (service-endpoints)" })).toBeVisible();
  const view = instructor.locator('[data-watch-terminal] .xterm-rows');
  await expect(view).toContainText('deployment.apps/api created');
  await learner.keyboard.type('echo typed-by-ada\n');
  await expect(view).toContainText('typed-by-ada');
  instructor.on('dialog', (dialog) => void dialog.accept());
  await row.getByRole('button', { name: 'Reset service-endpoints' }).click();
  await expect(instructor.locator('[data-action]')).toHaveText('service-endpoints was reset for Ada.');
  await expect(cell).toHaveAttribute('data-state', 'failing', { timeout: 20_000 });
  await expect(learner.locator('[data-task="deploy"]')).toHaveAttribute('data-state', 'failed');
  await learnerContext.close();
});

test('a class sits the speed drill together: members wait, the instructor starts it, the dashboard counts submissions and spreads scores', async ({ browser }) => {
  const { code, dashboard } = createWorkshop(5, ['--exams', 'kcna-drill']);
  const learner = await (await browser.newContext()).newPage();
  await learner.goto(`/workshop/join/?code=${code}`);
  await learner.getByLabel('Your name, as the instructor will see it').fill('Ada');
  await learner.getByRole('button', { name: 'Join' }).click();
  await learner.getByRole('main').getByRole('link', { name: 'KCNA speed drill (opens when your instructor starts it)' }).click();
  await learner.getByRole('button', { name: 'Start the exam' }).click();
  await expect(learner.getByText('sits this exam together: it opens when your instructor starts it')).toBeVisible();

  const instructor = await (await browser.newContext()).newPage();
  await instructor.goto(dashboard);
  const sitting = instructor.locator('[data-sitting="kcna-drill"]');
  await expect(sitting).toContainText('Not started.');
  instructor.once('dialog', (dialog) => void dialog.accept());
  await sitting.getByRole('button', { name: 'Start KCNA speed drill for the whole class' }).click();
  await expect(sitting.locator('[data-sitting-status]')).toHaveText(/^Started .+, ends .+: 0 of 1 submitted\.$/);

  await learner.getByRole('button', { name: 'Start the exam' }).click();
  await expect(learner.locator('.exam-question legend')).toHaveText('Question 1 of 6');
  learner.once('dialog', (dialog) => void dialog.accept());
  await learner.getByRole('button', { name: 'Submit the exam' }).click();
  await expect(learner.locator('[data-result]')).toBeVisible();

  await expect(sitting.locator('[data-sitting-status]')).toHaveText(/: 1 of 1 submitted\.$/);
  await expect(sitting.getByRole('list', { name: 'Submitted scores by tenth' })).toContainText('0–9%: 1');
  await expect(sitting.locator('.sitters')).toHaveText('Ada: 0%, not passed');
});

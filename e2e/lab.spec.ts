import { expect, type Page, test } from '@playwright/test';

const task = (page: Page, id: string) => page.locator(`[data-task="${id}"]`);

async function type(page: Page, command: string): Promise<void> {
  await page.locator('.cnlab-terminal .xterm').click();
  await page.keyboard.type(`${command}\n`);
}

test('a learner solves a lab in the terminal, sees each task tick, then resets it', async ({ page }) => {
  page.on('dialog', (dialog) => void dialog.accept());
  await page.goto('/labs/service-endpoints/');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Expose a Deployment with a Service');

  // Checking the untouched lab says what is missing, in words.
  await page.getByRole('button', { name: 'Check all' }).click();
  await expect(task(page, 'deploy')).toHaveAttribute('data-state', 'failed');
  await expect(task(page, 'deploy')).toContainText('there is no Deployment named api in your namespace yet');
  await expect(page.getByRole('button', { name: 'Show solution' })).toBeEnabled();

  // Hints come one at a time.
  await task(page, 'deploy').getByRole('button', { name: /Show a hint/ }).click();
  await expect(task(page, 'deploy').locator('.hints li')).toHaveCount(1);

  await page.getByRole('button', { name: 'Open the lab terminal' }).click();
  await expect(page.getByRole('complementary', { name: 'Lab terminal' }).getByRole('status')).toHaveText('connected');

  // The tasks tick by themselves as the learner works: no Check button needed.
  await type(page, 'kubectl create deployment api --image=nginx:1.27 --replicas=2');
  await expect(task(page, 'deploy')).toHaveAttribute('data-state', 'passed', { timeout: 20_000 });
  await expect(task(page, 'expose')).toHaveAttribute('data-state', 'failed');
  await type(page, 'kubectl expose deployment api --port=80');
  await expect(task(page, 'expose')).toHaveAttribute('data-state', 'passed', { timeout: 20_000 });

  await page.getByRole('button', { name: 'Show solution' }).click();
  await expect(page.locator('.solution')).toContainText('kubectl expose deployment api');

  // Reset wipes the learner's work and starts the lab over.
  await page.getByRole('button', { name: 'Reset lab' }).click();
  await expect(task(page, 'deploy')).toHaveAttribute('data-state', 'failed', { timeout: 20_000 });
  await expect(task(page, 'expose')).toHaveAttribute('data-state', 'failed');
  await type(page, 'echo deployments=$(kubectl get deployments --no-headers 2>/dev/null | wc -l)');
  await expect(page.locator('.cnlab-terminal .xterm-rows')).toContainText('deployments=0');
});

test('a Run button types its command into the terminal', async ({ page }) => {
  await page.goto('/fundamentals/architecture/');
  await page.locator('[data-runnable="kubectl get nodes -o wide"]').getByRole('button', { name: 'Run' }).click();
  await expect(page.locator('.cnlab-terminal .xterm-rows')).toContainText(/node-000000\s+Ready/, { timeout: 20_000 });
});

import { execFileSync } from 'node:child_process';
import { expect, test } from '@playwright/test';
import { e2eEnv } from '../playwright.config.ts';

function createWorkshop(capacity: number): string {
  const output = execFileSync(process.execPath, ['server/cli.ts', 'workshop', 'create', '--title', 'Friday workshop', '--labs', 'service-endpoints,network-policy', '--capacity', String(capacity)], {
    env: { ...process.env, ...e2eEnv },
    encoding: 'utf8',
  });
  const code = /^join code: +([A-Z0-9]{6})$/m.exec(output)?.[1];
  if (!code) throw new Error(`no join code in:\n${output}`);
  return code;
}

test('a learner joins a workshop with its code and a display name', async ({ page, browser }) => {
  const code = createWorkshop(1);
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

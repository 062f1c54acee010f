import { execFileSync } from 'node:child_process';
import { expect, test } from '@playwright/test';
import { e2eEnv } from '../playwright.config.ts';

// The dashboard as an instructor's screen, laid out for a real class: 40 learners by 10 tasks at
// 1440 x 900. Checked by element positions, not pixels; the screenshot is kept for people.

const LABS = ['pod-hardening', 'network-policy', 'config-and-secrets']; // 4 + 3 + 3 tasks
const LEARNERS = 40;

test('40 learners by 10 tasks at 1440 x 900: full width, names and headers stay in view, a done row per task', async ({ browser, playwright, baseURL }) => {
  const output = execFileSync(process.execPath, ['server/cli.ts', 'workshop', 'create', '--title', 'Big class', '--labs', LABS.join(','), '--capacity', String(LEARNERS)], { env: { ...process.env, ...e2eEnv }, encoding: 'utf8' });
  const code = /^join code: +([A-Z0-9]{6})$/m.exec(output)?.[1] ?? '';
  const link = new URL(/^dashboard: +(\S+)$/m.exec(output)?.[1] ?? '');
  for (let i = 1; i <= LEARNERS; i += 1) {
    const learner = await playwright.request.newContext({ baseURL });
    expect((await learner.post('/api/workshops/join', { data: { code, name: `Learner ${String(i).padStart(2, '0')} with a long name` } })).status()).toBe(200);
    await learner.dispose();
  }

  const page = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
  await page.goto(link.pathname + link.search + link.hash);
  const rows = page.locator('[data-rows] tr');
  await expect(rows).toHaveCount(LEARNERS);
  await expect(page.locator('[data-head] th')).toHaveCount(1 + 10 + 3);
  // The done row counts each task's learners.
  await expect(page.locator('[data-done] td')).toHaveText([...Array.from({ length: 10 }, () => `0/${LEARNERS}`), '']);

  // No course sidebar: the grid has the window's width.
  await expect(page.getByRole('navigation', { name: 'Main' })).toBeHidden();
  const grid = page.locator('.grid-wrap');
  const frame = await grid.boundingBox();
  expect(frame?.width ?? 0).toBeGreaterThan(1200);
  await page.screenshot({ path: test.info().outputPath('dashboard-1440x900.png') });

  const firstName = rows.first().locator('th');
  const lastName = rows.last().locator('th');
  const taskHeader = page.locator('[data-head] th').nth(1);
  const before = { name: await firstName.boundingBox(), header: await taskHeader.boundingBox() };
  // Scrolled to the far corner: the names stay at the left edge, the headers at the top.
  const scrolled = await grid.evaluate((element) => {
    element.scrollLeft = element.scrollWidth;
    element.scrollTop = element.scrollHeight;
    return { top: element.scrollTop, left: element.scrollLeft };
  });
  expect(scrolled.top).toBeGreaterThan(0);
  await expect(lastName).toBeInViewport();
  const after = { name: await lastName.boundingBox(), header: await taskHeader.boundingBox() };
  expect(after.name?.x).toBe(before.name?.x);
  expect(after.header?.y).toBe(before.header?.y);
  const bottom = await page.locator('[data-done] th').boundingBox();
  expect((bottom?.y ?? 0) + (bottom?.height ?? 0)).toBeLessThanOrEqual((frame?.y ?? 0) + (frame?.height ?? 0) + 1);
  await page.screenshot({ path: test.info().outputPath('dashboard-1440x900-scrolled.png') });
});

import { readFileSync } from 'node:fs';
import { expect, type Page, test } from '@playwright/test';
import { parse } from 'yaml';

// Sessions a learner controls: one per lab, one shared by the lessons without a lab, a list to end
// them from, and at the cap a message that ends the least recently used one in one click.

type Listed = { id: string; lab: string; title: string; namespace: string };
const titleOf = (lab: string) => String((parse(readFileSync(`labs/${lab}/lab.yaml`, 'utf8')) as { title: string }).title);
const listed = async (page: Page) => ((await (await page.request.get('/api/sessions')).json()) as { sessions: Listed[] }).sessions;
const panel = (page: Page) => page.getByRole('complementary', { name: 'Lab terminal' });

async function openSessions(page: Page, labs: string[]): Promise<void> {
  // One at a time, so the first is the least recently used.
  for (const lab of labs) expect((await page.request.post('/api/sessions', { data: { lab } })).status()).toBe(201);
}

test('at the cap, the message ends the least recently used session in one click and opens the terminal', async ({ page }) => {
  await page.goto('/labs/service-endpoints/');
  await openSessions(page, ['network-policy', 'blue-green', 'config-and-secrets']);
  await page.getByRole('button', { name: 'Open the lab terminal' }).click();
  const message = page.locator('lab-terminal [data-message]');
  await expect(message).toContainText('You have 3 open sessions, the most you may have at once.');
  await message.getByRole('button', { name: `End “${titleOf('network-policy')}” (last used`, exact: false }).click();
  await expect(panel(page).getByRole('status')).toHaveText('connected');
  await expect(message).toBeHidden();
  expect((await listed(page)).map((session) => session.lab).sort()).toEqual(['blue-green', 'config-and-secrets', 'service-endpoints']);
});

test("Check and Reset grade the lab's own session when it is not the newest, and after it was ended", async ({ page }) => {
  page.on('dialog', (dialog) => void dialog.accept());
  await page.goto('/labs/service-endpoints/');
  await page.getByRole('button', { name: 'Open the lab terminal' }).click();
  await expect(panel(page).getByRole('status')).toHaveText('connected');
  await page.locator('.cnlab-terminal .xterm').click();
  await page.keyboard.type('kubectl create deployment api --image=nginx:1.26 --replicas=2 && kubectl rollout status deployment/api\n');
  await expect(page.locator('.cnlab-terminal .xterm-rows')).toContainText('successfully rolled out', { timeout: 60_000 });
  // Two newer sessions: the learner is at the cap, and this lab's session is the oldest.
  await openSessions(page, ['network-policy', 'blue-green']);
  await page.getByRole('button', { name: 'Hide' }).click();
  await page.reload();
  await page.getByRole('button', { name: 'Check all' }).click();
  await expect(page.locator('[data-task="deploy"]')).toHaveAttribute('data-state', 'passed');
  await expect(page.locator('lab-panel .message')).toBeHidden();

  // Ended from the terminal's menu: the panel lets it go, and the next Check opens a new one.
  await page.getByRole('button', { name: 'Open the lab terminal' }).click();
  await panel(page).getByRole('button', { name: 'Sessions' }).click();
  const menu = panel(page).getByRole('region', { name: 'Your sessions' });
  await expect(menu.locator('li')).toHaveCount(3);
  await menu.locator('li', { hasText: '(this page)' }).getByRole('button', { name: 'End' }).click();
  await expect(panel(page)).toBeHidden();
  await page.getByRole('button', { name: 'Reset lab' }).click();
  await expect(page.locator('[data-task="deploy"]')).toHaveAttribute('data-state', 'failed', { timeout: 20_000 });
  await expect(page.locator('lab-panel .message')).toBeHidden();
  expect((await listed(page)).filter((session) => session.lab === 'service-endpoints')).toHaveLength(1);
});

test('lessons without a lab share one general terminal; a lesson with a lab uses that lab\'s', async ({ page }) => {
  const namespaceOn = async (path: string) => {
    await page.goto(path);
    await page.getByRole('button', { name: 'Open the lab terminal' }).click();
    await expect(panel(page).getByRole('status')).toHaveText('connected');
    return (await panel(page).locator('[data-namespace]').textContent()) ?? '';
  };
  // The terminal follows the learner to the next page of the same session: it opens by itself.
  const followed = async (path: string) => {
    await page.goto(path);
    await expect(panel(page).getByRole('status')).toHaveText('connected');
    return (await panel(page).locator('[data-namespace]').textContent()) ?? '';
  };
  const first = await namespaceOn('/architecture/cloud-native/');
  expect(await followed('/architecture/community/')).toBe(first);
  const withLab = await namespaceOn('/fundamentals/architecture/');
  expect(withLab).not.toBe(first);
  expect(await followed('/labs/cluster-findings/')).toBe(withLab);
  expect((await listed(page)).map((session) => [session.lab, session.title]).sort()).toEqual([
    ['cluster-findings', titleOf('cluster-findings')],
    ['general', 'Lessons without a lab'],
  ]);
});

test('the progress page lists the learner\'s sessions, and End really ends one', async ({ page }) => {
  page.on('dialog', (dialog) => void dialog.accept());
  await page.goto('/progress/');
  await expect(page.locator('your-sessions')).toContainText('No open sessions');
  await openSessions(page, ['network-policy', 'blue-green']);
  await page.reload();
  const rows = page.locator('your-sessions li');
  await expect(rows).toHaveCount(2);
  const [oldest] = await listed(page);
  await rows.filter({ hasText: titleOf('network-policy') }).getByRole('button', { name: 'End' }).click();
  await expect(rows).toHaveCount(1);
  expect((await listed(page)).map((session) => session.lab)).toEqual(['blue-green']);
  // Ended means ended: the shell is gone, so its terminal cannot be attached any more.
  expect((await page.request.delete(`/api/sessions/${oldest?.id}`)).status()).toBe(404);
  // The page also names the learner by the id an instructor's `cnlab grade --learner` takes.
  await expect(page.locator('[data-learner-id]')).toHaveText(/^[0-9a-f-]{36}$/);
});

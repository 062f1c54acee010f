import { expect, type Page, test } from '@playwright/test';

const lesson = '/fundamentals/architecture/';
const screen = (page: Page) => page.locator('.cnlab-terminal .xterm-rows');

async function run(page: Page, command: string): Promise<void> {
  await page.locator('.cnlab-terminal .xterm').click();
  await page.keyboard.type(`${command}\n`);
}

test('a learner runs kubectl in their own namespace, and a reload finds the same shell', async ({ page }) => {
  await page.goto(lesson);
  await page.getByRole('button', { name: 'Open the lab terminal' }).click();
  const panel = page.getByRole('complementary', { name: 'Lab terminal' });
  await expect(panel.getByRole('status')).toHaveText('connected');
  const namespace = (await panel.locator('[data-namespace]').textContent()) ?? '';
  expect(namespace).toMatch(/^lab-[0-9a-f]{10}$/);
  // The prompt names the namespace, and kubectl defaults to it.
  await expect(screen(page)).toContainText(`learner@${namespace}`);

  await run(page, 'kubectl create deployment web --image=nginx --replicas=2');
  await expect(screen(page)).toContainText('deployment.apps/web created');
  await expect(async () => {
    await run(page, 'echo running=$(kubectl get pods --no-headers | grep -c Running)');
    await expect(screen(page)).toContainText('running=2', { timeout: 2000 });
  }).toPass({ timeout: 30_000 });
  // The pods are real: a process answers inside one, and its log is nginx's own.
  await run(page, 'kubectl exec deploy/web -- sh -c "nginx -v 2>&1; echo inside-$((6*7))"');
  await expect(screen(page)).toContainText('nginx version: nginx/1.26.3');
  await expect(screen(page)).toContainText('inside-42');
  await run(page, 'p=$(kubectl get pods -l app=web -o name | head -1); kubectl exec $p -- wget -qO- http://127.0.0.1/ >/dev/null; kubectl logs $p | tail -1');
  await expect(screen(page)).toContainText(/"GET \/ HTTP\/1\.1" 200/);
  await run(page, 'echo marker-$((6*7)) > ~/before-reload; kubectl get pods');
  await expect(screen(page)).toContainText(/web-[a-z0-9]+-[a-z0-9]+\s+1\/1\s+Running/);

  await page.reload();
  await expect(panel.getByRole('status')).toHaveText('connected');
  await expect(panel.locator('[data-namespace]')).toHaveText(namespace);
  // The scrollback from before the reload is replayed, and the shell still has its state.
  await expect(screen(page)).toContainText('Running');
  await run(page, 'cat ~/before-reload');
  await expect(screen(page)).toContainText('marker-42');
});

test('the terminal refuses a foreign page: no cookie, no shell', async ({ page, request }) => {
  await page.goto(lesson);
  const created = await page.request.post('/api/sessions', { data: { lab: 'architecture' } });
  expect(created.status()).toBe(201);
  const { id } = (await created.json()) as { id: string };
  // A request without the learner's cookie, as another site's script would send it.
  const response = await request.fetch(`/api/sessions/${id}/terminal`, {
    headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', origin: 'https://evil.example' },
  });
  expect(response.status()).toBe(403);
});

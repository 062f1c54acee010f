import { expect, test } from '@playwright/test';
import { versions } from '../server/versions.ts';

test('the sample lesson renders from content/', async ({ page }) => {
  await page.goto('/fundamentals/architecture/');
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Kubernetes architecture');
  await expect(page.getByRole('main')).toContainText('kube-apiserver');
  // Starlight's navigation and search are part of the course experience, not extras.
  await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: /Kubernetes architecture/ })).toBeVisible();
  await expect(page.getByRole('button', { name: /search/i }).first()).toBeVisible();
});

test('the lesson shows, and /api/health reports, the local cluster healthy with its nodes', async ({ page, request }) => {
  await page.goto('/fundamentals/architecture/');
  await expect(page.getByRole('status')).toContainText(`Lab cluster healthy: Kubernetes ${versions.kubernetes} (local), 3 nodes ready`);
  const response = await request.get('/api/health');
  expect(response.status()).toBe(200);
  const body = (await response.json()) as {
    status: string;
    cluster: { healthy: boolean; provider: string; version: string; readyNodes: number; apiUrl: string };
  };
  expect(body.status).toBe('ok');
  expect(body.cluster).toMatchObject({ healthy: true, provider: 'local', version: versions.kubernetes });
  expect(body.cluster.readyNodes).toBe(3);
  expect(body.cluster.apiUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
});

test('an unknown API route answers 404 in JSON, not with the site', async ({ request }) => {
  const response = await request.get('/api/nope');
  expect(response.status()).toBe(404);
  expect(await response.json()).toMatchObject({ error: expect.stringContaining('/api/nope') });
});

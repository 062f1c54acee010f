import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from '@playwright/test';

// The e2e platform gets a cluster of its own, so a developer's running cluster is never touched.
// CNLAB_E2E_NAME gives it another name, port and state folder, so several checkouts on one
// machine run their end-to-end tests side by side.
const name = process.env.CNLAB_E2E_NAME ?? 'cnlab-e2e';
const port = Number(process.env.CNLAB_E2E_PORT ?? 4399);
export const e2eEnv = {
  CNLAB_STATE_DIR: join(tmpdir(), `${name}-state`),
  CNLAB_CLUSTER_NAME: name,
  CNLAB_PROVIDER: 'local',
  CNLAB_COOKIE_SECRET: 'e2e-only-cookie-secret-0123456789abcdef',
};

export default defineConfig({
  testDir: 'e2e',
  timeout: 60_000,
  workers: 1,
  reporter: [['list'], ['json', { outputFile: 'test-results/e2e.json' }]],
  // Playwright empties its output folder on start; the unit test report lives beside it.
  outputDir: 'test-results/e2e',
  globalTeardown: './e2e/teardown.ts',
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    browserName: 'chromium',
    launchOptions: {
      // Debian's Chromium: Playwright's own browser builds cannot be downloaded here.
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    },
  },
  webServer: {
    command: `node server/cli.ts start --port ${port}`,
    url: `http://127.0.0.1:${port}/api/health`,
    env: { ...e2eEnv, LOG_LEVEL: 'warn' },
    timeout: 300_000,
    reuseExistingServer: false,
    stdout: 'pipe',
  },
});

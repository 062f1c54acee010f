import { execFileSync } from 'node:child_process';
import { e2eEnv } from '../playwright.config.ts';

// The web server stops with the run; its cluster would not, so it is taken down here.
export default function teardown(): void {
  execFileSync(process.execPath, ['server/cli.ts', 'cluster', 'down'], { env: { ...process.env, ...e2eEnv }, stdio: 'inherit' });
}

import { CnlabError } from '../errors.ts';
import { logger } from '../log.ts';
import { sessionSettings } from '../sessions/settings.ts';
import { createSteps } from '../steps.ts';
import type { ProviderChoice } from '../cluster/select.ts';
import { startBackgroundWork } from './background.ts';
import { buildPlatform, clusterUp } from './platform.ts';
import { ensureSiteBuilt } from './site.ts';

export type StartOptions = ProviderChoice & { host: string; port: number };

/** `npm start`: cluster up, site built, server listening; then says where to go. */
export async function startPlatform(options: StartOptions): Promise<void> {
  const steps = createSteps();
  const access = await clusterUp(options, steps);
  await ensureSiteBuilt(steps);
  const platform = await buildPlatform(access, steps, { http: { host: options.host, port: options.port } });
  const { http, store, sessions } = platform;
  if (!http) throw new Error('the platform was built without its web server');
  try {
    await http.listen({ host: options.host, port: options.port });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new CnlabError(
        `port ${options.port} on ${options.host} is already in use`,
        `stop the program using it, or start on another port: PORT=${options.port + 1} npm start`,
      );
    }
    throw error;
  }
  // Expired namespaces and ended workshops are cleaned up as often as sessions are swept, by one
  // server at a time.
  const background = await startBackgroundWork({ kc: platform.kc, store, sessions, logger, everyMs: sessionSettings().sweepSeconds * 1000 });
  const url = `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${options.port}/`;
  steps.info(`cnlab is ready in ${steps.elapsed().toFixed(1)}s: open ${url}`);
  steps.info('Ctrl-C stops the server; the cluster keeps running for a fast restart (`npm run cnlab -- cluster down` stops it)');

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void background
        .stop()
        .then(() => platform.stop())
        .then(() => process.exit(0));
    });
  }
}

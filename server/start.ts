import { loadKubeConfig } from './cluster/health.ts';
import { writeRecord, readRecord } from './cluster/record.ts';
import { chooseProvider, type ProviderChoice } from './cluster/select.ts';
import { CnlabError } from './errors.ts';
import { loadCourse } from './course/load.ts';
import { buildApp } from './http/app.ts';
import { gradingToken } from './http/grading-api.ts';
import { cookieSecret } from './http/identity.ts';
import { logger } from './log.ts';
import { stateDir } from './paths.ts';
import { createSteps } from './steps.ts';
import { sessionManagerFor } from './sessions/for-cluster.ts';
import { sessionSettings } from './sessions/settings.ts';
import { openStore } from './store/open.ts';
import { ensureSiteBuilt, siteDir } from './site.ts';
import { endWorkshops } from './workshops/end.ts';

export type StartOptions = ProviderChoice & { host: string; port: number };

/** `npm start`: cluster up, site built, server listening; then says where to go. */
export async function startPlatform(options: StartOptions): Promise<void> {
  const progress = createSteps();
  const provider = await chooseProvider(options, progress);
  const access = await provider.up(progress);
  await writeRecord(access);
  await ensureSiteBuilt(progress);
  const store = await openStore();
  const { sessions, grader, labs } = await sessionManagerFor(access, progress, store);
  // The record is read on every health check so a `cnlab cluster down` is reported at once.
  const app = await buildApp({ siteDir, cluster: readRecord, logger, sessions,
    grader,
    labs,
    quizzes: (await loadCourse()).quizzes,
    store,
    cookieSecret: await cookieSecret(stateDir()),
    kc: loadKubeConfig(access),
    gradingToken: await gradingToken(stateDir()),
  });
  try {
    await app.listen({ host: options.host, port: options.port });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new CnlabError(
        `port ${options.port} on ${options.host} is already in use`,
        `stop the program using it, or start on another port: PORT=${options.port + 1} npm start`,
      );
    }
    throw error;
  }
  // Ended workshops are cleaned up as often as sessions are swept.
  const ending = setInterval(
    () => void endWorkshops(store, sessions, logger).catch((error: unknown) => logger.error({ err: error }, 'cleaning up ended workshops failed')),
    sessionSettings().sweepSeconds * 1000,
  );
  ending.unref();
  const url = `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${options.port}/`;
  progress.info(`cnlab is ready in ${progress.elapsed().toFixed(1)}s: open ${url}`);
  progress.info('Ctrl-C stops the server; the cluster keeps running for a fast restart (`npm run cnlab -- cluster down` stops it)');

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      clearInterval(ending);
      void Promise.all([app.close(), sessions.stop()])
        .then(() => store.close())
        .then(() => process.exit(0));
    });
  }
}

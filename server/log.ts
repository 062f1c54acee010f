import { destination, pino } from 'pino';
import { setting } from './settings.ts';

// A bad LOG_LEVEL is named by the CLI, which checks every setting before a command runs; the
// logger exists before that (on import), so it starts at the default rather than throwing there.
function level(): string {
  try {
    return setting('LOG_LEVEL');
  } catch {
    return 'info';
  }
}

// One structured logger for the server; fastify's request logs go through it too. It writes to
// stderr: a command's stdout is its result (`labs test --json | jq`), never interleaved with logs.
export const logger = pino({ level: level(), base: { service: 'cnlab' } }, destination({ dest: 2, sync: true }));

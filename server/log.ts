import { pino } from 'pino';

// One structured logger for the server; fastify's request logs go through it too.
export const logger = pino({ level: process.env.LOG_LEVEL ?? 'info', base: { service: 'cnlab' } });

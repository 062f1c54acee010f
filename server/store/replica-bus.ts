import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Logger } from 'pino';
import { type Bus, createBus } from '../shared/bus.ts';
import { postgresConnection } from './postgres.ts';

// Events that must reach every server process, not only the one that raised them: a grade
// computed on one server reaches the learner's terminal socket on another. With PostgreSQL (the
// one thing several servers share) they travel by LISTEN/NOTIFY; with SQLite there is one server
// and the in-process bus is all there is. Both are a Bus: the speaker and the listeners do not
// know which one they were given.
//
// NOTIFY payloads are limited to 8000 bytes and a lab's result can be longer, so the payload is
// written to replica_events and the notification carries its id; rows older than a minute go.

export type ReplicaBus<Events extends Record<string, unknown>> = Bus<Events> & { close(): Promise<void> };

const CHANNEL = 'cnlab_events';
const KEPT_MS = 60_000;
const BACKOFF_MS = { first: 250, most: 10_000 };

/** One server: the in-process bus. */
export function localBus<Events extends Record<string, unknown>>(): ReplicaBus<Events> {
  return { ...createBus<Events>(), close: async () => undefined };
}

/**
 * Every server on this PostgreSQL: `emit` publishes (in the order emitted) and every process's
 * listeners, this one's included, are called when the notification arrives. Resolves once this
 * process listens. Events published while its listening connection is down are missed (it
 * reconnects by itself, waiting longer after each failure).
 */
export async function postgresBus<Events extends Record<string, unknown>>(url: string, logger: Logger): Promise<ReplicaBus<Events>> {
  const db = postgresConnection(url, { max: 2 });
  const local = createBus<Events>();
  let published: Promise<void> = Promise.resolve();
  let delivered: Promise<void> = Promise.resolve();
  let listener: pg.Client | undefined;
  let closed = false;
  let backoff = BACKOFF_MS.first;
  let retry: NodeJS.Timeout | undefined;

  const deliver = async (id: string) => {
    const [row] = await db.rows('SELECT payload FROM replica_events WHERE id = ?', [id]);
    if (!row) return;
    const { event, payload } = JSON.parse(String(row.payload)) as { event: keyof Events; payload: Events[keyof Events] };
    local.emit(event, payload);
  };

  const listen = async (): Promise<void> => {
    const client = new pg.Client({ connectionString: url });
    const lost = (error?: Error) => {
      if (listener !== client) return;
      listener = undefined;
      client.removeAllListeners('notification');
      void client.end().catch(() => undefined);
      if (closed) return;
      logger.warn({ err: error, retryInMs: backoff }, 'the connection that receives events from other servers was lost: reconnecting');
      scheduleRetry();
    };
    client.on('error', lost);
    client.on('end', () => lost());
    client.on('notification', (message) => {
      if (message.channel !== CHANNEL || !message.payload) return;
      const id = message.payload;
      // One after another, so listeners see events in the order PostgreSQL delivered them.
      delivered = delivered.then(() => deliver(id)).catch((error: unknown) => logger.error({ err: error, event: id }, 'could not read an event from another server'));
    });
    listener = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
    } catch (error) {
      lost(error as Error);
      throw error;
    }
    backoff = BACKOFF_MS.first;
  };

  const scheduleRetry = () => {
    retry = setTimeout(() => {
      retry = undefined;
      listen().catch(() => undefined);
    }, backoff);
    retry.unref();
    backoff = Math.min(backoff * 2, BACKOFF_MS.most);
  };

  await listen().catch(async (error: unknown) => {
    clearTimeout(retry);
    closed = true;
    await db.close();
    throw error;
  });

  return {
    on: local.on,
    emit(event, payload) {
      const id = randomUUID();
      const now = Date.now();
      published = published
        .then(() =>
          db.transaction(async ({ execute, rows }) => {
            await execute('DELETE FROM replica_events WHERE at < ?', [now - KEPT_MS]);
            await execute('INSERT INTO replica_events (id, payload, at) VALUES (?, ?, ?)', [id, JSON.stringify({ event, payload }), now]);
            // Delivered when the transaction commits, so the row is there for every reader.
            await rows('SELECT pg_notify(?, ?)', [CHANNEL, id]);
          }),
        )
        .catch((error: unknown) => logger.error({ err: error, event }, 'could not send an event to the other servers'));
    },
    async close() {
      closed = true;
      clearTimeout(retry);
      const client = listener;
      listener = undefined;
      await client?.end().catch(() => undefined);
      await published;
      await delivered;
      await db.close();
    },
  };
}

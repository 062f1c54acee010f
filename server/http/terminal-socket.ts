import type { FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import { z } from 'zod';
import { metrics } from '../metrics.ts';
import { RefusalExplainer } from '../sessions/forbidden.ts';
import type { GradeEvents } from '../labs/auto-grader.ts';
import type { Session, SessionManager } from '../sessions/manager.ts';
import type { Bus } from '../shared/bus.ts';
import { type ClientFrame, MAX_FRAME_BYTES, type ServerFrame, TERMINAL_LIMITS as LIMITS } from '../shared/terminal-protocol.ts';
import type { TerminalClient } from '../sessions/terminal.ts';
import { learnerOf } from './identity.ts';

// The learner's terminal over a WebSocket, and an instructor's read-only view of it. The frames
// are declared in server/shared/terminal-protocol.ts.

// Input allowance per socket: a burst the size of the largest frame, then a steady rate far above
// typing speed. A flood beyond it is dropped with an error, never queued.
const INPUT_BURST_BYTES = MAX_FRAME_BYTES;
const INPUT_BYTES_PER_SECOND = 256 * 1024;

const clientMessage: z.ZodType<ClientFrame> = z.discriminatedUnion('type', [
  z.object({ type: z.literal('data'), data: z.string() }),
  z.object({ type: z.literal('resize'), cols: z.number().int().min(1).max(LIMITS.cols), rows: z.number().int().min(1).max(LIMITS.rows) }),
  z.object({ type: z.literal('ping'), id: z.number().or(z.string()).optional() }),
]);

export function registerTerminalSocket(app: FastifyInstance, sessions: SessionManager, grades: Bus<GradeEvents>): void {
  app.get<{ Params: { id: string } }>(
    '/api/sessions/:id/terminal',
    {
      websocket: true,
      // Checked before the upgrade, so a refused attach gets a plain HTTP status. The origin is
      // the host guard's (host-guard.ts), as for every socket.
      preValidation: async (request, reply) => {
        const learner = learnerOf(request);
        if (!learner) return reply.code(401).send({ error: 'no learner cookie: open the lesson page first' });
        const session = sessions.get(request.params.id);
        // Another learner's session id and an unknown one get the same answer.
        if (!session || session.learner !== learner.id) return reply.code(404).send({ error: 'no such session: start the terminal again' });
      },
    },
    (socket, request) => {
      const session = sessions.get(request.params.id);
      if (!session) {
        socket.close(1011, 'session closed');
        return;
      }
      attach(socket, session, sessions, grades);
    },
  );
}

/**
 * Output frames to a socket: the learner's own, or a watcher's. Live output (not the scrollback
 * replayed on attach, which was explained when it happened) is read for refusals to explain.
 */
function outputTo(socket: WebSocket, session: Session) {
  const send = (message: ServerFrame) => {
    if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
  };
  const refusals = new RefusalExplainer(session.namespace);
  const client: TerminalClient = {
    send: (data) => {
      send({ type: 'data', data });
      for (const message of refusals.read(data)) send({ type: 'notice', message });
    },
    buffered: () => socket.bufferedAmount,
    ended: () => {
      send({ type: 'exit', reason: 'the shell has ended (it exited, idled out or expired); start the terminal again for a new one' });
      socket.close(1000, 'shell ended');
    },
  };
  /** Attaches the client to the session's shell, replaying its recent screen first. */
  const attachClient = () => {
    send({ type: 'attached', namespace: session.namespace });
    const scrollback = session.terminal.attach(client);
    if (scrollback) send({ type: 'data', data: scrollback });
  };
  return { send, attachClient, client };
}

/** An instructor watches a learner's shell: the scrollback, then its output; never its input. */
export function watch(socket: WebSocket, session: Session): void {
  const { send, attachClient, client } = outputTo(socket, session);
  attachClient();
  socket.on('message', () => {
    metrics.errors.inc({ kind: 'terminal_frame' });
    send({ type: 'error', message: 'this is a read-only view of a learner\'s terminal: input is not sent' });
  });
  socket.on('close', () => session.terminal.detach(client));
  socket.on('error', () => socket.terminate());
}

function attach(socket: WebSocket, session: Session, sessions: SessionManager, grades: Bus<GradeEvents>): void {
  const { send, attachClient, client } = outputTo(socket, session);
  const refuse = (message: string) => {
    metrics.errors.inc({ kind: 'terminal_frame' });
    send({ type: 'error', message });
  };
  attachClient();

  let allowance = INPUT_BURST_BYTES;
  let lastRefill = Date.now();
  const withinAllowance = (bytes: number) => {
    const now = Date.now();
    allowance = Math.min(INPUT_BURST_BYTES, allowance + ((now - lastRefill) / 1000) * INPUT_BYTES_PER_SECOND);
    lastRefill = now;
    if (bytes > allowance) return false;
    allowance -= bytes;
    return true;
  };

  socket.on('message', (raw, isBinary) => {
    if (isBinary) return refuse('binary frames are not part of the terminal protocol; send JSON text frames');
    let parsed;
    try {
      parsed = clientMessage.safeParse(JSON.parse(raw.toString()));
    } catch {
      return refuse('a frame was not valid JSON and was ignored');
    }
    if (!parsed.success) return refuse(`a frame was ignored: ${parsed.error.issues[0]?.message ?? 'unknown message'} (resize is limited to ${LIMITS.cols}x${LIMITS.rows})`);
    const message = parsed.data;
    switch (message.type) {
      case 'data': {
        const bytes = Buffer.byteLength(message.data);
        if (!withinAllowance(bytes)) return refuse(`input is arriving faster than ${INPUT_BYTES_PER_SECOND / 1024} KiB/s; ${bytes} bytes were dropped`);
        metrics.terminalBytes.inc({ direction: 'in' }, bytes);
        sessions.touch(session);
        session.terminal.write(message.data);
        return;
      }
      case 'resize':
        session.terminal.resize(message.cols, message.rows);
        return;
      case 'ping':
        send({ type: 'pong', id: message.id });
        return;
    }
  });
  // The lab panel's automatic ticks ride on the terminal's connection.
  const unsubscribe = [
    grades.on('graded', (event) => event.session === session.id && send({ type: 'progress', result: event.result })),
    grades.on('ungraded', (event) => event.session === session.id && send({ type: 'ungraded', message: event.message })),
  ];
  socket.on('close', () => {
    session.terminal.detach(client);
    for (const stop of unsubscribe) stop();
  });
  socket.on('error', () => socket.terminate());
}

// The learner's sessions, as the page asks the server for them: one per lab, created on first
// use and the same one afterwards (the server hands back the live session for a learner and lab).
import { dispatchPageEvent } from '../../server/shared/terminal-protocol.ts';

export type LabSession = { id: string; namespace: string; lab: string };

/** One of the learner's open sessions, as GET /api/sessions lists them. */
export type SessionSummary = { id: string; lab: string; title: string; namespace: string; openedAt: string; lastInputAt: string; expiresAt: string };

/** The learner has as many sessions as they may: `sessions` are theirs, least recently used first. */
export class SessionCapError extends Error {
  readonly sessions: SessionSummary[];

  constructor(message: string, sessions: SessionSummary[]) {
    super(message);
    this.sessions = sessions;
  }
}

const NO_SERVER = 'The lab server does not answer: the terminal needs the platform running (npm start).';

export async function startSession(lab: string): Promise<LabSession> {
  const response = await fetch('/api/sessions', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ lab }),
  }).catch(() => {
    throw new Error(NO_SERVER);
  });
  const body = (await response.json().catch(() => ({}))) as { id?: string; namespace?: string; error?: string; sessions?: SessionSummary[] };
  if (response.status === 429 && body.sessions && body.sessions.length > 0) throw new SessionCapError(body.error ?? 'you have too many open terminals', body.sessions);
  if (!response.ok || !body.id || !body.namespace) throw new Error(body.error ?? `The terminal could not start (HTTP ${response.status}).`);
  return { id: body.id, namespace: body.namespace, lab };
}

export async function listSessions(): Promise<SessionSummary[]> {
  const response = await fetch('/api/sessions').catch(() => {
    throw new Error(NO_SERVER);
  });
  if (!response.ok) throw new Error(`The lab server answered ${response.status}.`);
  return ((await response.json()) as { sessions: SessionSummary[] }).sessions;
}

/** Ends a session for good: its shell stops and its namespace is deleted. */
export async function endSession(id: string): Promise<void> {
  const response = await fetch(`/api/sessions/${id}`, { method: 'DELETE' }).catch(() => {
    throw new Error(NO_SERVER);
  });
  // Already gone (idled out, ended in another tab) is what was asked for.
  if (!response.ok && response.status !== 404) throw new Error(`The session could not be ended (HTTP ${response.status}).`);
  dispatchPageEvent('cnlab:session-ended', { id });
}

export const clock = (iso: string) => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

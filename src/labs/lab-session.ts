import { onPageEvent } from '../../server/shared/terminal-protocol.ts';
import { type LabSession, startSession } from '../terminal/session.ts';

// The lab panel's hold on the learner's session for its lab: the terminal's when it opened it,
// else one started on first use. A session that has ended meanwhile (idled out, ended from Your
// sessions) is replaced once, so Check and Reset work whichever session is newest.

export type LabSessionCalls = {
  /** Sends a request to the lab's session (`/api/sessions/<id>/<path>`) and returns its JSON. */
  call<T>(method: string, path: string, body?: unknown): Promise<T>;
};

export function labSession(lab: string): LabSessionCalls {
  let session: Promise<LabSession> | undefined;
  let held: string | undefined;
  const forget = () => {
    session = undefined;
    held = undefined;
  };
  onPageEvent('cnlab:session', (opened) => {
    // The terminal of another lab (a lesson's first lab, the general terminal) is not this lab's.
    if (opened.lab !== lab) return;
    session = Promise.resolve(opened);
    held = opened.id;
  });
  onPageEvent('cnlab:session-ended', ({ id }) => {
    if (id === held) forget();
  });
  const ensure = () =>
    (session ??= startSession(lab).then(
      (started) => {
        held = started.id;
        return started;
      },
      (error: unknown) => {
        // A refusal (the cap, the cluster) is not remembered: the next click asks again.
        forget();
        throw error;
      },
    ));

  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    for (let attempt = 0; ; attempt += 1) {
      const { id } = await ensure();
      const response = await fetch(`/api/sessions/${id}/${path}`, {
        method,
        ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      });
      const json = (await response.json().catch(() => ({}))) as T & { error?: string };
      if (response.status === 404 && attempt === 0 && id === held) {
        forget();
        continue;
      }
      if (!response.ok) throw new Error(json.error ?? `the lab server answered ${response.status}`);
      return json;
    }
  }
  return { call };
}

// The learner's session for a lab: created on first use, the same one afterwards (the server
// hands back the live session for a learner and lab).

export type LabSession = { id: string; namespace: string };

export async function startSession(lab: string): Promise<LabSession> {
  const response = await fetch('/api/sessions', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ lab }),
  }).catch(() => {
    throw new Error('The lab server does not answer: the terminal needs the platform running (npm start).');
  });
  const body = (await response.json().catch(() => ({}))) as { id?: string; namespace?: string; error?: string };
  if (!response.ok || !body.id || !body.namespace) throw new Error(body.error ?? `The terminal could not start (HTTP ${response.status}).`);
  return { id: body.id, namespace: body.namespace };
}

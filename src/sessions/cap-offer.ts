// Why a session could not start, where the learner asked for it; at their cap, one button that
// ends their least recently used session and carries on with what they were doing.
import { clock, endSession, SessionCapError } from '../terminal/session.ts';
import './sessions.css';

export function showSessionError(target: HTMLElement, error: unknown, retry: () => unknown): void {
  target.hidden = false;
  const oldest = error instanceof SessionCapError ? error.sessions[0] : undefined;
  if (!oldest) {
    target.replaceChildren((error as Error).message);
    return;
  }
  const count = (error as SessionCapError).sessions.length;
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'cnlab-end-oldest';
  button.textContent = `End “${oldest.title}” (last used ${clock(oldest.lastInputAt)}) and continue`;
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      await endSession(oldest.id);
      target.hidden = true;
      await retry();
    } catch (next) {
      showSessionError(target, next, retry);
    }
  });
  const list = document.createElement('a');
  list.href = '/progress/#your-sessions';
  list.textContent = 'choose another in Your sessions';
  target.replaceChildren(`You have ${count} open sessions, the most you may have at once. `, button, ' or ', list, '.');
}

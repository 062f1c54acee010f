import type { LabResult } from '../../server/shared/grades.ts';
import { onPageEvent } from '../../server/shared/terminal-protocol.ts';
import { type LabSession, startSession } from '../terminal/session.ts';

// Drives a <lab-panel>: grading on request and as the server pushes it, hints one at a time,
// reset, and the solution once the learner has tried.

async function call<T>(method: string, url: string): Promise<T> {
  const response = await fetch(url, { method });
  const body = (await response.json().catch(() => ({}))) as T & { error?: string };
  if (!response.ok) throw new Error(body.error ?? `the lab server answered ${response.status}`);
  return body;
}

export function startLabPanel(panel: HTMLElement): void {
  const lab = panel.dataset.lab ?? '';
  const message = panel.querySelector<HTMLElement>('.message');
  const solutionButton = panel.querySelector<HTMLButtonElement>('[data-solution]');
  const solution = panel.querySelector<HTMLElement>('.solution');
  let session: Promise<LabSession> | undefined;
  const ensureSession = () => (session ??= startSession(lab));
  // The terminal opened the session first: reuse it rather than asking again.
  onPageEvent('cnlab:session', (opened) => {
    session = Promise.resolve(opened);
  });

  const showError = (error: unknown) => {
    if (!message) return;
    message.hidden = false;
    message.textContent = (error as Error).message;
  };

  const render = (result: LabResult, only?: string) => {
    if (message) message.hidden = true;
    for (const task of result.tasks) {
      if (only && task.id !== only) continue;
      const item = panel.querySelector<HTMLElement>(`[data-task="${task.id}"]`);
      if (!item) continue;
      item.dataset.state = task.passed ? 'passed' : 'failed';
      const state = item.querySelector('.state');
      if (state) state.textContent = task.passed ? 'done' : 'not yet';
      const list = item.querySelector('.results');
      // What is still wrong, one sentence per failing check; nothing more once the task is done.
      list?.replaceChildren(
        ...[...new Set(task.checks.filter((check) => !check.ok).map((check) => check.message))].map((text) => {
          const entry = document.createElement('li');
          entry.textContent = text;
          return entry;
        }),
      );
    }
  };

  const grade = async (only?: string) => {
    try {
      const { id } = await ensureSession();
      const result = await call<LabResult & { unsaved?: string }>('POST', `/api/sessions/${id}/grade`);
      render(result, only);
      if (result.unsaved) showError(new Error(`Checked, but your progress could not be saved: ${result.unsaved}`));
      if (solutionButton) {
        solutionButton.disabled = false;
        solutionButton.title = '';
      }
    } catch (error) {
      showError(error);
    }
  };

  for (const item of panel.querySelectorAll<HTMLElement>('[data-task]')) {
    item.querySelector('[data-check]')?.addEventListener('click', () => void grade(item.dataset.task));
    const hintButton = item.querySelector<HTMLButtonElement>('[data-hint]');
    const hints = JSON.parse(hintButton?.dataset.hints ?? '[]') as string[];
    let shown = 0;
    hintButton?.addEventListener('click', () => {
      // Hints used are part of the learner's progress; the hint shows even if recording fails.
      void ensureSession()
        .then(({ id }) => fetch(`/api/sessions/${id}/hints`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ task: item.dataset.task, hint: shown }) }))
        .catch(() => undefined);
      const hint = document.createElement('li');
      hint.innerHTML = hints[shown] ?? '';
      item.querySelector('.hints')?.append(hint);
      shown += 1;
      hintButton.textContent = shown < hints.length ? `Show another hint (${hints.length - shown} left)` : 'No more hints';
      hintButton.disabled = shown >= hints.length;
    });
  }
  panel.querySelector('[data-check-all]')?.addEventListener('click', () => void grade());

  panel.querySelector('[data-reset]')?.addEventListener('click', async () => {
    if (!window.confirm('Reset the lab? Everything you created in your namespace is deleted and the lab starts over.')) return;
    try {
      const { id } = await ensureSession();
      render(await call<LabResult>('POST', `/api/sessions/${id}/reset`));
    } catch (error) {
      showError(error);
    }
  });

  solutionButton?.addEventListener('click', async () => {
    try {
      const { id } = await ensureSession();
      const { solution: text } = await call<{ solution: string }>('GET', `/api/sessions/${id}/solution`);
      if (solution) {
        solution.hidden = false;
        solution.querySelector('code')?.replaceChildren(text);
      }
    } catch (error) {
      showError(error);
    }
  });

  // Grades the server pushes after terminal activity.
  onPageEvent('cnlab:progress', (result) => render(result));
  // The ticks stay as they were: the work was not judged, so nothing turns red.
  onPageEvent('cnlab:ungraded', (text) => showError(new Error(text)));
}

import type { LabResult, LabState } from '../../server/shared/grades.ts';
import { onPageEvent } from '../../server/shared/terminal-protocol.ts';
import { showSessionError } from '../sessions/cap-offer.ts';
import { labSession } from './lab-session.ts';
import { showTask, type TaskView, when } from './task-view.ts';

// Drives a <lab-panel>: where the learner left off (from their progress), grading on request and
// as the server pushes it, hints one at a time, reset, completion, and the solution once tried.

export function startLabPanel(panel: HTMLElement): void {
  const lab = panel.dataset.lab ?? '';
  const message = panel.querySelector<HTMLElement>('.message');
  const solutionButton = panel.querySelector<HTMLButtonElement>('[data-solution]');
  const solution = panel.querySelector<HTMLElement>('.solution');
  const complete = panel.querySelector<HTMLElement>('[data-complete]');
  const session = labSession(lab);
  /** When each task last passed, from the store and from every grade seen since. */
  const lastPassed = new Map<string, string>();

  const showError = (error: unknown, retry: () => unknown) => {
    if (message) showSessionError(message, error, retry);
  };

  const markComplete = (at: string) => {
    if (!complete) return;
    complete.hidden = false;
    const text = complete.querySelector('[data-completed-at]');
    if (text) text.textContent = `at ${when(at)}`;
  };

  const task = (id: string) => panel.querySelector<HTMLElement>(`[data-task="${id}"]`);

  const render = (result: LabResult, only?: string) => {
    if (message) message.hidden = true;
    for (const graded of result.tasks) {
      if (graded.passed) lastPassed.set(graded.id, result.gradedAt);
      const item = task(graded.id);
      if (!item || (only && graded.id !== only)) continue;
      const view: TaskView = { passed: graded.passed, messages: graded.checks.filter((check) => !check.ok).map((check) => check.message), lastPassedAt: lastPassed.get(graded.id) ?? null };
      showTask(item, view);
    }
    // The store records a lab as completed when one grading passes every task; so does the page.
    if (result.passed && complete?.hidden) markComplete(result.gradedAt);
  };

  const grade = async (only?: string) => {
    try {
      const result = await session.call<LabResult & { unsaved?: string }>('POST', 'grade');
      render(result, only);
      if (result.unsaved && message) {
        message.hidden = false;
        message.textContent = `Checked, but your progress could not be saved: ${result.unsaved}`;
      }
      if (solutionButton) {
        solutionButton.disabled = false;
        solutionButton.title = '';
      }
    } catch (error) {
      showError(error, () => grade(only));
    }
  };

  /** Per task: show its hints up to a count (the ones the learner opened before this page). */
  const hintsUpTo = new Map<string, (count: number) => void>();
  for (const item of panel.querySelectorAll<HTMLElement>('[data-task]')) {
    const id = item.dataset.task ?? '';
    item.querySelector('[data-check]')?.addEventListener('click', () => void grade(id));
    const hintButton = item.querySelector<HTMLButtonElement>('[data-hint]');
    if (!hintButton) continue;
    const hints = JSON.parse(hintButton.dataset.hints ?? '[]') as string[];
    let shown = 0;
    const reveal = () => {
      const hint = document.createElement('li');
      hint.innerHTML = hints[shown] ?? '';
      item.querySelector('.hints')?.append(hint);
      shown += 1;
      hintButton.textContent = shown < hints.length ? `Show another hint (${hints.length - shown} left)` : 'No more hints';
      hintButton.disabled = shown >= hints.length;
    };
    hintsUpTo.set(id, (count) => {
      while (shown < Math.min(count, hints.length)) reveal();
    });
    hintButton.addEventListener('click', () => {
      // Hints used are part of the learner's progress; the hint shows even if recording fails.
      // The index is taken now: the request goes out after the session is there.
      const hint = shown;
      void session.call('POST', 'hints', { task: id, hint }).catch(() => undefined);
      reveal();
    });
  }
  panel.querySelector('[data-check-all]')?.addEventListener('click', () => void grade());

  const reset = async () => {
    try {
      render(await session.call<LabResult>('POST', 'reset'));
    } catch (error) {
      showError(error, reset);
    }
  };
  panel.querySelector('[data-reset]')?.addEventListener('click', () => {
    if (window.confirm('Reset the lab? Everything you created in your namespace is deleted and the lab starts over.')) void reset();
  });

  const showSolution = async () => {
    try {
      const { solution: text } = await session.call<{ solution: string }>('GET', 'solution');
      if (solution) {
        solution.hidden = false;
        solution.querySelector('code')?.replaceChildren(text);
      }
    } catch (error) {
      showError(error, showSolution);
    }
  };
  solutionButton?.addEventListener('click', () => void showSolution());
  const copy = panel.querySelector<HTMLButtonElement>('[data-copy-solution]');
  copy?.addEventListener('click', () => {
    void navigator.clipboard.writeText(solution?.querySelector('code')?.textContent ?? '').then(() => {
      copy.textContent = 'Copied';
      setTimeout(() => (copy.textContent = 'Copy'), 1500);
    });
  });

  // Grades the server pushes after terminal activity.
  onPageEvent('cnlab:progress', (result) => {
    if (result.lab === lab) render(result);
  });
  // The ticks stay as they were: the work was not judged, so nothing turns red.
  onPageEvent('cnlab:ungraded', (text) => {
    if (!message) return;
    message.hidden = false;
    message.textContent = text;
  });

  void restore(lab, lastPassed, hintsUpTo, markComplete);
}

/** Where the learner left off: each task's last result, the hints they opened, completion. */
async function restore(lab: string, lastPassed: Map<string, string>, hintsUpTo: Map<string, (count: number) => void>, markComplete: (at: string) => void): Promise<void> {
  const response = await fetch(`/api/progress/labs/${lab}`).catch(() => undefined);
  // The static site alone (no lab server) has nothing to restore.
  if (!response?.ok) return;
  const state = (await response.json()) as LabState;
  for (const entry of state.tasks) {
    if (entry.lastPassedAt && !lastPassed.has(entry.task)) lastPassed.set(entry.task, entry.lastPassedAt);
    const item = document.querySelector<HTMLElement>(`lab-panel[data-lab="${lab}"] [data-task="${entry.task}"]`);
    // A grade that arrived while this was loading is newer: it stays.
    if (item && item.dataset.state === 'unknown') showTask(item, { passed: entry.passed, messages: entry.messages, lastPassedAt: lastPassed.get(entry.task) ?? null });
  }
  for (const [task, count] of Object.entries(state.hints)) hintsUpTo.get(task)?.(count);
  if (state.completedAt) markComplete(state.completedAt);
}

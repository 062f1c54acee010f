// One task of the lab panel as the learner should read it: done, not yet (and what is missing), or
// done before and broken since ("this passed at 14:02; now: …").

export type TaskView = { passed: boolean; messages: string[]; lastPassedAt: string | null };

/** 14:02 today; 14:02 on 30 Nov another day. */
export function when(iso: string): string {
  const at = new Date(iso);
  const time = at.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return at.toDateString() === new Date().toDateString() ? time : `${time} on ${at.toLocaleDateString([], { day: 'numeric', month: 'short' })}`;
}

const line = (text: string, className = '') => {
  const entry = document.createElement('li');
  entry.textContent = text;
  if (className) entry.className = className;
  return entry;
};

export function showTask(item: HTMLElement, view: TaskView): void {
  const regressed = !view.passed && view.lastPassedAt !== null;
  item.dataset.state = view.passed ? 'passed' : 'failed';
  const state = item.querySelector('.state');
  if (state) state.textContent = view.passed ? 'done' : regressed ? 'no longer passes' : 'not yet';
  // What is still wrong, one sentence per failing check, each once; nothing once the task is done.
  const [first, ...rest] = [...new Set(view.messages)];
  const lines = view.passed || first === undefined ? [] : regressed ? [line(`This passed at ${when(view.lastPassedAt ?? '')}; now: ${first}`, 'regression'), ...rest.map((text) => line(text))] : [first, ...rest].map((text) => line(text));
  item.querySelector('.results')?.replaceChildren(...lines);
}

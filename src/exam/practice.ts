// Drives a <practice-exam>: start or resume an attempt, one question at a time with a navigator,
// flags and a countdown from the server's own remaining time, each answer saved as it is given;
// then the result with its chart, what to study next and every question to review.
import type { ExamScore } from '../../server/shared/exam-score.ts';
import { barChart } from './chart.ts';

type Question = { id: string; prompt: string; choices: string[]; answer: number | null; flagged: boolean };
type Reviewed = Question & { key: number; why: string[]; explanation: string; lesson: string; section: string | null };
type Attempt = { id: string; exam: string; title: string; remainingMs: number; submitted: boolean; questions: Question[] | Reviewed[]; score: ExamScore | null };

/** Warnings as the clock passes these minutes left. */
const WARNINGS = [30, 15, 5];

async function call<T>(method: string, url: string, body?: unknown): Promise<T> {
  const response = await fetch(url, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  const parsed = (text ? JSON.parse(text) : {}) as T & { error?: string };
  if (!response.ok) throw Object.assign(new Error(parsed.error ?? `the exam server answered ${response.status}`), { status: response.status });
  return parsed;
}

function h<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Record<string, string> = {}, ...children: Array<Node | string>): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  node.append(...children);
  return node;
}

const clock = (ms: number) => {
  const seconds = Math.max(0, Math.ceil(ms / 1000));
  const hours = Math.floor(seconds / 3600);
  const rest = `${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}:${String(seconds % 60).padStart(2, '0')}`;
  return hours > 0 ? `${hours}:${rest}` : rest;
};
const minutes = (ms: number) => `${Math.round(ms / 60_000)} min`;
const lessonLink = (lesson: string, section: string | null) => `/${lesson}/${section ? `#${section}` : ''}`;

class PracticeExam extends HTMLElement {
  #attempt: Attempt | undefined;
  #current = 0;
  #deadline = 0;
  #timer: number | undefined;
  #warned = new Set<number>();

  connectedCallback(): void {
    this.querySelector<HTMLButtonElement>('[data-start]')?.addEventListener('click', () => void this.#start());
    void this.#resumeIfRunning();
  }

  get #exam(): string {
    return this.dataset.exam ?? '';
  }

  #status(text: string): void {
    const status = this.querySelector('[data-exam-status]');
    if (status) status.textContent = text;
  }

  /** An attempt already running (a reload, another tab, a lost connection) opens straight away, with the time it has left. */
  async #resumeIfRunning(): Promise<void> {
    try {
      const { open } = await call<{ open: string | null }>('GET', `/api/exams/${this.#exam}/attempts`);
      if (open) this.#show(await call<Attempt>('GET', `/api/exam-attempts/${open}`));
    } catch (error) {
      this.#status(`No exam server answers (${(error as Error).message}): the exams run on the platform (npm start).`);
    }
  }

  async #start(): Promise<void> {
    try {
      this.#status('Starting…');
      this.#show(await call<Attempt>('POST', `/api/exams/${this.#exam}/attempts`));
    } catch (error) {
      this.#status(`The exam could not start: ${(error as Error).message}`);
    }
  }

  #show(attempt: Attempt): void {
    this.#attempt = attempt;
    this.#status('');
    this.querySelector('[data-exam-start]')?.setAttribute('hidden', '');
    if (attempt.submitted) {
      window.clearInterval(this.#timer);
      this.#renderResult(attempt);
      return;
    }
    // The countdown runs on the page's monotonic clock from the server's remaining time, so a
    // changed system clock moves nothing; the server refuses what comes after its own end.
    this.#deadline = performance.now() + attempt.remainingMs;
    for (const warning of WARNINGS) if (attempt.remainingMs <= warning * 60_000) this.#warned.add(warning);
    this.#renderRunning();
    window.clearInterval(this.#timer);
    this.#timer = window.setInterval(() => this.#tick(), 500);
    this.#tick();
  }

  #tick(): void {
    const left = this.#deadline - performance.now();
    const timer = this.querySelector('[data-timer]');
    if (timer) timer.textContent = clock(left);
    for (const warning of WARNINGS) {
      if (left <= warning * 60_000 && !this.#warned.has(warning)) {
        this.#warned.add(warning);
        const alert = this.querySelector('[data-timer-alert]');
        if (alert) alert.textContent = `${warning} minutes left.`;
      }
    }
    if (left <= 0) {
      window.clearInterval(this.#timer);
      void this.#afterTime();
    }
  }

  /** At zero the server submits the attempt; the page asks for it until it has been. */
  async #afterTime(): Promise<void> {
    const attempt = this.#attempt;
    if (!attempt) return;
    this.#status('Time is up: your answers are being submitted.');
    for (let delay = 500; ; delay = Math.min(delay * 2, 5000)) {
      try {
        const settled = await call<Attempt>('GET', `/api/exam-attempts/${attempt.id}`);
        if (settled.submitted) return this.#show(settled);
      } catch {
        // The server may be restarting: the answers are stored, keep asking.
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }

  #questions(): Question[] {
    return (this.#attempt?.questions ?? []) as Question[];
  }

  async #save(question: Question): Promise<void> {
    const attempt = this.#attempt;
    if (!attempt) return;
    const saved = this.querySelector('[data-saved]');
    try {
      await call('PUT', `/api/exam-attempts/${attempt.id}/answers/${question.id}`, { answer: question.answer, flagged: question.flagged });
      if (saved) saved.textContent = 'Saved.';
    } catch (error) {
      if ((error as { status?: number }).status === 409) return void this.#afterTime();
      if (saved) saved.textContent = `Not saved: ${(error as Error).message}. Change the answer again to retry.`;
    }
  }

  #go(index: number): void {
    const count = this.#questions().length;
    this.#current = Math.max(0, Math.min(count - 1, index));
    this.#renderRunning();
    this.querySelector<HTMLElement>('[data-question-heading]')?.focus();
  }

  #renderRunning(): void {
    const attempt = this.#attempt;
    const questions = this.#questions();
    const question = questions[this.#current];
    if (!attempt || !question) return;
    const number = this.#current + 1;
    const choices = question.choices.map((text, position) => {
      const input = h('input', { type: 'radio', name: `q-${question.id}`, value: String(position) });
      input.checked = question.answer === position;
      input.addEventListener('change', () => {
        question.answer = position;
        this.#renderNavigator();
        void this.#save(question);
      });
      return h('label', { class: 'choice' }, input, ` ${text}`);
    });
    const flag = h('input', { type: 'checkbox', 'data-flag': '' });
    flag.checked = question.flagged;
    flag.addEventListener('change', () => {
      question.flagged = flag.checked;
      this.#renderNavigator();
      void this.#save(question);
    });
    const clear = h('button', { type: 'button' }, 'Clear answer');
    clear.addEventListener('click', () => {
      question.answer = null;
      this.#renderRunning();
      void this.#save(question);
    });
    const previous = h('button', { type: 'button', 'data-previous': '' }, '← Previous');
    previous.toggleAttribute('disabled', this.#current === 0);
    previous.addEventListener('click', () => this.#go(this.#current - 1));
    const next = h('button', { type: 'button', 'data-next': '' }, 'Next →');
    next.toggleAttribute('disabled', this.#current === questions.length - 1);
    next.addEventListener('click', () => this.#go(this.#current + 1));
    const submit = h('button', { type: 'button', 'data-submit': '' }, 'Submit the exam');
    submit.addEventListener('click', () => void this.#submit());
    const body = h(
      'div',
      { class: 'exam-running not-content' },
      h('div', { class: 'exam-bar' }, h('strong', {}, attempt.title), h('span', {}, 'Time left ', h('span', { 'data-timer': '', role: 'timer', 'aria-live': 'off' }, clock(this.#deadline - performance.now())))),
      h('p', { 'data-timer-alert': '', role: 'alert', class: 'exam-alert' }),
      h('nav', { 'aria-label': 'Questions', class: 'exam-navigator', 'data-navigator': '' }),
      h(
        'fieldset',
        { class: 'exam-question', 'data-question': question.id },
        h('legend', { 'data-question-heading': '', tabindex: '-1' }, `Question ${number} of ${questions.length}`),
        h('p', { class: 'prompt' }, question.prompt),
        ...choices,
      ),
      h('p', {}, h('label', {}, flag, ' Flag for review'), ' ', clear),
      h('p', { class: 'exam-moves' }, previous, ' ', next, ' ', submit),
      h('p', { 'data-saved': '', role: 'status', class: 'exam-saved' }),
      h('p', { class: 'exam-keys' }, 'Keys: 1–4 choose, [ and ] move, f flags.'),
    );
    this.querySelector('[data-exam-body]')?.replaceChildren(body);
    this.#renderNavigator();
  }

  #renderNavigator(): void {
    const navigator = this.querySelector('[data-navigator]');
    if (!navigator) return;
    navigator.replaceChildren(
      ...this.#questions().map((question, index) => {
        const states = [question.answer !== null ? 'answered' : 'not answered', ...(question.flagged ? ['flagged'] : [])];
        const button = h('button', { type: 'button', 'aria-label': `Question ${index + 1}, ${states.join(', ')}`, 'data-state': states.join(' ') }, String(index + 1));
        if (index === this.#current) button.setAttribute('aria-current', 'step');
        button.addEventListener('click', () => this.#go(index));
        return button;
      }),
    );
  }

  /** Keyboard: digits choose, brackets move, f flags; never while typing elsewhere. */
  handleKey(event: KeyboardEvent): void {
    if (!this.#attempt || this.#attempt.submitted || event.ctrlKey || event.metaKey || event.altKey) return;
    if ((event.target as HTMLElement | null)?.closest('textarea, input[type="text"]')) return;
    const question = this.#questions()[this.#current];
    if (!question) return;
    if (event.key === ']') this.#go(this.#current + 1);
    else if (event.key === '[') this.#go(this.#current - 1);
    else if (event.key === 'f') this.querySelector<HTMLInputElement>('[data-flag]')?.click();
    else if (/^[1-9]$/.test(event.key) && Number(event.key) <= question.choices.length) {
      this.querySelectorAll<HTMLInputElement>('.exam-question input[type="radio"]')[Number(event.key) - 1]?.click();
    } else return;
    event.preventDefault();
  }

  async #submit(): Promise<void> {
    const attempt = this.#attempt;
    if (!attempt) return;
    const questions = this.#questions();
    const open = questions.filter((question) => question.answer === null).length;
    const flagged = questions.filter((question) => question.flagged).length;
    const warning = [open ? `${open} ${open === 1 ? 'question is' : 'questions are'} not answered` : '', flagged ? `${flagged} flagged for review` : ''].filter(Boolean).join(' and ');
    if (!window.confirm(`Submit the exam now?${warning ? ` ${warning[0]?.toUpperCase()}${warning.slice(1)}.` : ''} You cannot change answers afterwards.`)) return;
    try {
      this.#show(await call<Attempt>('POST', `/api/exam-attempts/${attempt.id}/submit`));
    } catch (error) {
      this.#status(`Not submitted: ${(error as Error).message}`);
    }
  }

  #renderResult(attempt: Attempt): void {
    const score = attempt.score;
    if (!score) return;
    const verdict = score.passed ? 'Passed' : 'Not passed yet';
    const review = (attempt.questions as Reviewed[]).map((question, index) => {
      const right = question.answer === question.key;
      return h(
        'li',
        { class: `exam-review ${right ? 'right' : 'wrong'}`, 'data-review': question.id },
        h('p', {}, h('strong', {}, `${index + 1}. ${right ? '✓' : '✗'} `), question.prompt, question.flagged ? ' (flagged)' : ''),
        h(
          'ul',
          {},
          ...question.choices.map((text, position) =>
            h('li', { 'data-key': String(position === question.key), 'data-chosen': String(position === question.answer) }, h('span', {}, `${position === question.key ? 'Correct: ' : position === question.answer ? 'Your answer: ' : ''}${text}`), h('br'), h('small', {}, question.why[position] ?? '')),
          ),
        ),
        question.answer === null ? h('p', {}, 'Not answered.') : '',
        h('p', {}, question.explanation, ' ', h('a', { href: lessonLink(question.lesson, question.section) }, 'Read the lesson')),
      );
    });
    const studyNext = score.studyNext.map((area) =>
      h('li', {}, `${area.subArea.replaceAll('-', ' ')} (${area.correct} of ${area.total} right): `, ...area.lessons.flatMap((lesson, i) => [i ? ', ' : '', h('a', { href: lessonLink(lesson, null) }, lesson)])),
    );
    const body = h(
      'div',
      { class: 'exam-result not-content', 'data-result': '' },
      h('h2', { tabindex: '-1', 'data-result-heading': '' }, `${verdict}: ${score.percent}%`),
      h('p', {}, `${score.correct} of ${score.total} right; the pass mark is ${score.passPercent}%. Time used: ${minutes(score.timeUsedMs)}${score.submittedBy === 'clock' ? ' (submitted when the time ran out)' : ''}.`),
      h('h3', {}, 'By domain'),
      barChart(score.byDomain.map((d) => ({ label: d.title, percent: Math.round((d.correct / d.total) * 100), detail: `${d.correct} of ${d.total}` })), score.passPercent),
      ...(studyNext.length ? [h('h3', {}, 'Study next'), h('ul', { 'data-study-next': '' }, ...studyNext)] : []),
      h('p', {}, h('a', { href: `/exam/${attempt.exam}/history/` }, 'Your attempts over time')),
      h('h3', {}, 'Review'),
      h('ol', { class: 'exam-review-list' }, ...review),
    );
    this.querySelector('[data-exam-body]')?.replaceChildren(body);
    this.querySelector<HTMLElement>('[data-result-heading]')?.focus();
  }
}

customElements.define('practice-exam', PracticeExam);
document.addEventListener('keydown', (event) => document.querySelector<PracticeExam>('practice-exam')?.handleKey(event));

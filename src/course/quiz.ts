// Quiz questions in a lesson. The page has no key: the server scores the first answer to each
// question and sends back the key and the explanation, which the page then shows, with the
// question locked. On load, questions answered before are shown answered.
import { shuffle } from '../../server/shared/shuffle.ts';

type Answered = { correct: boolean; choices: number[]; counted: boolean; answer: number[]; explanation: string };

const chosen = (form: HTMLFormElement) =>
  [...form.querySelectorAll<HTMLInputElement>('input:checked')].map((input) => Number(input.value));

function say(form: HTMLFormElement, text: string, correct = ''): void {
  const feedback = form.querySelector<HTMLElement>('.feedback');
  const verdict = form.querySelector<HTMLElement>('.verdict');
  if (!feedback || !verdict) return;
  feedback.hidden = false;
  feedback.dataset.correct = correct;
  verdict.textContent = text;
}

/** Shows the answer that counts (the first) against the key, and locks the question. */
function showAnswered(form: HTMLFormElement, answered: Answered): void {
  const key = new Set(answered.answer);
  for (const input of form.querySelectorAll<HTMLInputElement>('input')) {
    const value = Number(input.value);
    input.checked = answered.choices.includes(value);
    input.disabled = true;
    const label = input.closest('label');
    if (label) label.dataset.mark = key.has(value) ? 'right' : input.checked ? 'wrong' : '';
  }
  const button = form.querySelector('button');
  if (button) button.disabled = true;
  const verdict = answered.correct ? 'Correct.' : key.size > 1 ? 'Not quite: the right choices are marked.' : 'Not quite: the right choice is marked.';
  say(form, answered.counted ? verdict : `You answered this before, and your first answer is the one that counts. ${verdict}`, String(answered.correct));
  const explanation = form.querySelector<HTMLElement>('.explanation');
  if (explanation) explanation.innerHTML = answered.explanation;
}

async function submit(form: HTMLFormElement, lesson: string): Promise<void> {
  const choices = chosen(form);
  if (choices.length === 0) return say(form, 'Choose an answer first.');
  const response = await fetch('/api/progress/quiz', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ lesson, question: form.dataset.question, choices }),
  }).catch(() => undefined);
  if (!response?.ok) return say(form, 'Answers are checked by the lab server, which does not answer right now: try again in a moment (or start the platform with npm start).');
  showAnswered(form, (await response.json()) as Answered);
}

async function restore(quiz: HTMLElement, lesson: string): Promise<void> {
  const response = await fetch(`/api/progress/quiz?lesson=${encodeURIComponent(lesson)}`).catch(() => undefined);
  if (!response?.ok) return;
  const { answers } = (await response.json()) as { answers: Array<Answered & { question: string }> };
  for (const answer of answers) {
    const form = quiz.querySelector<HTMLFormElement>(`form[data-question="${answer.question}"]`);
    // Shown as it was answered: the first answer, without the "answered before" note.
    if (form) showAnswered(form, { ...answer, counted: true });
  }
}

/**
 * Shows a question's choices in an order of this visit's own, so an answer is remembered by its
 * meaning, not its place. Each input keeps its authored index as its value, which is what the
 * server scores.
 */
function shuffleChoices(form: HTMLFormElement): void {
  const labels = [...form.querySelectorAll<HTMLLabelElement>('fieldset > label')];
  labels[0]?.parentElement?.append(...shuffle(labels, randomBelow));
}

/** A uniform enough integer in [0, below) from the browser's crypto (below is at most a handful). */
const randomBelow = (below: number) => (crypto.getRandomValues(new Uint32Array(1))[0] ?? 0) % below;

export function enableQuizzes(): void {
  for (const quiz of document.querySelectorAll<HTMLElement>('.quiz[data-lesson]')) {
    const lesson = quiz.dataset.lesson ?? '';
    for (const form of quiz.querySelectorAll<HTMLFormElement>('form.question')) {
      shuffleChoices(form);
      form.addEventListener('submit', (event) => {
        event.preventDefault();
        void submit(form, lesson);
      });
    }
    void restore(quiz, lesson);
  }
}

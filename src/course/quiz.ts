// Quiz questions in a lesson: check an answer, mark the choices, explain, and record the
// attempt in the learner's progress when the lab server is there.

const chosen = (form: HTMLFormElement) =>
  [...form.querySelectorAll<HTMLInputElement>('input:checked')].map((input) => Number(input.value));

function check(form: HTMLFormElement, lesson: string): void {
  const answer = new Set((form.dataset.answer ?? '').split(',').map(Number));
  const choices = chosen(form);
  const feedback = form.querySelector<HTMLElement>('.feedback');
  const verdict = form.querySelector<HTMLElement>('.verdict');
  if (!feedback || !verdict) return;
  if (choices.length === 0) {
    feedback.hidden = false;
    feedback.dataset.correct = '';
    verdict.textContent = 'Choose an answer first.';
    return;
  }
  const correct = choices.length === answer.size && choices.every((choice) => answer.has(choice));
  for (const input of form.querySelectorAll<HTMLInputElement>('input')) {
    const label = input.closest('label');
    if (!label) continue;
    const right = answer.has(Number(input.value));
    label.dataset.mark = right ? 'right' : input.checked ? 'wrong' : '';
  }
  feedback.hidden = false;
  feedback.dataset.correct = String(correct);
  verdict.textContent = correct ? 'Correct.' : answer.size > 1 ? 'Not quite: the right choices are marked.' : 'Not quite: the right choice is marked.';
  void fetch('/api/progress/quiz', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ lesson, question: form.dataset.question, choices }),
  }).catch(() => undefined);
}

export function enableQuizzes(): void {
  for (const quiz of document.querySelectorAll<HTMLElement>('.quiz[data-lesson]')) {
    const lesson = quiz.dataset.lesson ?? '';
    for (const form of quiz.querySelectorAll<HTMLFormElement>('form.question')) {
      form.addEventListener('submit', (event) => {
        event.preventDefault();
        check(form, lesson);
      });
    }
  }
}

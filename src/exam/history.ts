// Drives an <exam-history>: the learner's submitted attempts as a table and as lines per domain.
import type { ExamScore } from '../../server/shared/exam-score.ts';
import { lineChart } from './chart.ts';

type Past = { id: string; startedAt: string; submittedAt: string | null; score: ExamScore | null };

class ExamHistory extends HTMLElement {
  connectedCallback(): void {
    void this.#load();
  }

  async #load(): Promise<void> {
    const status = this.querySelector('[data-history-status]');
    const response = await fetch(`/api/exams/${this.dataset.exam ?? ''}/attempts`).catch(() => undefined);
    if (!response?.ok) {
      if (status) status.textContent = 'No exam server answers: attempts are kept by the platform (npm start).';
      return;
    }
    const { attempts } = (await response.json()) as { attempts: Past[] };
    const scored = attempts.filter((attempt): attempt is Past & { score: ExamScore } => attempt.score !== null);
    if (scored.length === 0) {
      if (status) status.textContent = 'No attempt submitted yet.';
      return;
    }
    if (status) status.textContent = `${scored.length} ${scored.length === 1 ? 'attempt' : 'attempts'}; best ${Math.max(...scored.map((a) => a.score.percent))}%.`;
    const domains = [...new Map(scored.flatMap((a) => a.score.byDomain.map((d) => [d.domain, d.title] as const))).entries()];
    const percentOf = (score: ExamScore, domain: string) => {
      const line = score.byDomain.find((d) => d.domain === domain);
      return line && line.total > 0 ? Math.round((line.correct / line.total) * 100) : 0;
    };
    this.querySelector('[data-history-chart]')?.replaceChildren(
      lineChart(
        [{ label: 'Total', points: scored.map((a) => Math.round(a.score.percent)) }, ...domains.map(([id, title]) => ({ label: title, points: scored.map((a) => percentOf(a.score, id)) }))],
        scored.map((_, index) => `#${index + 1}`),
      ),
    );
    const rows = scored.map((attempt, index) => {
      const row = document.createElement('tr');
      const cells = [`#${index + 1}`, new Date(attempt.startedAt).toLocaleString(), `${attempt.score.percent}%`, attempt.score.passed ? 'passed' : 'not yet', ...domains.map(([id]) => `${percentOf(attempt.score, id)}%`)];
      row.append(...cells.map((text) => Object.assign(document.createElement('td'), { textContent: text })));
      return row;
    });
    const head = document.createElement('tr');
    head.append(...['Attempt', 'Started', 'Score', 'Result', ...domains.map(([, title]) => title)].map((text) => Object.assign(document.createElement('th'), { scope: 'col', textContent: text })));
    this.querySelector('[data-history-table]')?.replaceChildren(Object.assign(document.createElement('thead'), {}), document.createElement('tbody'));
    this.querySelector('[data-history-table] thead')?.append(head);
    this.querySelector('[data-history-table] tbody')?.append(...rows);
  }
}

customElements.define('exam-history', ExamHistory);

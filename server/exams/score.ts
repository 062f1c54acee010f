// Scoring a submitted attempt: right or wrong per question (an unanswered one is wrong), per
// domain, and the three weakest sub-areas with the lessons that teach what was missed.
import type { ExamScore, ScoreLine } from '../shared/exam-score.ts';
import type { ExamAttempt } from '../store/exam-attempts.ts';

export type Scorable = { id: string; domain: string; subArea: string; lesson: string; answer: number };

export function scoreAttempt(
  attempt: Pick<ExamAttempt, 'questions' | 'answers' | 'startedAt' | 'endsAt'>,
  bank: ReadonlyMap<string, Scorable>,
  domains: ReadonlyArray<{ id: string; title: string }>,
  passPercent: number,
  submittedAt: Date,
  submittedBy: ExamScore['submittedBy'],
): ExamScore {
  const line = (): ScoreLine => ({ correct: 0, total: 0 });
  const byDomain = new Map<string, ScoreLine>();
  const bySubArea = new Map<string, ScoreLine & { domain: string; subArea: string; lessons: Set<string> }>();
  let correct = 0;
  for (const { id } of attempt.questions) {
    const question = bank.get(id);
    if (!question) continue;
    const right = attempt.answers.get(id)?.choice === question.answer;
    if (right) correct += 1;
    const domain = byDomain.get(question.domain) ?? line();
    byDomain.set(question.domain, { correct: domain.correct + (right ? 1 : 0), total: domain.total + 1 });
    const key = `${question.domain}/${question.subArea}`;
    const area = bySubArea.get(key) ?? { ...line(), domain: question.domain, subArea: question.subArea, lessons: new Set<string>() };
    area.total += 1;
    if (right) area.correct += 1;
    else area.lessons.add(question.lesson);
    bySubArea.set(key, area);
  }
  const total = attempt.questions.filter(({ id }) => bank.has(id)).length;
  const percent = total === 0 ? 0 : Math.round((correct / total) * 1000) / 10;
  const ratio = (score: ScoreLine) => score.correct / score.total;
  return {
    correct,
    total,
    percent,
    passed: percent >= passPercent,
    passPercent,
    timeUsedMs: Math.max(0, Math.min(submittedAt.getTime(), attempt.endsAt.getTime()) - attempt.startedAt.getTime()),
    submittedBy,
    byDomain: domains.filter((domain) => byDomain.has(domain.id)).map((domain) => ({ domain: domain.id, title: domain.title, ...(byDomain.get(domain.id) as ScoreLine) })),
    studyNext: [...bySubArea.values()]
      .filter((area) => area.correct < area.total)
      .sort((a, b) => ratio(a) - ratio(b) || b.total - b.correct - (a.total - a.correct))
      .slice(0, 3)
      .map((area) => ({ domain: area.domain, subArea: area.subArea, correct: area.correct, total: area.total, lessons: [...area.lessons].sort() })),
  };
}

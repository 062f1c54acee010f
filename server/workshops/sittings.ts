import type { Exam } from '../exams/definition.ts';
import { type PracticeExams, type SittingWindow, sittingWindow } from '../exams/practice.ts';
import type { ExamScore } from '../shared/exam-score.ts';
import type { ProgressStore, Workshop } from '../store/store.ts';
import { hasEnded } from './workshops.ts';

// A workshop may sit a practice exam together: its instructor starts the sitting, and every
// member's attempt runs from that moment to the same end, however late they open it. Before the
// instructor starts it, a member waits; after the sitting's time, the exam is their own practice
// again, as it is for everyone outside the workshop.

/** How a learner's start of an exam goes: on their own, waiting for the instructor, or in a sitting. */
export type StartRule = { kind: 'practice' } | { kind: 'waiting'; workshop: Workshop } | { kind: 'sitting'; workshop: Workshop; window: SittingWindow };

export async function startRule(store: ProgressStore, learner: string, exam: Exam, now = new Date()): Promise<StartRule> {
  for (const workshop of await store.workshopsOf(learner)) {
    if (!workshop.exams.includes(exam.id) || hasEnded(workshop, now.getTime())) continue;
    const startedAt = (await store.sittings(workshop)).get(exam.id);
    if (!startedAt) return { kind: 'waiting', workshop };
    const window = sittingWindow(exam, startedAt);
    if (now < window.endsAt) return { kind: 'sitting', workshop, window };
  }
  return { kind: 'practice' };
}

export type SittingState = 'not started' | 'in progress' | 'submitted';
export type SittingResult = { learner: string; name: string; state: SittingState; score: ExamScore | null; submittedAt: Date | null };

/** Each member's attempt in the sitting that started at `startedAt`: not started, running, or submitted with its score. */
export async function sittingResults(exams: PracticeExams, exam: Exam, members: Array<{ learner: string; name: string }>, startedAt: Date): Promise<SittingResult[]> {
  const attempts = await exams.sittingAttempts(
    exam.id,
    members.map((member) => member.learner),
    sittingWindow(exam, startedAt),
  );
  return members.map(({ learner, name }) => {
    const attempt = attempts.get(learner);
    const state: SittingState = !attempt ? 'not started' : attempt.submittedAt ? 'submitted' : 'in progress';
    return { learner, name, state, score: attempt?.score ?? null, submittedAt: attempt?.submittedAt ?? null };
  });
}

/** How many submitted scores fall in each tenth: [0, 10), [10, 20), … [90, 100]. */
export function scoreDistribution(results: SittingResult[]): number[] {
  const tenths = results.flatMap(({ score }) => (score ? [Math.min(9, Math.floor(score.percent / 10))] : []));
  return Array.from({ length: 10 }, (_, tenth) => tenths.filter((each) => each === tenth).length);
}

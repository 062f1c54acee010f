import type { Exam } from '../exams/definition.ts';
import { junitDocument } from '../shared/junit.ts';
import { counted } from '../shared/words.ts';
import type { Workshop } from '../store/store.ts';
import type { SittingResult } from './sittings.ts';

// A class sitting's results as they leave the platform (`cnlab grade --exam ID --workshop CODE`):
// words for the instructor, versioned JSON for a program, JUnit (a test case per learner) for CI.

export const SITTING_SCHEMA = 'cnlab.workshop-exam/v1';

export type SittingFormat = 'text' | 'json' | 'junit';

const passedSitting = (result: SittingResult) => result.score?.passed === true;

/** Whether every member submitted and passed: the command's exit code. */
export const everyonePassed = (results: SittingResult[]) => results.every(passedSitting);

function verdict(result: SittingResult): string {
  if (!result.score) return result.state === 'in progress' ? 'still sitting the exam' : 'has not started the exam';
  return `${result.score.percent}% (${result.score.correct} of ${result.score.total}), ${result.score.passed ? 'passed' : 'not passed'}`;
}

export function formatSitting(results: SittingResult[], workshop: Workshop, exam: Exam, startedAt: Date, format: SittingFormat): string {
  switch (format) {
    case 'json':
      return JSON.stringify(
        {
          schema: SITTING_SCHEMA,
          workshop: { code: workshop.code, title: workshop.title },
          exam: exam.id,
          title: exam.title,
          passPercent: exam.passPercent,
          startedAt: startedAt.toISOString(),
          passed: everyonePassed(results),
          learners: results.map((result) => ({
            learner: result.learner,
            name: result.name,
            state: result.state,
            submittedAt: result.submittedAt?.toISOString() ?? null,
            percent: result.score?.percent ?? null,
            passed: result.score?.passed ?? false,
            byDomain: result.score?.byDomain ?? [],
          })),
        },
        null,
        2,
      );
    case 'junit':
      return junitDocument([
        {
          name: `${workshop.title}: ${exam.title}`,
          id: `${workshop.code}.${exam.id}`,
          timestamp: startedAt.toISOString(),
          properties: { workshop: workshop.code, exam: exam.id, passPercent: String(exam.passPercent) },
          cases: results.map((result) => ({
            name: result.name,
            classname: `${exam.id}.${result.learner}`,
            ...(passedSitting(result) ? {} : { failure: { message: verdict(result), text: `${result.name} ${verdict(result)}` } }),
          })),
        },
      ]);
    case 'text': {
      const passing = results.filter(passedSitting).length;
      return [
        `${workshop.title} (${workshop.code}), ${exam.title} (${exam.id}), started ${startedAt.toISOString()}: ${passing} of ${counted(results.length, 'learner')} ${passing === 1 ? 'passes' : 'pass'} (pass mark ${exam.passPercent}%)`,
        ...results.map((result) => `  ${passedSitting(result) ? '✓' : '✗'} ${result.name}: ${verdict(result)}`),
      ].join('\n');
    }
  }
}

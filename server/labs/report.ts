import type { LabResult } from '../shared/grades.ts';
import { junitDocument, type JunitSuite } from '../shared/junit.ts';
import { counted } from '../shared/words.ts';
import type { Lab } from './load.ts';

// How a grade leaves the platform: words for a person, JSON for a program, JUnit for CI. The JSON
// form is versioned: fields are only ever added within a version.

export const GRADE_SCHEMA = 'cnlab.grade/v1';

export type GradeFormat = 'text' | 'json' | 'junit';

/** The documented JSON result (`cnlab grade --format json`, `POST /api/grade`). */
export function gradeJson(result: LabResult, title: string) {
  return {
    schema: GRADE_SCHEMA,
    lab: result.lab,
    title,
    namespace: result.namespace,
    passed: result.passed,
    gradedAt: result.gradedAt,
    tasks: result.tasks.map((task) => ({ id: task.id, title: task.title, passed: task.passed, checks: task.checks.map(({ ok, message }) => ({ ok, message })) })),
  };
}

/** A task's failing messages, each once: several checks on a missing object say the same thing. */
const failures = (task: LabResult['tasks'][number]) => [...new Set(task.checks.filter((check) => !check.ok).map((check) => check.message))];

function text(result: LabResult, title: string): string {
  const lines = [`${title} (${result.lab}) in namespace ${result.namespace}: ${result.passed ? 'all tasks pass' : 'not done yet'}`];
  for (const task of result.tasks) {
    lines.push(`  ${task.passed ? '✓' : '✗'} ${task.title}`);
    for (const message of failures(task)) lines.push(`      ${message}`);
  }
  return lines.join('\n');
}

/** One JUnit test suite: one test case per task, the failing checks as the failure. */
function junitSuite(result: LabResult, name: string, id: string): JunitSuite {
  return {
    name,
    id,
    timestamp: result.gradedAt,
    properties: { namespace: result.namespace },
    cases: result.tasks.map((task) => {
      const messages = failures(task);
      return {
        name: task.title,
        classname: `${result.lab}.${task.id}`,
        ...(task.passed ? {} : { failure: { message: messages[0] ?? 'failed', text: messages.join('\n') } }),
      };
    }),
  };
}

export function formatGrade(result: LabResult, title: string, format: GradeFormat): string {
  switch (format) {
    case 'json':
      return JSON.stringify(gradeJson(result, title), null, 2);
    case 'junit':
      return junitDocument([junitSuite(result, title, result.lab)]);
    case 'text':
      return text(result, title);
  }
}

export const WORKSHOP_GRADE_SCHEMA = 'cnlab.workshop-grade/v1';

/** A workshop learner's grade; `result` is missing when they never opened the lab. */
export type LearnerGrade = { learner: string; name: string; result?: LabResult };

/** A learner who never opened the lab fails every task, each saying so. */
const orUnopened = (grade: LearnerGrade, lab: Lab): LabResult =>
  grade.result ?? {
    lab: lab.definition.id,
    namespace: '',
    passed: false,
    gradedAt: new Date().toISOString(),
    tasks: lab.definition.tasks.map((task) => ({ id: task.id, title: task.title, passed: false, checks: [{ ok: false, message: `${grade.name} has not opened this lab yet` }] })),
  };

/** `cnlab grade --workshop`: every learner of a workshop on one lab; JUnit has a suite per learner. */
export function formatWorkshopGrade(grades: LearnerGrade[], workshop: { code: string; title: string }, lab: Lab, format: GradeFormat): string {
  const title = lab.definition.title;
  switch (format) {
    case 'json':
      return JSON.stringify(
        {
          schema: WORKSHOP_GRADE_SCHEMA,
          workshop,
          lab: lab.definition.id,
          title,
          passed: grades.every((grade) => grade.result?.passed),
          learners: grades.map((grade) => {
            const { passed, gradedAt, tasks } = gradeJson(orUnopened(grade, lab), title);
            return { learner: grade.learner, name: grade.name, namespace: grade.result?.namespace ?? null, passed, gradedAt, tasks };
          }),
        },
        null,
        2,
      );
    case 'junit':
      return junitDocument(grades.map((grade) => junitSuite(orUnopened(grade, lab), `${grade.name}: ${title}`, grade.learner)));
    case 'text': {
      const passing = grades.filter((grade) => grade.result?.passed).length;
      return [
        `${workshop.title} (${workshop.code}), ${title} (${lab.definition.id}): ${passing} of ${counted(grades.length, 'learner')} ${passing === 1 ? 'passes' : 'pass'}`,
        ...grades.map((grade) => (grade.result ? text(grade.result, grade.name) : `${grade.name}: has not opened this lab yet`)),
      ].join('\n');
    }
  }
}

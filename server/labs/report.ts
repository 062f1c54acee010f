import type { LabResult } from './grade.ts';

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

const xml = (value: string) => value.replace(/[<>&"']/g, (char) => `&#${char.charCodeAt(0)};`);

/** JUnit XML: one test suite per lab, one test case per task, the failing checks as the failure. */
function junit(result: LabResult, title: string): string {
  const failed = result.tasks.filter((task) => !task.passed).length;
  const cases = result.tasks.map((task) => {
    const name = `name="${xml(task.title)}" classname="${xml(`${result.lab}.${task.id}`)}"`;
    if (task.passed) return `    <testcase ${name}/>`;
    const messages = failures(task);
    return `    <testcase ${name}>\n      <failure message="${xml(messages[0] ?? 'failed')}">${xml(messages.join('\n'))}</failure>\n    </testcase>`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="cnlab" tests="${result.tasks.length}" failures="${failed}">`,
    `  <testsuite name="${xml(title)}" id="${xml(result.lab)}" tests="${result.tasks.length}" failures="${failed}" timestamp="${result.gradedAt}">`,
    `    <properties><property name="namespace" value="${xml(result.namespace)}"/></properties>`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
  ].join('\n');
}

export function formatGrade(result: LabResult, title: string, format: GradeFormat): string {
  switch (format) {
    case 'json':
      return JSON.stringify(gradeJson(result, title), null, 2);
    case 'junit':
      return junit(result, title);
    case 'text':
      return text(result, title);
  }
}

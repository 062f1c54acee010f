// What `cnlab labs validate` reports: every mistake of every lab, each at its file, line and
// column, in the order of the files.
import { relative } from 'node:path';
import { type Document, isMap, isPair, isScalar, isSeq, type LineCounter, type Node } from 'yaml';
import { CnlabError } from '../errors.ts';
import { projectRoot } from '../paths.ts';

export type Problem = { file: string; line: number; column: number; message: string };

/** A place in a YAML file: the node at a path of keys and indexes, the key itself, or a spot inside a string. */
export type Locate = (path: ReadonlyArray<string | number>, options?: { key?: boolean; offset?: number }) => { line: number; column: number };

/** Where values of a parsed YAML document sit; a missing value points at its nearest parent. */
export function locator(doc: Document, lines: LineCounter, firstLine = 1): Locate {
  const position = (offset: number) => {
    const { line, col } = lines.linePos(offset);
    return { line: line + firstLine - 1, column: col };
  };
  return (path, options = {}) => {
    for (let depth = path.length; depth >= 0; depth -= 1) {
      const parentPath = path.slice(0, depth);
      if (options.key && depth === path.length && depth > 0) {
        // The key of a map entry, e.g. an unknown field's name.
        const parent = doc.getIn(path.slice(0, -1), true) as Node | undefined;
        const pair = isMap(parent) ? parent.items.find((item) => isPair(item) && isScalar(item.key) && item.key.value === path.at(-1)) : undefined;
        const key = pair?.key as Node | undefined;
        if (key?.range) return position(key.range[0]);
        continue;
      }
      const node = (depth === 0 ? doc.contents : doc.getIn(parentPath, true)) as Node | null | undefined;
      if (!node || !(isMap(node) || isSeq(node) || isScalar(node)) || !node.range) continue;
      if (depth === path.length && options.offset !== undefined && isScalar(node)) {
        // Inside a one-line string: past its opening quote, if it has one.
        const quoted = node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE';
        if (node.type === 'PLAIN' || quoted) return position(node.range[0] + (quoted ? 1 : 0) + options.offset);
      }
      return position(node.range[0]);
    }
    return { line: 1, column: 1 };
  };
}

/** "tasks[0].checks[1].path" */
export const describePath = (path: ReadonlyArray<PropertyKey>) => path.map((key) => (typeof key === 'number' ? `[${key}]` : `.${String(key)}`)).join('').replace(/^\./, '');

export const formatProblem = (problem: Problem) => `${relative(projectRoot, problem.file)}:${problem.line}:${problem.column}: ${problem.message}`;

/** Every problem found, as one error: the CLI prints them all, one a line. */
export class LabsInvalid extends CnlabError {
  readonly problems: Problem[];
  constructor(problems: Problem[]) {
    const labs = new Set(problems.map((problem) => relative(projectRoot, problem.file).split('/').slice(0, 2).join('/')));
    super(
      `${problems.length} ${problems.length === 1 ? 'mistake' : 'mistakes'} in ${labs.size} ${labs.size === 1 ? 'lab' : 'labs'}:\n${problems.map((problem) => `  ${formatProblem(problem)}`).join('\n')}`,
      'fix each file at the line and column named; labs/README.md describes the lab format',
    );
    this.problems = problems;
  }
}

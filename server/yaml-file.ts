// Reading a YAML file against a schema, with every problem reported as file:line:column, so a
// mistake in a lab, a lesson's front matter or a quiz fails the build at the right spot.
import { relative } from 'node:path';
import { isMap, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import type { z } from 'zod';
import { CnlabError } from './errors.ts';
import { projectRoot } from './paths.ts';

/** A data file that cannot be used, located as precisely as the file allows. */
export class YamlFileError extends CnlabError {
  readonly file: string;
  readonly line: number;

  constructor(file: string, line: number, column: number, problem: string, hint: string) {
    super(`${relative(projectRoot, file)}:${line}:${column}: ${problem}`, hint);
    this.file = file;
    this.line = line;
  }
}

/** Where the value at a zod issue's path sits in the YAML; the nearest existing parent if it is missing. */
function locate(doc: ReturnType<typeof parseDocument>, lines: LineCounter, path: PropertyKey[]): { line: number; col: number } {
  for (let depth = path.length; depth >= 0; depth -= 1) {
    const node = doc.getIn(path.slice(0, depth) as (string | number)[], true) as Node | undefined;
    if (node && (isMap(node) || isSeq(node) || 'value' in node) && node.range) return lines.linePos(node.range[0]);
  }
  return { line: 1, col: 1 };
}

const describePath = (path: PropertyKey[]) => path.map((key) => (typeof key === 'number' ? `[${key}]` : `.${String(key)}`)).join('').replace(/^\./, '');

/**
 * Parses `text` (found in `file`, starting on line `firstLine`) and validates it; `hint` tells the
 * author where the format is described.
 */
export function parseYaml<T>(file: string, text: string, schema: z.ZodType<T>, hint: string, firstLine = 1): T {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const at = (offset: { line: number; col: number }) => [offset.line + firstLine - 1, offset.col] as const;
  const syntax = doc.errors[0];
  if (syntax) throw new YamlFileError(file, ...at(lines.linePos(syntax.pos[0])), `not valid YAML: ${syntax.message.split('\n')[0]}`, hint);
  const parsed = schema.safeParse(doc.toJS());
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path ?? [];
    throw new YamlFileError(file, ...at(locate(doc, lines, path)), `${path.length > 0 ? `${describePath(path)}: ` : ''}${issue?.message ?? 'invalid'}`, hint);
  }
  return parsed.data;
}

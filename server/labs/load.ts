import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { KubernetesObject } from '@kubernetes/client-node';
import { isMap, isSeq, LineCounter, type Node, parseAllDocuments, parseDocument } from 'yaml';
import type { z } from 'zod';
import { CnlabError } from '../errors.ts';
import { projectRoot } from '../paths.ts';
import { type LabDefinition, lab as labSchema } from './schema.ts';

export const labsDir = join(projectRoot, 'labs');

export type Lab = {
  definition: LabDefinition;
  dir: string;
  /** Objects applied into the learner's namespace when the lab starts or is reset. */
  setup: KubernetesObject[];
  solution: string;
};

/** A lab file that cannot be used, located as precisely as the file allows. */
export class LabFileError extends CnlabError {
  readonly file: string;
  readonly line: number;

  constructor(file: string, line: number, column: number, problem: string) {
    super(`${relative(projectRoot, file)}:${line}:${column}: ${problem}`, 'fix the file; labs/README.md describes the lab format');
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

async function parseYamlFile<T>(file: string, schema: z.ZodType<T>): Promise<T> {
  const text = await readFile(file, 'utf8');
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const syntax = doc.errors[0];
  if (syntax) {
    const { line, col } = lines.linePos(syntax.pos[0]);
    throw new LabFileError(file, line, col, `not valid YAML: ${syntax.message.split('\n')[0]}`);
  }
  const parsed = schema.safeParse(doc.toJS());
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path ?? [];
    const { line, col } = locate(doc, lines, path);
    throw new LabFileError(file, line, col, `${path.length > 0 ? `${describePath(path)}: ` : ''}${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

async function loadSetup(dir: string): Promise<KubernetesObject[]> {
  const setupDir = join(dir, 'setup');
  if (!existsSync(setupDir)) return [];
  const objects: KubernetesObject[] = [];
  for (const name of (await readdir(setupDir)).filter((file) => /\.ya?ml$/.test(file)).sort()) {
    const file = join(setupDir, name);
    const lines = new LineCounter();
    for (const doc of parseAllDocuments(await readFile(file, 'utf8'), { lineCounter: lines })) {
      const syntax = doc.errors[0];
      if (syntax) {
        const { line, col } = lines.linePos(syntax.pos[0]);
        throw new LabFileError(file, line, col, `not valid YAML: ${syntax.message.split('\n')[0]}`);
      }
      const object = doc.toJS() as KubernetesObject | null;
      if (object === null) continue;
      const start = doc.contents?.range?.[0] ?? 0;
      const { line, col } = lines.linePos(start);
      if (!object.apiVersion || !object.kind || !object.metadata?.name) throw new LabFileError(file, line, col, 'a setup object needs apiVersion, kind and metadata.name');
      if (object.metadata.namespace) throw new LabFileError(file, line, col, 'setup objects go into the learner\'s namespace: leave metadata.namespace out');
      objects.push(object);
    }
  }
  return objects;
}

export async function loadLab(dir: string): Promise<Lab> {
  const definition = await parseYamlFile(join(dir, 'lab.yaml'), labSchema);
  const folder = dir.split('/').at(-1);
  if (definition.id !== folder) throw new LabFileError(join(dir, 'lab.yaml'), 1, 1, `id "${definition.id}" must match the folder name "${folder}"`);
  const solution = join(dir, 'solution.sh');
  if (!existsSync(solution)) throw new LabFileError(solution, 1, 1, 'every lab needs solution.sh, its reference solution');
  return { definition, dir, setup: await loadSetup(dir), solution: await readFile(solution, 'utf8') };
}

/** Every lab under labs/, in folder order; the first bad file stops the load with its location. */
export async function loadLabs(root = labsDir): Promise<Lab[]> {
  const entries = await readdir(root, { withFileTypes: true });
  return Promise.all(entries.filter((entry) => entry.isDirectory()).sort((a, b) => a.name.localeCompare(b.name)).map((entry) => loadLab(join(root, entry.name))));
}

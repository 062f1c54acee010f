import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { KubernetesObject } from '@kubernetes/client-node';
import { LineCounter, parseAllDocuments, parseDocument } from 'yaml';
import type { z } from 'zod';
import { projectRoot } from '../paths.ts';
import { GENERAL_SESSION } from '../shared/names.ts';
import { lintDefinition, lintSetupObject } from './lint.ts';
import { describePath, LabsInvalid, type Locate, locator, type Problem } from './problems.ts';
import { type LabDefinition, knownFields, lab as labSchema } from './schema.ts';
import { didYouMean } from './suggest.ts';

export const labsDir = join(projectRoot, 'labs');

export type Lab = {
  definition: LabDefinition;
  dir: string;
  /** Objects applied into the learner's namespace when the lab starts or is reset. */
  setup: KubernetesObject[];
  solution: string;
};

/** A lab folder as read: the lab if it is usable, and every mistake found in its files. */
export type LabRead = {
  dir: string;
  lab?: Lab;
  problems: Problem[];
  /** Where a value of lab.yaml sits, for checks that need more than the lab's own files. */
  locate: Locate;
  /** lab.yaml as parsed, before the schema. */
  raw: unknown;
};

/** The fields an object at a zod issue's path may have, for "did you mean". */
function fieldsAt(raw: unknown, path: ReadonlyArray<PropertyKey>): string[] {
  if (path.length === 0) return knownFields.lab;
  if (path.length === 1 && path[0] === 'proof') return knownFields.proof;
  if (path.length === 2 && path[0] === 'tasks') return knownFields.task;
  if (path.length === 4 && path[2] === 'checks') {
    let value: unknown = raw;
    for (const key of path) value = (value as Record<PropertyKey, unknown> | undefined)?.[key];
    const kind = (value as { check?: unknown } | undefined)?.check;
    return typeof kind === 'string' ? (knownFields.check[kind] ?? []) : [];
  }
  return knownFields.condition;
}

/** Every issue zod finds, located, with the near miss for a misspelt field or check. */
function schemaProblems<T>(file: string, raw: unknown, schema: z.ZodType<T>, locate: Locate): { data?: T; problems: Problem[] } {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return { data: parsed.data, problems: [] };
  const problems = parsed.error.issues.flatMap((issue): Problem[] => {
    const where = describePath(issue.path);
    const prefix = where ? `${where}: ` : '';
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ file, ...locate([...(issue.path as Array<string | number>), key], { key: true }), message: `${prefix}unknown field ${key}${didYouMean(key, fieldsAt(raw, issue.path))}` }));
    }
    let suggestion = '';
    if (issue.code === 'invalid_union' && 'options' in issue && Array.isArray(issue.options)) {
      let value: unknown = raw;
      for (const key of issue.path) value = (value as Record<PropertyKey, unknown> | undefined)?.[key];
      if (typeof value === 'string') suggestion = didYouMean(value, issue.options.map(String));
    }
    return [{ file, ...locate(issue.path as Array<string | number>), message: `${prefix}${issue.message}${suggestion}` }];
  });
  return { problems };
}

async function readSetup(dir: string): Promise<{ objects: KubernetesObject[]; problems: Problem[] }> {
  const setupDir = join(dir, 'setup');
  const objects: KubernetesObject[] = [];
  const problems: Problem[] = [];
  if (!existsSync(setupDir)) return { objects, problems };
  for (const name of (await readdir(setupDir)).filter((file) => /\.ya?ml$/.test(file)).sort()) {
    const file = join(setupDir, name);
    const lines = new LineCounter();
    for (const doc of parseAllDocuments(await readFile(file, 'utf8'), { lineCounter: lines })) {
      if (doc.errors.length > 0) {
        for (const error of doc.errors) {
          const { line, col } = lines.linePos(error.pos[0]);
          problems.push({ file, line, column: col, message: `not valid YAML: ${error.message.split('\n')[0]}` });
        }
        continue;
      }
      const object = doc.toJS() as KubernetesObject | null;
      if (object === null) continue;
      const { line, col } = lines.linePos(doc.contents?.range?.[0] ?? 0);
      const found = lintSetupObject(object);
      problems.push(...found.map((message) => ({ file, line, column: col, message })));
      if (found.length === 0) objects.push(object);
    }
  }
  return { objects, problems };
}

/** Reads a lab folder and reports every mistake in it, not only the first. */
export async function readLab(dir: string): Promise<LabRead> {
  const file = join(dir, 'lab.yaml');
  const problems: Problem[] = [];
  const lines = new LineCounter();
  const doc = parseDocument(existsSync(file) ? await readFile(file, 'utf8') : '', { lineCounter: lines, prettyErrors: false });
  const locate = locator(doc, lines);
  const read: LabRead = { dir, problems, locate, raw: undefined };
  let definition: LabDefinition | undefined;
  if (!existsSync(file)) problems.push({ file, line: 1, column: 1, message: 'every lab folder needs lab.yaml' });
  else if (doc.errors.length > 0) {
    for (const error of doc.errors) {
      const { line, col } = lines.linePos(error.pos[0]);
      problems.push({ file, line, column: col, message: `not valid YAML: ${error.message.split('\n')[0]}` });
    }
  } else {
    read.raw = doc.toJS();
    const { data, problems: shape } = schemaProblems(file, read.raw, labSchema, locate);
    problems.push(...shape);
    for (const finding of lintDefinition(read.raw)) problems.push({ file, ...locate(finding.path, finding.offset === undefined ? {} : { offset: finding.offset }), message: finding.message });
    const folder = dir.split('/').at(-1);
    if (data && data.id !== folder) problems.push({ file, ...locate(['id']), message: `id "${data.id}" must match the folder name "${folder}"` });
    if (data?.id === GENERAL_SESSION) problems.push({ file, ...locate(['id']), message: `the id "${GENERAL_SESSION}" names the terminal of lessons without a lab: choose another` });
    definition = data;
  }
  const solution = join(dir, 'solution.sh');
  if (!existsSync(solution)) problems.push({ file: solution, line: 1, column: 1, message: 'every lab needs solution.sh, its reference solution' });
  const setup = await readSetup(dir);
  problems.push(...setup.problems);
  if (definition && problems.length === 0) read.lab = { definition, dir, setup: setup.objects, solution: await readFile(solution, 'utf8') };
  return read;
}

/** The lab folders under a root, in name order. */
export async function labDirs(root = labsDir): Promise<string[]> {
  const entries = await readdir(root, { withFileTypes: true });
  return entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort((a, b) => a.localeCompare(b)).map((name) => join(root, name));
}

/** Every lab under labs/, in folder order; a mistake anywhere stops the load, with all of them listed. */
export async function loadLabs(root = labsDir): Promise<Lab[]> {
  const reads = await Promise.all((await labDirs(root)).map((dir) => readLab(dir)));
  const problems = reads.flatMap((read) => read.problems);
  if (problems.length > 0) throw new LabsInvalid(problems);
  return reads.map((read) => read.lab as Lab);
}

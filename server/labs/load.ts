import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { KubernetesObject } from '@kubernetes/client-node';
import { LineCounter, parseAllDocuments } from 'yaml';
import type { z } from 'zod';
import { projectRoot } from '../paths.ts';
import { GENERAL_SESSION } from '../shared/names.ts';
import { parseYaml, YamlFileError } from '../yaml-file.ts';
import { type LabDefinition, lab as labSchema } from './schema.ts';

export const labsDir = join(projectRoot, 'labs');

export type Lab = {
  definition: LabDefinition;
  dir: string;
  /** Objects applied into the learner's namespace when the lab starts or is reset. */
  setup: KubernetesObject[];
  solution: string;
};

const HINT = 'fix the file; labs/README.md describes the lab format';

async function parseYamlFile<T>(file: string, schema: z.ZodType<T>): Promise<T> {
  return parseYaml(file, await readFile(file, 'utf8'), schema, HINT);
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
        throw new YamlFileError(file, line, col, `not valid YAML: ${syntax.message.split('\n')[0]}`, HINT);
      }
      const object = doc.toJS() as KubernetesObject | null;
      if (object === null) continue;
      const start = doc.contents?.range?.[0] ?? 0;
      const { line, col } = lines.linePos(start);
      if (!object.apiVersion || !object.kind || !object.metadata?.name) throw new YamlFileError(file, line, col, 'a setup object needs apiVersion, kind and metadata.name', HINT);
      if (object.metadata.namespace) throw new YamlFileError(file, line, col, 'setup objects go into the learner\'s namespace: leave metadata.namespace out', HINT);
      objects.push(object);
    }
  }
  return objects;
}

export async function loadLab(dir: string): Promise<Lab> {
  const definition = await parseYamlFile(join(dir, 'lab.yaml'), labSchema);
  const folder = dir.split('/').at(-1);
  if (definition.id !== folder) throw new YamlFileError(join(dir, 'lab.yaml'), 1, 1, `id "${definition.id}" must match the folder name "${folder}"`, HINT);
  if (definition.id === GENERAL_SESSION) throw new YamlFileError(join(dir, 'lab.yaml'), 1, 1, `the id "${GENERAL_SESSION}" names the terminal of lessons without a lab: choose another`, HINT);
  const solution = join(dir, 'solution.sh');
  if (!existsSync(solution)) throw new YamlFileError(solution, 1, 1, 'every lab needs solution.sh, its reference solution', HINT);
  return { definition, dir, setup: await loadSetup(dir), solution: await readFile(solution, 'utf8') };
}

/** Every lab under labs/, in folder order; the first bad file stops the load with its location. */
export async function loadLabs(root = labsDir): Promise<Lab[]> {
  const entries = await readdir(root, { withFileTypes: true });
  return Promise.all(entries.filter((entry) => entry.isDirectory()).sort((a, b) => a.name.localeCompare(b.name)).map((entry) => loadLab(join(root, entry.name))));
}

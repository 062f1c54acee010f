// The import boundaries: the real import graph of server/ and src/, read from the source, checked
// against the table below. A module may import its own layer and the layers its row names, and
// no chain of imports may lead back to where it started. The README's architecture section shows
// the same table (this test compares them).
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';
import { projectRoot } from './paths.ts';

type Layer = { folder: string; says: string; may: string[] };

/** Lower layers first. `may` is every layer a module of this one may import directly. */
const layers: Record<string, Layer> = {
  shared: { folder: 'server/shared/', says: 'vocabulary: names and labels, lab kinds, grade results, the terminal protocol, the event bus', may: [] },
  base: { folder: 'server/*.ts', says: 'settings, paths, errors, logging, metrics, processes, the step reporter', may: ['shared'] },
  cluster: { folder: 'server/cluster/', says: 'providers (local, kind, kubeconfig), toolchain, health, the cluster record', may: ['base', 'shared'] },
  store: { folder: 'server/store/', says: "the learner's progress and workshops (SQLite, PostgreSQL)", may: ['base', 'shared'] },
  course: { folder: 'server/course/', says: 'the course: outline, lessons, quizzes, glossary', may: ['base', 'shared'] },
  sessions: { folder: 'server/sessions/', says: 'learner namespaces, RBAC policy, sandboxed shells, lifecycle', may: ['cluster', 'base', 'shared'] },
  labs: { folder: 'server/labs/', says: 'lab loading, checks, grading, the auto-grader, reports, proofs', may: ['sessions', 'cluster', 'store', 'base', 'shared'] },
  exams: { folder: 'server/exams/', says: 'practice exams: definitions, the draw, the clock, scoring', may: ['course', 'store', 'base', 'shared'] },
  workshops: { folder: 'server/workshops/', says: 'workshop codes, exam sittings and their end', may: ['exams', 'sessions', 'store', 'base', 'shared'] },
  http: { folder: 'server/http/', says: 'the web server: routes, identity, the terminal socket', may: ['exams', 'labs', 'workshops', 'sessions', 'course', 'cluster', 'store', 'base', 'shared'] },
  app: { folder: 'server/app/', says: 'the composition root: builds the platform from settings; the commands', may: ['http', 'exams', 'workshops', 'labs', 'sessions', 'course', 'store', 'cluster', 'base', 'shared'] },
  cli: { folder: 'server/cli.ts', says: 'the `cnlab` commands and flags', may: ['app', 'base'] },
  testing: { folder: 'server/testing/', says: 'test support: the platform started by its CLI, a throwaway PostgreSQL', may: ['base', 'shared'] },
  site: { folder: 'src/', says: "the course site's pages, components and browser scripts", may: ['exams', 'labs', 'course', 'shared'] },
};

/** The layer a project file belongs to; tests (`*.test.ts`) are leaves and may import any layer. */
function layerOf(file: string): string | undefined {
  if (file === 'server/cli.ts') return 'cli';
  if (file.startsWith('src/')) return 'site';
  const [top, second] = file.split('/');
  if (top !== 'server' || second === undefined) return undefined;
  if (!file.slice('server/'.length).includes('/')) return 'base';
  return Object.keys(layers).find((name) => layers[name]?.folder === `server/${second}/`);
}

const isTest = (file: string) => file.endsWith('.test.ts');

function sourceFiles(dir: string): string[] {
  return readdirSync(join(projectRoot, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(ts|astro)$/.test(entry.name) ? [path] : [];
  });
}

/** The code of a file that can import: all of a .ts file; an .astro file's front matter and scripts. */
function importingCode(file: string, text: string): string[] {
  if (!file.endsWith('.astro')) return [text];
  const frontMatter = /^---\n([\s\S]*?)\n---/.exec(text)?.[1] ?? '';
  const scripts = [...text.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)].map((match) => match[1] ?? '');
  return [frontMatter, ...scripts];
}

/** The project file a relative specifier names (with or without its extension). */
function resolveImport(from: string, specifier: string): string | undefined {
  const base = resolve(projectRoot, dirname(from), specifier);
  for (const candidate of [base, `${base}.ts`, `${base}.astro`, join(base, 'index.ts')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return relative(projectRoot, candidate);
  }
  return undefined;
}

/** Every import (static, dynamic with a literal, type-only, re-export) between project modules. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of [...sourceFiles('server'), ...sourceFiles('src')]) {
    const text = readFileSync(join(projectRoot, file), 'utf8');
    const targets = importingCode(file, text)
      .flatMap((code) => ts.preProcessFile(code, true, true).importedFiles.map((imported) => imported.fileName))
      .filter((specifier) => specifier.startsWith('.'))
      .flatMap((specifier) => {
        // Styles and other assets are not modules of the graph.
        if (!/\.(ts|astro)$/.test(specifier) && /\.[a-z]+$/.test(specifier)) return [];
        const target = resolveImport(file, specifier);
        assert.ok(target, `${file} imports ${specifier}, which is not a file of the project`);
        return [target];
      });
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

const graph = importGraph();

test('every module of server/ and src/ belongs to a layer of the table', () => {
  const homeless = [...graph.keys()].filter((file) => !isTest(file) && layerOf(file) === undefined);
  assert.deepEqual(homeless, [], 'add a row to the layer table in server/architecture.test.ts, or move the module into a layer');
});

test('the layer table itself points one way: no layer may reach back to itself', () => {
  const reaches = (from: string, to: string, seen = new Set<string>()): boolean =>
    (layers[from]?.may ?? []).some((next) => next === to || (!seen.has(next) && (seen.add(next), reaches(next, to, seen))));
  assert.deepEqual(Object.keys(layers).filter((name) => reaches(name, name)), []);
  for (const [name, layer] of Object.entries(layers)) for (const other of layer.may) assert.ok(layers[other], `${name} may import ${other}, which is no layer`);
});

test('every import goes the allowed direction', () => {
  const wrong: string[] = [];
  for (const [file, targets] of graph) {
    if (isTest(file)) continue;
    const from = layerOf(file) ?? '';
    for (const target of targets) {
      const to = layerOf(target);
      if (to === undefined || isTest(target)) wrong.push(`${file} imports ${target}, which is in no layer (or a test)`);
      else if (to !== from && !layers[from]?.may.includes(to)) wrong.push(`${file} (${from}) imports ${target} (${to}); ${from} may import ${layers[from]?.may.join(', ') || 'nothing'}`);
    }
  }
  assert.deepEqual(wrong, []);
});

test('no import cycle, between modules of any layer', () => {
  // Tarjan's strongly connected components: any component of more than one module is a cycle.
  let index = 0;
  const order = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (file: string) => {
    order.set(file, index);
    low.set(file, index);
    index += 1;
    stack.push(file);
    for (const target of graph.get(file) ?? []) {
      if (!order.has(target)) {
        visit(target);
        low.set(file, Math.min(low.get(file) ?? 0, low.get(target) ?? 0));
      } else if (stack.includes(target)) low.set(file, Math.min(low.get(file) ?? 0, order.get(target) ?? 0));
    }
    if (low.get(file) === order.get(file)) {
      const component: string[] = [];
      for (let member = stack.pop(); member !== undefined; member = member === file ? undefined : stack.pop()) component.push(member);
      if (component.length > 1 || graph.get(file)?.includes(file)) cycles.push(component.sort());
    }
  };
  for (const file of graph.keys()) if (!order.has(file)) visit(file);
  assert.deepEqual(cycles, []);
});

test('the graph is read for real: known imports are found', () => {
  assert.ok(graph.get('server/cli.ts')?.includes('server/app/commands.ts'));
  assert.ok(graph.get('src/components/LabTerminal.astro')?.includes('src/terminal/panel.ts'), 'a dynamic import in an .astro script');
  assert.ok(graph.get('src/course/data.ts')?.includes('server/labs/load.ts'), 'an import without its extension');
});

/** The README's rendering of the table. */
function layerTable(): string {
  const rows = Object.entries(layers).map(([name, layer]) => `| \`${name}\` | \`${layer.folder}\` | ${layer.says} | ${layer.may.map((other) => `\`${other}\``).join(', ') || '(nothing)'} |`);
  return ['| layer | where | what | may import |', '|---|---|---|---|', ...rows].join('\n');
}

test("the README's architecture section shows this table", () => {
  const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8');
  assert.ok(readme.includes(`${layerTable()}\n`), `README.md's architecture section should hold the layer table exactly as:\n\n${layerTable()}\n`);
});

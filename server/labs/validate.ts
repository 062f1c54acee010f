// `cnlab labs validate`: every mistake of every lab in one run. Beyond what loading a lab checks
// (its files, its shape, kinds, paths, selectors, setup), it checks what needs more than the
// lab's own files: each custom check against the functions its checks.ts exports, and the lab's
// lesson against the course (a lesson page that exists and names the lab, in the outline too).
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { projectRoot } from '../paths.ts';
import { type Lab, labDirs, labsDir, type LabRead, readLab } from './load.ts';
import type { Problem } from './problems.ts';
import { didYouMean } from './suggest.ts';

/** What the validator needs of the course (server/course builds it from content/). */
export type CourseIndex = {
  /** Every lesson by slug, with its file and the labs its front matter names. */
  lessons: ReadonlyMap<string, { file: string; labs: readonly string[] }>;
  /** content/curriculum.yaml's items: the lesson of each and the labs it lists. */
  curriculum: ReadonlyArray<{ lesson: string; labs: readonly string[] }>;
  curriculumFile: string;
};

type Raw = { tasks?: Array<{ checks?: Array<{ check?: unknown; name?: unknown }> }> };

/** The custom checks a lab names, with where each name sits in lab.yaml. */
function customNames(read: LabRead): Array<{ name: string; path: Array<string | number> }> {
  const tasks = Array.isArray((read.raw as Raw | undefined)?.tasks) ? ((read.raw as Raw).tasks ?? []) : [];
  return tasks.flatMap((task, t) =>
    (Array.isArray(task?.checks) ? task.checks : []).flatMap((check, c) => (check?.check === 'custom' && typeof check.name === 'string' ? [{ name: check.name, path: ['tasks', t, 'checks', c, 'name'] }] : [])),
  );
}

/** Each custom check names a function its lab's checks.ts exports. */
async function customProblems(read: LabRead): Promise<Problem[]> {
  const names = customNames(read);
  const module = join(read.dir, 'checks.ts');
  const labFile = join(read.dir, 'lab.yaml');
  if (!existsSync(module)) return names.map(({ name, path }) => ({ file: labFile, ...read.locate(path), message: `custom check ${name}: the lab has no checks.ts to export it` }));
  let exports: Record<string, unknown>;
  try {
    exports = (await import(pathToFileURL(module).href)) as Record<string, unknown>;
  } catch (error) {
    return [{ file: module, line: 1, column: 1, message: `checks.ts cannot be loaded: ${(error as Error).message.split('\n')[0]}` }];
  }
  const functions = Object.keys(exports).filter((key) => typeof exports[key] === 'function');
  return names
    .filter(({ name }) => typeof exports[name] !== 'function')
    .map(({ name, path }) => ({ file: labFile, ...read.locate(path), message: `custom check ${name}: ${relative(projectRoot, module)} exports no function ${name}${didYouMean(name, functions)} (it exports ${functions.join(', ') || 'none'})` }));
}

/** The lab's lesson exists, and both the lesson's front matter and the outline name the lab. */
function lessonProblems(read: LabRead, course: CourseIndex): Problem[] {
  // Read from the raw file, so a lab with other mistakes still has its lesson checked.
  const lesson = (read.raw as { lesson?: unknown } | undefined)?.lesson;
  const id = read.dir.split('/').at(-1) ?? '';
  if (typeof lesson !== 'string') return [];
  const at = { file: join(read.dir, 'lab.yaml'), ...read.locate(['lesson']) };
  const page = course.lessons.get(lesson);
  if (!page) return [{ ...at, message: `lesson ${lesson} is no lesson of the course (content/${lesson}.mdx)${didYouMean(lesson, course.lessons.keys())}` }];
  const problems: Problem[] = [];
  if (!page.labs.includes(id)) problems.push({ ...at, message: `lesson ${lesson} does not name this lab: add ${id} to the labs of ${relative(projectRoot, page.file)}'s front matter` });
  if (!course.curriculum.some((item) => item.lesson === lesson && item.labs.includes(id))) {
    problems.push({ ...at, message: `${relative(projectRoot, course.curriculumFile)} does not list this lab: add ${id} to the labs of an item of lesson ${lesson}` });
  }
  return problems;
}

/** Every mistake of every lab under `root`; the labs that have none. */
export async function validateLabs(course: CourseIndex, root = labsDir): Promise<{ labs: Lab[]; problems: Problem[] }> {
  const reads = await Promise.all((await labDirs(root)).map((dir) => readLab(dir)));
  const problems: Problem[] = [];
  const labs: Lab[] = [];
  for (const read of reads) {
    const found = [...read.problems, ...(await customProblems(read)), ...lessonProblems(read, course)];
    problems.push(...found.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column));
    if (read.lab && found.length === 0) labs.push(read.lab);
  }
  return { labs, problems };
}

// Loads the course from content/: the outline, every lesson's front matter, the quizzes and the
// glossary, each validated with its schema and reported by file and line when it is wrong.
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { projectRoot } from '../paths.ts';
import { parseYaml } from '../yaml-file.ts';
import { type Curriculum, curriculumSchema, type Glossary, glossarySchema, lessonFields, type LessonFields, type Quiz, quizSchema } from './schema.ts';

export const contentDir = join(projectRoot, 'content');

const HINT = 'fix the file; content/README.md describes the course formats';

export type Lesson = LessonFields & {
  slug: string;
  file: string;
  title: string;
  /** The MDX after the front matter. */
  body: string;
  /** The file's line number of the body's first line, for messages that point into the body. */
  bodyLine: number;
};

export type Course = {
  curriculum: Curriculum;
  lessons: Map<string, Lesson>;
  quizzes: Map<string, Quiz>;
  glossary: Glossary;
};

// Starlight's own fields (sidebar, tableOfContents, ...) may sit beside the lesson's.
const lessonFrontMatter = lessonFields.extend({ title: z.string().min(3), description: z.string().min(20) }).loose();

export function parseFrontMatter<T>(file: string, text: string, schema: z.ZodType<T>): { data: T; body: string; bodyLine: number } {
  const match = /^---\n([\s\S]*?)\n---\n/.exec(text);
  if (!match?.[1]) return { data: parseYaml(file, '', schema, HINT), body: text, bodyLine: 1 };
  return { data: parseYaml(file, match[1], schema, HINT, 2), body: text.slice(match[0].length), bodyLine: match[0].split('\n').length };
}

const readYaml = async <T,>(file: string, schema: z.ZodType<T>) => parseYaml(file, await readFile(file, 'utf8'), schema, HINT);

/** The lessons of one module folder: every .mdx file except the module's overview (index.mdx). */
async function loadModuleLessons(root: string, module: string, into: Course): Promise<void> {
  const dir = join(root, module);
  for (const name of (await readdir(dir)).sort()) {
    const slug = `${module}/${name.replace(/\.mdx$/, '').replace(/\.quiz\.yaml$/, '')}`;
    const file = join(dir, name);
    if (name.endsWith('.quiz.yaml')) into.quizzes.set(slug, await readYaml(file, quizSchema));
    else if (name.endsWith('.mdx') && name !== 'index.mdx' && !name.startsWith('_')) {
      const { data, body, bodyLine } = parseFrontMatter(file, await readFile(file, 'utf8'), lessonFrontMatter);
      into.lessons.set(slug, { ...data, slug, file, body, bodyLine });
    }
  }
}

/** The lessons in teaching order: module by module, each module's lessons in the outline's order. */
export function lessonsInOrder(course: Course): Lesson[] {
  const slugs = new Set(course.curriculum.modules.flatMap((module) => module.items.map((item) => item.lesson)));
  return [...slugs].flatMap((slug) => course.lessons.get(slug) ?? []);
}

export async function loadCourse(root = contentDir): Promise<Course> {
  const curriculum = await readYaml(join(root, 'curriculum.yaml'), curriculumSchema);
  const glossaryFile = join(root, 'glossary.yaml');
  const course: Course = { curriculum, lessons: new Map(), quizzes: new Map(), glossary: existsSync(glossaryFile) ? await readYaml(glossaryFile, glossarySchema) : [] };
  for (const module of curriculum.modules) {
    if (existsSync(join(root, module.slug))) await loadModuleLessons(root, module.slug, course);
  }
  return course;
}

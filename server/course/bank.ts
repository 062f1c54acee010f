// The KCNA question bank (exams/kcna/bank/<domain>-<subArea>.yaml): its format, and loading it
// with every mistake named by file and line, including the ones that need the course to see (a
// lesson that does not exist, a section that is not a heading of it, an id used twice).
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import Slugger from 'github-slugger';
import { z } from 'zod';
import { projectRoot } from '../paths.ts';
import { YamlFileError, parseYaml } from '../yaml-file.ts';
import type { Course } from './load.ts';

export const bankDir = join(projectRoot, 'exams', 'kcna', 'bank');

const HINT = 'fix the file; exams/kcna/README.md describes the bank format';

const slug = z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'lowercase words joined by hyphens');

/** The exam's domains: the bank draws only from these (the infrastructure track is not examined). */
export const examDomainIds = ['fundamentals', 'orchestration', 'delivery', 'architecture'] as const;

const choiceSchema = z.strictObject({ text: z.string().min(1), why: z.string().min(10) });

export const bankQuestionSchema = z
  .strictObject({
    id: slug,
    domain: z.enum(examDomainIds),
    subArea: slug,
    lesson: z.string().regex(/^[a-z0-9-]+\/[a-z0-9-]+$/, 'a content/ path without .mdx, e.g. fundamentals/pods'),
    section: slug.optional(),
    difficulty: z.union([z.literal(1), z.literal(2), z.literal(3)], { error: '1 (recall), 2 (apply) or 3 (analyse)' }),
    prompt: z.string().min(10),
    choices: z.array(choiceSchema).length(4, 'exactly 4 choices, one of them the single best answer'),
    answer: z.number().int().min(0).max(3),
    explanation: z.string().min(30),
  })
  .superRefine((question, context) => {
    if (new Set(question.choices.map((choice) => choice.text)).size !== question.choices.length) {
      context.addIssue({ code: 'custom', path: ['choices'], message: 'two choices read the same' });
    }
  });
export type BankQuestion = z.infer<typeof bankQuestionSchema>;

export const bankFileSchema = z.strictObject({ questions: z.array(bankQuestionSchema).min(1) });

/** A question as loaded, with the file it came from (relative to the project). */
export type LoadedBankQuestion = BankQuestion & { file: string };

/** What a file's questions are checked against beyond their format. */
type FileRules = {
  domain: string;
  subArea: string;
  /** Each lesson of the course with the anchors of its headings. */
  sections: Map<string, Set<string>>;
  /** Ids of the files read before, with their file. */
  earlier: Map<string, string>;
};

function withRules(rules: FileRules) {
  return bankFileSchema.superRefine((file, context) => {
    const inFile = new Set<string>();
    for (const [index, question] of file.questions.entries()) {
      const at = (key: string) => ['questions', index, key];
      const other = rules.earlier.get(question.id);
      if (other) context.addIssue({ code: 'custom', path: at('id'), message: `id ${question.id} is also used in ${other}` });
      if (inFile.has(question.id)) context.addIssue({ code: 'custom', path: at('id'), message: `id ${question.id} is used twice in this file` });
      inFile.add(question.id);
      if (question.domain !== rules.domain) context.addIssue({ code: 'custom', path: at('domain'), message: `domain is ${question.domain}; this file holds ${rules.domain}` });
      if (question.subArea !== rules.subArea) context.addIssue({ code: 'custom', path: at('subArea'), message: `subArea is ${question.subArea}; this file holds ${rules.subArea}` });
      const sections = rules.sections.get(question.lesson);
      if (!sections) context.addIssue({ code: 'custom', path: at('lesson'), message: `content/${question.lesson}.mdx is not a lesson` });
      else if (question.section !== undefined && !sections.has(question.section)) {
        context.addIssue({ code: 'custom', path: at('section'), message: `"${question.section}" is not a heading of ${question.lesson} (${[...sections].join(', ')})` });
      }
    }
  });
}

/** The text a heading shows: inline code, links and emphasis reduced to their words, as the slug is made from. */
const headingText = (markdown: string) =>
  markdown
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[`*_]/g, '')
    .trim();

/**
 * The anchors of a lesson's headings (## and below, outside code blocks), made as the site makes
 * them: github-slugger over the heading's text, one slugger per page so repeated headings get -1, -2.
 */
export function headingSlugs(body: string): Set<string> {
  const slugger = new Slugger();
  const slugs = new Set<string>();
  let inCode = false;
  for (const line of body.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) inCode = !inCode;
    const heading = inCode ? null : /^#{2,6}\s+(.+?)\s*#*\s*$/.exec(line);
    if (heading?.[1]) slugs.add(slugger.slug(headingText(heading[1])));
  }
  return slugs;
}

/** Every question of the bank, file by file in name order; the first mistake throws a YamlFileError. */
export async function loadBank(course: Course, dir = bankDir): Promise<LoadedBankQuestion[]> {
  const sections = new Map([...course.lessons.values()].map((lesson) => [lesson.slug, headingSlugs(lesson.body)]));
  const subAreas = new Map<string, string[]>(course.curriculum.domains.filter((domain) => (examDomainIds as readonly string[]).includes(domain.id)).map((domain) => [domain.id, domain.subAreas]));
  const expected = [...subAreas].flatMap(([domain, areas]) => areas.map((area) => `${domain}-${area}.yaml`));
  const earlier = new Map<string, string>();
  const questions: LoadedBankQuestion[] = [];
  for (const name of (await readdir(dir)).filter((entry) => entry.endsWith('.yaml')).sort()) {
    const file = join(dir, name);
    const [domain = '', ...rest] = name.replace(/\.yaml$/, '').split('-');
    const subArea = rest.join('-');
    if (!subAreas.get(domain)?.includes(subArea)) {
      throw new YamlFileError(file, 1, 1, `the file name is not <domain>-<subArea>.yaml of an exam sub-area (one of ${expected.join(', ')})`, HINT);
    }
    const where = relative(projectRoot, file);
    const parsed = parseYaml(file, await readFile(file, 'utf8'), withRules({ domain, subArea, sections, earlier }), HINT);
    for (const question of parsed.questions) {
      earlier.set(question.id, where);
      questions.push({ ...question, file: where });
    }
  }
  return questions;
}

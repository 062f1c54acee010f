// Exams as data: exams/<id>/exam.yaml, validated like labs and reported by file and line.
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { projectRoot } from '../paths.ts';
import { parseYaml } from '../yaml-file.ts';

export const examsDir = join(projectRoot, 'exams');

const HINT = 'fix the file; exams/README.md describes the exam format';

export const examSchema = z.strictObject({
  title: z.string().min(5),
  summary: z.string().min(20),
  /** A timed multiple-choice exam drawn from a question bank. */
  kind: z.literal('practice'),
  /** The bank's folder under exams/ (exams/<bank>/bank/). */
  bank: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/),
  questions: z.number().int().min(1).max(200),
  minutes: z.number().int().min(1).max(600),
  passPercent: z.number().min(1).max(100),
});

export type Exam = z.infer<typeof examSchema> & { id: string; file: string };

/** Every exams/<id>/exam.yaml, by id. */
export async function loadExams(dir = examsDir): Promise<Map<string, Exam>> {
  const exams = new Map<string, Exam>();
  for (const entry of (await readdir(dir, { withFileTypes: true })).filter((each) => each.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    const file = join(dir, entry.name, 'exam.yaml');
    if (!existsSync(file)) continue;
    exams.set(entry.name, { ...parseYaml(file, await readFile(file, 'utf8'), examSchema, HINT), id: entry.name, file });
  }
  return exams;
}

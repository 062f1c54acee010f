// Every exam with the bank it draws from, loaded and validated once.
import { join } from 'node:path';
import { type BankQuestion, loadBank } from '../course/bank.ts';
import type { Course } from '../course/load.ts';
import { type Exam, examsDir, loadExams } from './definition.ts';

export type LoadedExams = { exams: Map<string, Exam>; banks: Map<string, BankQuestion[]> };

export async function loadExamsWithBanks(course: Course, dir = examsDir): Promise<LoadedExams> {
  const exams = await loadExams(dir);
  const banks = new Map<string, BankQuestion[]>();
  for (const exam of exams.values()) {
    if (!banks.has(exam.bank)) banks.set(exam.bank, await loadBank(course, join(dir, exam.bank, 'bank')));
  }
  return { exams, banks };
}

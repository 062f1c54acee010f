// What a practice exam's scoring says, shared by the exams that compute it, the store that keeps
// it with the attempt and the page that draws it.

export type ScoreLine = { correct: number; total: number };

export type ExamScore = ScoreLine & {
  percent: number;
  passed: boolean;
  passPercent: number;
  /** Milliseconds from the start to the submission (at most the exam's time). */
  timeUsedMs: number;
  /** How the submission came: the learner's button, or the clock running out. */
  submittedBy: 'learner' | 'clock';
  byDomain: Array<ScoreLine & { domain: string; title: string }>;
  /** The weakest sub-areas first, each with the lessons that teach its missed questions. */
  studyNext: Array<ScoreLine & { domain: string; subArea: string; lessons: string[] }>;
};

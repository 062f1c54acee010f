// What a grading says, shared by the graders that produce it, the store that records it, the
// HTTP layer that sends it and the reports that format it.

/** One check's verdict: one sentence naming what the task expects and what is there. */
export type CheckResult = { ok: boolean; message: string };
export type TaskResult = { id: string; title: string; passed: boolean; checks: CheckResult[] };
export type LabResult = { lab: string; namespace: string; passed: boolean; tasks: TaskResult[]; gradedAt: string };

/** A learner's lab as the store remembers it, for the lab page on load: each task's latest check and when it last passed. */
export type LabState = {
  lab: string;
  completedAt: string | null;
  tasks: Array<{ task: string; passed: boolean; messages: string[]; at: string; lastPassedAt: string | null }>;
  /** How many hints the learner has opened, by task. */
  hints: Record<string, number>;
};

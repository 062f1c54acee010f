import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Session } from '../sessions/manager.ts';
import { gradeLab, type LabResult } from './grade.ts';
import type { Lab } from './load.ts';

// Tasks tick by themselves: when a learner's shell has been busy, the lab is graded again shortly
// after it goes quiet, and once more a little later for what controllers finish afterwards
// (rollouts, endpoints). A grade is one snapshot read, so this stays cheap at many sessions.

const QUIET_MS = 800;
const FOLLOW_UPS_MS = [3000, 10_000];

export type AutoGrader = {
  /** Notes shell activity in a session; grading follows once it is quiet. */
  activity(session: Session): void;
  /** Grades now; emits 'graded' on the session when the result changed. */
  grade(session: Session): Promise<LabResult | undefined>;
};

export function autoGrader(kc: KubeConfig, labs: ReadonlyMap<string, Lab>, logger: Logger): AutoGrader {
  const timers = new Map<string, NodeJS.Timeout[]>();
  const last = new Map<string, string>();

  async function grade(session: Session): Promise<LabResult | undefined> {
    const lab = labs.get(session.lab);
    if (!lab) return undefined;
    const result = await gradeLab(kc, lab, session.namespace);
    const summary = JSON.stringify(result.tasks);
    if (last.get(session.id) !== summary) {
      last.set(session.id, summary);
      session.events.emit('graded', result);
    }
    return result;
  }

  return {
    grade,
    activity(session) {
      if (!labs.has(session.lab)) return;
      if (!timers.has(session.id)) {
        session.events.once('closed', () => {
          for (const timer of timers.get(session.id) ?? []) clearTimeout(timer);
          timers.delete(session.id);
          last.delete(session.id);
        });
      }
      for (const timer of timers.get(session.id) ?? []) clearTimeout(timer);
      timers.set(
        session.id,
        [QUIET_MS, ...FOLLOW_UPS_MS].map((delay) =>
          setTimeout(() => {
            if (session.terminal.exited) return;
            grade(session).catch((error: unknown) => logger.warn({ err: error, session: session.id }, 'automatic grading failed'));
          }, delay).unref(),
        ),
      );
    },
  };
}

import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Session, SessionEvents } from '../sessions/manager.ts';
import { type Bus, createBus } from '../shared/bus.ts';
import type { LabResult } from '../shared/grades.ts';
import { gradeLab, LabError } from './grade.ts';
import type { CheckRun, ProgressStore } from '../store/store.ts';
import type { Lab } from './load.ts';

// Tasks tick by themselves: when a learner's shell has been busy, the lab is graded again shortly
// after it goes quiet, and once more a little later for what controllers finish afterwards
// (rollouts, endpoints). A grade is one snapshot read, so this stays cheap at many sessions.

const QUIET_MS = 800;
const FOLLOW_UPS_MS = [3000, 10_000];

/** What a learner reads when the cluster does not answer: their work was not judged. */
export const CLUSTER_UNAVAILABLE = 'the lab cluster is unavailable right now, so nothing was checked: try again in a moment';

/** What a learner reads when the lab itself cannot be graded: the course's mistake, not theirs. */
export const LAB_ERROR = 'this lab cannot check your work right now because of a mistake in the lab itself; it has been reported';

/** How grades leave the grader: the HTTP layer pushes them to the learner's lab panel. */
export type GradeEvents = {
  /** A session's lab was graded and the result differs from the last one sent. */
  graded: { session: string; result: LabResult };
  /** An automatic grading could not reach the cluster: the work was not judged. */
  ungraded: { session: string; message: string };
};

export type AutoGrader = {
  /**
   * Grades now, records the result in the learner's progress and publishes 'graded' when it
   * changed. A result that could not be recorded carries the reason in `unsaved`.
   */
  grade(session: Session, trigger: CheckRun['trigger']): Promise<(LabResult & { unsaved?: string }) | undefined>;
  readonly events: Bus<GradeEvents>;
};

/**
 * Grades sessions when their shells go quiet, and whenever asked. Grades are published on
 * `events`: an in-process bus by default, or one that reaches every server (server/store/replica-bus.ts).
 */
export function autoGrader(
  kc: KubeConfig,
  labs: ReadonlyMap<string, Lab>,
  store: ProgressStore,
  logger: Logger,
  sessions: Bus<SessionEvents>,
  events: Bus<GradeEvents> = createBus(),
): AutoGrader {
  const timers = new Map<string, NodeJS.Timeout[]>();
  const last = new Map<string, string>();

  async function grade(session: Session, trigger: CheckRun['trigger']): Promise<(LabResult & { unsaved?: string }) | undefined> {
    const lab = labs.get(session.lab);
    if (!lab) return undefined;
    const result = await gradeLab(kc, lab, session.namespace);
    const at = new Date(result.gradedAt);
    let unsaved: string | undefined;
    try {
      await store.recordGrading(
        result.tasks.map((task) => ({ learner: session.learner, lab: lab.definition.id, task: task.id, passed: task.passed, messages: task.checks.filter((c) => !c.ok).map((c) => c.message), trigger, at })),
      );
    } catch (error) {
      // The learner still gets the grade; progress that cannot be written is reported, not faked.
      unsaved = (error as Error).message;
      logger.error({ err: error, session: session.id }, 'could not record a grading');
    }
    const summary = JSON.stringify(result.tasks);
    if (last.get(session.id) !== summary) {
      last.set(session.id, summary);
      events.emit('graded', { session: session.id, result });
    }
    return unsaved ? { ...result, unsaved } : result;
  }

  sessions.on('closed', (session) => {
    for (const timer of timers.get(session.id) ?? []) clearTimeout(timer);
    timers.delete(session.id);
    last.delete(session.id);
  });
  // Something in the namespace may have changed: grade once the shell is quiet.
  sessions.on('activity', (session) => {
    if (!labs.has(session.lab)) return;
    for (const timer of timers.get(session.id) ?? []) clearTimeout(timer);
    timers.set(
      session.id,
      [QUIET_MS, ...FOLLOW_UPS_MS].map((delay) =>
        setTimeout(() => {
          if (session.terminal.exited) return;
          grade(session, 'auto').catch((error: unknown) => {
            const labError = error instanceof LabError;
            logger[labError ? 'error' : 'warn']({ err: error, session: session.id }, 'automatic grading failed');
            // The ticks keep their last state; the panel says why they may be stale, and the
            // next grade that works is sent even if nothing changed, to clear that notice.
            last.delete(session.id);
            events.emit('ungraded', { session: session.id, message: labError ? LAB_ERROR : CLUSTER_UNAVAILABLE });
          });
        }, delay).unref(),
      ),
    );
  });

  return { grade, events };
}

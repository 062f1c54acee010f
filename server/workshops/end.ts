import type { Logger } from 'pino';
import type { SessionManager } from '../sessions/manager.ts';
import type { ProgressStore } from '../store/store.ts';

/**
 * Cleans up after workshops that have ended: every member's sessions and namespaces for the
 * workshop's labs go. Progress stays (it is the learner's, to export or delete). A workshop is
 * marked cleaned only when all of its namespaces are gone, so a failure is retried next time.
 */
export async function endWorkshops(store: ProgressStore, sessions: Pick<SessionManager, 'endLabs'>, logger: Logger, now = new Date()): Promise<void> {
  for (const workshop of await store.endedWorkshops(now)) {
    const members = await store.workshopMembers(workshop);
    const deleted = await sessions.endLabs(members.map((member) => member.learner), workshop.labs);
    await store.markWorkshopCleaned(workshop, now);
    logger.info({ workshop: workshop.code, learners: members.length, deleted }, 'workshop ended: its namespaces are deleted');
  }
}

import { createHash } from 'node:crypto';

// The platform's names in the cluster: the labels on everything it creates, read back by the
// sessions (reconcile, sweep, reset), the graders (a learner's or a workshop's namespaces) and
// the instructor's dashboard (learners by reference).

export const LABELS = {
  managedBy: 'app.kubernetes.io/managed-by',
  owner: 'cnlab.dev/owner',
  lab: 'cnlab.dev/lab',
  expires: 'cnlab.dev/expires',
} as const;
export const MANAGED_BY = 'cnlab';

/** Learner ids never reach the cluster: labels carry a hash of them. */
export const ownerLabel = (learner: string) => createHash('sha256').update(learner).digest('hex').slice(0, 32);

/**
 * The session of lessons without a lab: one general-purpose namespace per learner, shared by all
 * of them, so reading five such lessons takes one terminal and not five. No lab may take this id.
 */
export const GENERAL_SESSION = 'general';

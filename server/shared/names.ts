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

/**
 * The owner label of a pool namespace (server/sessions/pool.ts), made before its learner is
 * known: `filling` while its objects are being made, `unassigned` once it is complete and free to
 * claim. Never a learner's hash (those are hex), yet always present, because the admission
 * policies (server/sessions/learner-admission.yaml) protect namespaces that have an owner label:
 * a pool namespace is protected from its first moment, not from when the label cache catches up.
 */
export const POOL_OWNER = { filling: 'pool-filling', unassigned: 'pool-unassigned' } as const;

/** The label selector of learner namespaces: the platform's, and not in the pool. */
export const LEARNER_NAMESPACES = `${LABELS.managedBy}=${MANAGED_BY},${LABELS.owner},${LABELS.owner} notin (${POOL_OWNER.filling},${POOL_OWNER.unassigned})`;

/** Whether a namespace's labels make it a learner's: the platform's, with an owner, not in the pool. */
export const isLearnerNamespace = (labels: Record<string, string> | undefined): boolean => {
  const owner = labels?.[LABELS.owner];
  return labels?.[LABELS.managedBy] === MANAGED_BY && Boolean(owner) && !Object.values<string>(POOL_OWNER).includes(owner ?? '');
};

/** Learner ids never reach the cluster: labels carry a hash of them. */
export const ownerLabel = (learner: string) => createHash('sha256').update(learner).digest('hex').slice(0, 32);

/**
 * The session of lessons without a lab: one general-purpose namespace per learner, shared by all
 * of them, so reading five such lessons takes one terminal and not five. No lab may take this id.
 */
export const GENERAL_SESSION = 'general';

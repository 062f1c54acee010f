import { z } from 'zod';

// The lab format (labs/<id>/lab.yaml), documented for authors in labs/README.md. Every check is
// a declarative read of the learner's namespace; `custom` is the escape hatch, rarely needed.

const id = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'use lowercase letters, digits and dashes');

/** "Kind/name", e.g. "Deployment/web". */
export const objectRef = z.string().regex(/^[A-Z][A-Za-z]+\/[a-z0-9][a-z0-9.-]*$/, 'write the object as Kind/name, e.g. Deployment/web');

const scalar = z.union([z.string(), z.number(), z.boolean()]);

/** One test of the value at a path (labs/README.md, "Operators"). */
export type Condition = {
  path: string;
  label?: string | undefined;
  describe?: string | undefined;
  equals?: string | number | boolean | undefined;
  matches?: string | undefined;
  contains?: string | number | boolean | undefined;
  greaterThan?: number | undefined;
  lessThan?: number | undefined;
  exists?: boolean | undefined;
  length?: number | undefined;
  anyItem?: Condition[] | undefined;
  everyItem?: Condition[] | undefined;
};

export const operators = ['equals', 'matches', 'contains', 'greaterThan', 'lessThan', 'exists', 'length', 'anyItem', 'everyItem'] as const;

const conditionFields = {
  /** A path of the grammar in server/labs/path.ts, e.g. spec.volumes[name=config].configMap.name. */
  path: z.string().min(1),
  /** What the path means, in the learner's words ("replicas"); the learner never reads the path. */
  label: z.string().optional(),
  /** What the operator asks for, in the learner's words ("an nginx 1.22 image"); needed with matches. */
  describe: z.string().optional(),
  equals: scalar.optional(),
  matches: z.string().optional(),
  contains: scalar.optional(),
  greaterThan: z.number().optional(),
  lessThan: z.number().optional(),
  exists: z.boolean().optional(),
  /** The value is a list of exactly this many items. */
  length: z.number().int().min(0).optional(),
  /** Some item of the list passes all these conditions / every item does; their paths start at the item. */
  anyItem: z.array(z.lazy((): z.ZodType<Condition> => condition)).min(1).optional(),
  everyItem: z.array(z.lazy((): z.ZodType<Condition> => condition)).min(1).optional(),
};

/** One test of the value at a path: exactly one operator, and a regular expression that compiles. */
function asCondition<T extends z.ZodObject>(schema: T) {
  return schema
    .refine((c: Record<string, unknown>) => operators.filter((op) => c[op] !== undefined).length === 1, {
      message: `give exactly one of ${operators.join(', ')}`,
    })
    .refine((c: Record<string, unknown>) => typeof c.matches !== 'string' || isRegExp(c.matches), { message: 'matches is not a valid regular expression' });
}

export const condition: z.ZodType<Condition> = asCondition(z.object(conditionFields).strict());

function isRegExp(source: string): boolean {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}

const count = {
  equals: z.number().int().min(0).optional(),
  atLeast: z.number().int().min(0).optional(),
  atMost: z.number().int().min(0).optional(),
};

// Each check's own fields; a check object is one of these, strict, with the refinements below.
const checkShapes = {
  exists: z.object({ check: z.literal('exists'), object: objectRef }),
  absent: z.object({ check: z.literal('absent'), object: objectRef }),
  field: z.object({ check: z.literal('field'), object: objectRef, ...conditionFields }),
  containers: z.object({
    check: z.literal('containers'),
    object: objectRef,
    /** Which containers: the app containers (default), the init containers, or both. */
    of: z.enum(['containers', 'initContainers', 'all']).default('containers'),
    every: z.array(condition).optional(),
    any: z.array(condition).optional(),
  }),
  count: z.object({ check: z.literal('count'), kind: z.string(), selector: z.string().default(''), ...count }),
  ready: z.object({ check: z.literal('ready'), object: objectRef }),
  jobComplete: z.object({ check: z.literal('jobComplete'), object: objectRef }),
  serviceEndpoints: z.object({ check: z.literal('serviceEndpoints'), object: objectRef, atLeast: z.number().int().min(1).default(1) }),
  ingressRoute: z.object({
    check: z.literal('ingressRoute'),
    host: z.string().optional(),
    path: z.string().default('/'),
    service: z.string(),
    port: z.union([z.number().int(), z.string()]),
  }),
  access: z.object({
    check: z.literal('access'),
    serviceAccount: z.string(),
    verb: z.string(),
    resource: z.string(),
    group: z.string().default(''),
    subresource: z.string().optional(),
    allowed: z.boolean(),
  }),
  rolledOut: z.object({ check: z.literal('rolledOut'), object: objectRef, revisionsAtLeast: z.number().int().min(2).default(2) }),
  logs: z.object({
    check: z.literal('logs'),
    /** A Pod: the kubelet serves its containers' logs through the API server. */
    object: objectRef,
    /** Whose log: the Pod's first app container if left out. */
    container: z.string().optional(),
    contains: z.string().min(1).optional(),
    matches: z.string().optional(),
    describe: z.string().optional(),
  }),
  state: z.object({
    check: z.literal('state'),
    object: objectRef,
    container: z.string(),
    state: z.enum(['running', 'waiting', 'terminated']).optional(),
    /** The reason of a waiting or terminated state: CrashLoopBackOff, ImagePullBackOff, Completed, OOMKilled, Error. */
    reason: z.string().optional(),
    /** The exit code of the container's last termination. */
    exitCode: z.number().int().optional(),
    restartsAtLeast: z.number().int().min(0).optional(),
    restartsAtMost: z.number().int().min(0).optional(),
  }),
  custom: z.object({
    check: z.literal('custom'),
    name: z.string().regex(/^[a-zA-Z][a-zA-Z0-9]*$/),
    description: z.string(),
    // The kinds the function reads from the snapshot, so the grader lists them.
    reads: z.array(z.string()).default([]),
  }),
};

export const checkKinds = Object.keys(checkShapes) as Array<keyof typeof checkShapes>;

/** The fields each object of a lab may have, for the validator's "did you mean". */
export const knownFields = {
  lab: ['id', 'title', 'lesson', 'intro', 'proof', 'tasks'],
  proof: ['settleSeconds', 'timeoutSeconds'],
  task: ['id', 'title', 'instructions', 'hints', 'satisfiedAtStart', 'checks'],
  condition: Object.keys(conditionFields),
  check: Object.fromEntries(Object.entries(checkShapes).map(([kind, shape]) => [kind, Object.keys(shape.shape)])) as Record<string, string[]>,
};

export const check = z.discriminatedUnion(
  'check',
  [
    checkShapes.exists.strict(),
    checkShapes.absent.strict(),
    asCondition(checkShapes.field.strict()),
    checkShapes.containers.strict().refine((c) => (c.every ? 1 : 0) + (c.any ? 1 : 0) === 1, { message: 'give either every or any' }),
    checkShapes.count
      .strict()
      .refine((c) => c.equals !== undefined || c.atLeast !== undefined || c.atMost !== undefined, { message: 'give equals, atLeast or atMost' }),
    checkShapes.ready.strict(),
    checkShapes.jobComplete.strict(),
    checkShapes.serviceEndpoints.strict(),
    checkShapes.ingressRoute.strict(),
    checkShapes.access.strict(),
    checkShapes.rolledOut.strict(),
    checkShapes.custom.strict(),
    checkShapes.logs
      .strict()
      .refine((c) => (c.contains === undefined ? 0 : 1) + (c.matches === undefined ? 0 : 1) === 1, { message: 'give exactly one of contains, matches' })
      .refine((c) => c.matches === undefined || isRegExp(c.matches), { message: 'matches is not a valid regular expression' }),
    checkShapes.state
      .strict()
      .refine((c) => c.state !== undefined || c.restartsAtLeast !== undefined || c.restartsAtMost !== undefined || c.exitCode !== undefined, {
        message: 'give state, exitCode, restartsAtLeast or restartsAtMost',
      })
      .refine((c) => c.reason === undefined || c.state === 'waiting' || c.state === 'terminated', { message: 'a reason belongs to state waiting or terminated' }),
  ],
  { error: () => `check must be one of ${checkKinds.join(', ')}` },
);

export const task = z
  .object({
    id,
    title: z.string().min(1),
    instructions: z.string().min(1),
    hints: z.array(z.string().min(1)).default([]),
    /** The untouched lab already satisfies this task (say so; CI checks the rest fail at first). */
    satisfiedAtStart: z.boolean().default(false),
    checks: z.array(check).min(1),
  })
  .strict();

export const lab = z
  .object({
    id,
    title: z.string().min(1),
    /** Slug of the lesson the lab belongs to, e.g. fundamentals/architecture. */
    lesson: z.string().regex(/^[a-z0-9-]+(\/[a-z0-9-]+)*$/),
    intro: z.string().min(1),
    /** How `cnlab labs test` proves the lab (labs/README.md, "Proofs"). */
    proof: z
      .object({
        /** How long the solved lab may take to pass after solution.sh ends (rollouts, endpoints settle). */
        settleSeconds: z.number().int().min(0).max(300).default(30),
        /** How long solution.sh may run. */
        timeoutSeconds: z.number().int().min(10).max(600).default(120),
      })
      .strict()
      .default({ settleSeconds: 30, timeoutSeconds: 120 }),
    tasks: z.array(task).min(1),
  })
  .strict()
  .refine((l) => new Set(l.tasks.map((t) => t.id)).size === l.tasks.length, { message: 'task ids must be unique', path: ['tasks'] });

export type Check = z.infer<typeof check>;
export type Task = z.infer<typeof task>;
export type LabDefinition = z.infer<typeof lab>;

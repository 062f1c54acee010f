import { z } from 'zod';

// The lab format (labs/<id>/lab.yaml), documented for authors in labs/README.md. Every check is
// a declarative read of the learner's namespace; `custom` is the escape hatch, rarely needed.

const id = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'use lowercase letters, digits and dashes');

/** "Kind/name", e.g. "Deployment/web". */
export const objectRef = z.string().regex(/^[A-Z][A-Za-z]+\/[a-z0-9][a-z0-9.-]*$/, 'write the object as Kind/name, e.g. Deployment/web');

const scalar = z.union([z.string(), z.number(), z.boolean()]);

const conditionFields = {
  /** Dot path with [index] for lists, e.g. spec.template.spec.containers[0].image. */
  path: z.string().min(1),
  /** What the path means, in the learner's words ("replicas"); defaults to the path. */
  label: z.string().optional(),
  equals: scalar.optional(),
  matches: z.string().optional(),
  contains: scalar.optional(),
  greaterThan: z.number().optional(),
  lessThan: z.number().optional(),
  exists: z.boolean().optional(),
};
const operators = ['equals', 'matches', 'contains', 'greaterThan', 'lessThan', 'exists'] as const;

/** One test of the value at a path: exactly one operator, and a regular expression that compiles. */
function asCondition<T extends z.ZodObject>(schema: T) {
  return schema
    .refine((c: Record<string, unknown>) => operators.filter((op) => c[op] !== undefined).length === 1, {
      message: `give exactly one of ${operators.join(', ')}`,
    })
    .refine((c: Record<string, unknown>) => typeof c.matches !== 'string' || isRegExp(c.matches), { message: 'matches is not a valid regular expression' });
}

export const condition = asCondition(z.object(conditionFields).strict());

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

const checkKinds = ['exists', 'absent', 'field', 'containers', 'count', 'ready', 'jobComplete', 'serviceEndpoints', 'ingressRoute', 'access', 'rolledOut', 'custom'];

export const check = z.discriminatedUnion(
  'check',
  [
  z.object({ check: z.literal('exists'), object: objectRef }).strict(),
  z.object({ check: z.literal('absent'), object: objectRef }).strict(),
  asCondition(z.object({ check: z.literal('field'), object: objectRef, ...conditionFields }).strict()),
  z
    .object({
      check: z.literal('containers'),
      object: objectRef,
      /** Which containers: the app containers (default), the init containers, or both. */
      of: z.enum(['containers', 'initContainers', 'all']).default('containers'),
      every: z.array(condition).optional(),
      any: z.array(condition).optional(),
    })
    .strict()
    .refine((c) => (c.every ? 1 : 0) + (c.any ? 1 : 0) === 1, { message: 'give either every or any' }),
  z
    .object({ check: z.literal('count'), kind: z.string(), selector: z.string().default(''), ...count })
    .strict()
    .refine((c) => c.equals !== undefined || c.atLeast !== undefined || c.atMost !== undefined, { message: 'give equals, atLeast or atMost' }),
  z.object({ check: z.literal('ready'), object: objectRef }).strict(),
  z.object({ check: z.literal('jobComplete'), object: objectRef }).strict(),
  z.object({ check: z.literal('serviceEndpoints'), object: objectRef, atLeast: z.number().int().min(1).default(1) }).strict(),
  z
    .object({
      check: z.literal('ingressRoute'),
      host: z.string().optional(),
      path: z.string().default('/'),
      service: z.string(),
      port: z.union([z.number().int(), z.string()]),
    })
    .strict(),
  z
    .object({
      check: z.literal('access'),
      serviceAccount: z.string(),
      verb: z.string(),
      resource: z.string(),
      group: z.string().default(''),
      subresource: z.string().optional(),
      allowed: z.boolean(),
    })
    .strict(),
  z.object({ check: z.literal('rolledOut'), object: objectRef, revisionsAtLeast: z.number().int().min(2).default(2) }).strict(),
  z
    .object({
      check: z.literal('custom'),
      name: z.string().regex(/^[a-zA-Z][a-zA-Z0-9]*$/),
      description: z.string(),
      // The kinds the function reads from the snapshot, so the grader lists them.
      reads: z.array(z.string()).default([]),
    })
    .strict(),
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
    tasks: z.array(task).min(1),
  })
  .strict()
  .refine((l) => new Set(l.tasks.map((t) => t.id)).size === l.tasks.length, { message: 'task ids must be unique', path: ['tasks'] });

export type Condition = z.infer<typeof condition>;
export type Check = z.infer<typeof check>;
export type Task = z.infer<typeof task>;
export type LabDefinition = z.infer<typeof lab>;

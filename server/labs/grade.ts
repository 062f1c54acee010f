import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AuthorizationV1Api, CoreV1Api, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { CnlabError } from '../errors.ts';
import type { LabResult } from '../shared/grades.ts';
import { labKinds as kinds } from '../shared/kinds.ts';
import { accessKey, type CustomCheck, evaluate, kindsRead, type LogRead, logTarget, missingIn, type Reader, type Snapshot } from './checks.ts';
import type { Lab } from './load.ts';
import { learnerNamespace } from '../sessions/provision.ts';
import { isLearnerNamespace, LABELS, LEARNER_NAMESPACES, ownerLabel } from '../shared/names.ts';
import { withinDeadline } from './deadline.ts';
import { listRaw } from './read-raw.ts';
import type { LearnerGrade } from './report.ts';
import type { Check } from './schema.ts';

/**
 * A lab that cannot be graded as written: a mistake of its author that `cnlab labs validate`
 * could not see (a custom check that throws, say). Never the learner's fault, nor the cluster's.
 */
export class LabError extends CnlabError {
  constructor(lab: string, problem: string) {
    super(`lab error in ${lab}: ${problem}`, `fix labs/${lab}/ and run \`cnlab labs validate\``, { exitCode: 3 });
    this.name = 'LabError';
  }
}

/**
 * Reads the namespace once (every kind the lab's checks name, listed in parallel, plus its access
 * reviews) and evaluates every check against that one snapshot. Nothing is written, nothing the
 * learner controls is executed.
 */
export async function gradeLab(kc: KubeConfig, lab: Lab, namespace: string, reader: Reader = 'learner'): Promise<LabResult> {
  const checks = lab.definition.tasks.flatMap((task) => task.checks);
  const id = lab.definition.id;
  const unknown = [...new Set(checks.flatMap(kindsRead))].find((kind) => !kinds[kind]);
  if (unknown) throw new LabError(id, `its checks name the kind ${unknown}, which the grader does not know`);
  const snapshot = await withinDeadline(readSnapshot(kc, namespace, checks, reader), `reading namespace ${namespace}`);
  const customModule = join(lab.dir, 'checks.ts');
  const custom = async (name: string): Promise<CustomCheck> => {
    if (!existsSync(customModule)) throw new Error(`it names the custom check ${name} but has no checks.ts`);
    const module = (await import(pathToFileURL(customModule).href)) as Record<string, CustomCheck | undefined>;
    const check = module[name];
    if (typeof check !== 'function') throw new Error(`its checks.ts exports no check named ${name}`);
    return check;
  };
  const tasks = await Promise.all(
    lab.definition.tasks.map(async (task) => {
      const results = await Promise.all(
        task.checks.map(async (check, index) => {
          // The snapshot is read: whatever fails from here on is the lab's own doing.
          try {
            const result = await evaluate(check, snapshot, custom);
            if (typeof result?.ok !== 'boolean' || typeof result.message !== 'string') throw new Error('it returned no { ok, message }');
            return result;
          } catch (error) {
            throw new LabError(id, `task ${task.id}, check ${index + 1} (${check.check}): ${(error as Error).message}`);
          }
        }),
      );
      return { id: task.id, title: task.title, passed: results.every((result) => result.ok), checks: results };
    }),
  );
  return { lab: lab.definition.id, namespace, passed: tasks.every((task) => task.passed), tasks, gradedAt: new Date().toISOString() };
}

/**
 * `cnlab grade`'s exit codes: 0 every task passes, 1 some do not, 2 the cluster is unavailable
 * (nothing was graded), 3 the command was wrong (usage, or an unknown lab, learner, namespace or
 * workshop) or the lab cannot be graded as written (a LabError): a script can tell a learner's
 * failure from its own mistake or the author's.
 */
export const GRADE_EXIT = { passed: 0, failed: 1, unavailable: 2, usage: 3 } as const;

/** What was asked for does not exist: the caller's mistake, not the learner's failure. */
export const unknownTarget = (message: string, hint: string) => new CnlabError(message, hint, { exitCode: GRADE_EXIT.usage });

/**
 * Grades a namespace for the CLI and the grading API (an instructor's or a script's reading): a
 * namespace that does not exist is an error, a cluster that cannot be reached says so instead
 * of failing the learner (exit 2), and a lab that cannot be graded as written is a lab error. With
 * `learnerOnly` (the grading API: a bearer token, not an operator's kubeconfig), only learner
 * namespaces the platform made are graded; any other reads as not there.
 */
export async function gradeNamespace(kc: KubeConfig, lab: Lab, namespace: string, options: { learnerOnly?: boolean } = {}): Promise<LabResult> {
  try {
    const found = await withinDeadline(kc.makeApiClient(CoreV1Api).readNamespace({ name: namespace }), `reading namespace ${namespace}`);
    const labels = found.metadata?.labels ?? {};
    if (options.learnerOnly && !isLearnerNamespace(labels)) {
      throw unknownTarget(`namespace ${namespace} is not a learner namespace of this platform`, 'the grading API grades learner namespaces only; an operator grades any namespace with `cnlab grade --kubeconfig`');
    }
    return await gradeLab(kc, lab, namespace, 'instructor');
  } catch (error) {
    if ((error as { code?: number }).code === 404) throw unknownTarget(`namespace ${namespace} does not exist`, 'check the name with `kubectl get namespaces`');
    throw unavailable(error);
  }
}

/** Grades a learner's namespace for a lab, found by its owner label. */
export async function gradeLearner(kc: KubeConfig, lab: Lab, learner: string): Promise<LabResult> {
  let namespace: string | undefined;
  try {
    namespace = await learnerNamespace(kc, learner, lab.definition.id);
  } catch (error) {
    throw unavailable(error);
  }
  if (!namespace) throw unknownTarget(`learner ${learner} has no namespace for lab ${lab.definition.id}`, 'the id is on the learner\'s progress page; they have to open the lab once');
  return gradeNamespace(kc, lab, namespace);
}

// Enough to keep the API server busy without queueing a workshop's worth of requests at once.
const WORKSHOP_GRADINGS_AT_ONCE = 8;

/**
 * Grades one lab for every learner of a workshop: their namespaces are found with one list call,
 * then graded a few at a time. A learner who never opened the lab has no result.
 */
export async function gradeLearners(kc: KubeConfig, lab: Lab, learners: Array<{ learner: string; name: string }>): Promise<LearnerGrade[]> {
  try {
    const namespaces = await withinDeadline(
      kc.makeApiClient(CoreV1Api).listNamespace({ labelSelector: `${LEARNER_NAMESPACES},${LABELS.lab}=${lab.definition.id}` }),
      'listing learner namespaces',
    );
    const byOwner = new Map(namespaces.items.map((namespace) => [namespace.metadata?.labels?.[LABELS.owner], namespace.metadata?.name]));
    const grades: LearnerGrade[] = learners.map((learner) => ({ ...learner }));
    const queue = grades.entries();
    const worker = async () => {
      for (const [, grade] of queue) {
        const namespace = byOwner.get(ownerLabel(grade.learner));
        if (namespace) grade.result = await gradeLab(kc, lab, namespace, 'instructor');
      }
    };
    await Promise.all(Array.from({ length: WORKSHOP_GRADINGS_AT_ONCE }, worker));
    return grades;
  } catch (error) {
    throw unavailable(error);
  }
}

function unavailable(error: unknown): CnlabError {
  if (error instanceof CnlabError) return error;
  const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as { code?: string | number }).code ?? (error as Error).message;
  return new CnlabError(`the cluster is unavailable (${String(cause)}): nothing was graded`, 'try again in a moment', { exitCode: GRADE_EXIT.unavailable });
}

export async function readSnapshot(kc: KubeConfig, namespace: string, checks: Check[], reader: Reader = 'learner'): Promise<Snapshot> {
  const wanted = [...new Set(checks.flatMap(kindsRead))].filter((kind) => kinds[kind]);
  const accessChecks = checks.filter((check): check is Extract<Check, { check: 'access' }> => check.check === 'access');
  const authorization = kc.makeApiClient(AuthorizationV1Api);

  const [lists, reviews] = await Promise.all([
    Promise.all(
      wanted.map(async (kind) => {
        const { apiVersion, plural, clusterScoped } = kinds[kind] ?? { apiVersion: '', plural: '' };
        return [kind, await listRaw(kc, apiVersion, plural, clusterScoped ? undefined : namespace)] as const;
      }),
    ),
    Promise.all(
      accessChecks.map(async (check) => {
        const review = await authorization.createSubjectAccessReview({
          body: {
            spec: {
              user: `system:serviceaccount:${namespace}:${check.serviceAccount}`,
              groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
              resourceAttributes: { namespace, verb: check.verb, group: check.group, resource: check.resource, ...(check.subresource ? { subresource: check.subresource } : {}) },
            },
          },
        });
        return [accessKey(check), review.status?.allowed ?? false] as const;
      }),
    ),
  ]);
  const byKind = new Map<string, KubernetesObject[]>(lists);
  const access = new Map<string, boolean>(reviews);
  const logs = await readLogs(kc, namespace, checks, byKind.get('Pod') ?? []);
  return { objects: (kind) => byKind.get(kind) ?? [], access: (key) => access.get(key), missing: missingIn(namespace, reader), logs: (key) => logs.get(key) };
}

/** The message of a Kubernetes Status the API answered with, as text or parsed. */
function statusMessage(body: unknown): string | undefined {
  if (typeof body !== 'string') return (body as { message?: string } | undefined)?.message;
  try {
    return (JSON.parse(body) as { message?: string }).message ?? body;
  } catch {
    return body;
  }
}

// Enough of a log to find a recent line in, bounded so a chatty container cannot stall grading.
const LOG_TAIL_LINES = 500;
const LOG_LIMIT_BYTES = 256 * 1024;

/**
 * The logs the checks read, through the API server from the kubelet, for Pods that exist. A log
 * the API refuses (the container has not started, the Pod is gone) is the learner's state, not
 * an outage: its reason is kept for the message. Anything else is the cluster's.
 */
async function readLogs(kc: KubeConfig, namespace: string, checks: Check[], pods: KubernetesObject[]): Promise<Map<string, LogRead>> {
  const core = kc.makeApiClient(CoreV1Api);
  const targets = new Map(
    checks
      .filter((check): check is Extract<Check, { check: 'logs' }> => check.check === 'logs')
      .flatMap((check) => {
        const pod = pods.find((candidate) => candidate.metadata?.name === check.object.split('/')[1]);
        return pod ? [logTarget(check, pod)] : [];
      })
      .map((target) => [target.key, target]),
  );
  const reads = await Promise.all(
    [...targets.values()].map(async ({ pod, container, key }): Promise<[string, LogRead]> => {
      try {
        return [key, { text: await core.readNamespacedPodLog({ name: pod, namespace, container, tailLines: LOG_TAIL_LINES, limitBytes: LOG_LIMIT_BYTES }) }];
      } catch (error) {
        const { code, body } = error as { code?: number; body?: unknown };
        if (code === undefined || code >= 500) throw error;
        const message = statusMessage(body) ?? `HTTP ${code}`;
        return [key, { error: message.replace(/^container "[^"]+" in pod "[^"]+" /, 'it ') }];
      }
    }),
  );
  return new Map(reads);
}

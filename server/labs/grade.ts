import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AuthorizationV1Api, CoreV1Api, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { CnlabError } from '../errors.ts';
import type { LabResult } from '../shared/grades.ts';
import { labKinds as kinds } from '../shared/kinds.ts';
import { accessKey, type CustomCheck, evaluate, kindsRead, type Snapshot } from './checks.ts';
import type { Lab } from './load.ts';
import { LABELS, MANAGED_BY, ownerLabel } from '../shared/names.ts';
import { withinDeadline } from './deadline.ts';
import { listRaw } from './read-raw.ts';
import type { LearnerGrade } from './report.ts';
import type { Check } from './schema.ts';

/**
 * Reads the namespace once (every kind the lab's checks name, listed in parallel, plus its access
 * reviews) and evaluates every check against that one snapshot. Nothing is written, nothing the
 * learner controls is executed.
 */
export async function gradeLab(kc: KubeConfig, lab: Lab, namespace: string): Promise<LabResult> {
  const checks = lab.definition.tasks.flatMap((task) => task.checks);
  const snapshot = await withinDeadline(readSnapshot(kc, namespace, checks), `reading namespace ${namespace}`);
  const customModule = join(lab.dir, 'checks.ts');
  const custom = async (name: string): Promise<CustomCheck> => {
    if (!existsSync(customModule)) throw new Error(`lab ${lab.definition.id} names custom check ${name} but has no checks.ts`);
    const module = (await import(pathToFileURL(customModule).href)) as Record<string, CustomCheck | undefined>;
    const check = module[name];
    if (typeof check !== 'function') throw new Error(`labs/${lab.definition.id}/checks.ts exports no check named ${name}`);
    return check;
  };
  const tasks = await Promise.all(
    lab.definition.tasks.map(async (task) => {
      const results = await Promise.all(task.checks.map((check) => evaluate(check, snapshot, custom)));
      return { id: task.id, title: task.title, passed: results.every((result) => result.ok), checks: results };
    }),
  );
  return { lab: lab.definition.id, namespace, passed: tasks.every((task) => task.passed), tasks, gradedAt: new Date().toISOString() };
}

/**
 * Grades a namespace for the CLI and the grading API: a namespace that does not exist is an
 * error, and a cluster that cannot be reached says so instead of failing the learner. With
 * `learnerOnly` (the grading API: a bearer token, not an operator's kubeconfig), only learner
 * namespaces the platform made are graded; any other reads as not there.
 */
export async function gradeNamespace(kc: KubeConfig, lab: Lab, namespace: string, options: { learnerOnly?: boolean } = {}): Promise<LabResult> {
  try {
    const found = await withinDeadline(kc.makeApiClient(CoreV1Api).readNamespace({ name: namespace }), `reading namespace ${namespace}`);
    const labels = found.metadata?.labels ?? {};
    if (options.learnerOnly && (labels[LABELS.managedBy] !== MANAGED_BY || !labels[LABELS.owner])) {
      throw new CnlabError(`namespace ${namespace} is not a learner namespace of this platform`, 'the grading API grades learner namespaces only; an operator grades any namespace with `cnlab grade --kubeconfig`');
    }
    return await gradeLab(kc, lab, namespace);
  } catch (error) {
    if ((error as { code?: number }).code === 404) throw new CnlabError(`namespace ${namespace} does not exist`, 'check the name with `kubectl get namespaces`');
    throw unavailable(error);
  }
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
      kc.makeApiClient(CoreV1Api).listNamespace({ labelSelector: `${LABELS.managedBy}=${MANAGED_BY},${LABELS.lab}=${lab.definition.id}` }),
      'listing learner namespaces',
    );
    const byOwner = new Map(namespaces.items.map((namespace) => [namespace.metadata?.labels?.[LABELS.owner], namespace.metadata?.name]));
    const grades: LearnerGrade[] = learners.map((learner) => ({ ...learner }));
    const queue = grades.entries();
    const worker = async () => {
      for (const [, grade] of queue) {
        const namespace = byOwner.get(ownerLabel(grade.learner));
        if (namespace) grade.result = await gradeLab(kc, lab, namespace);
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
  return new CnlabError(`the cluster is unavailable (${String(cause)}): nothing was graded`, 'try again in a moment', { exitCode: 2 });
}

export async function readSnapshot(kc: KubeConfig, namespace: string, checks: Check[]): Promise<Snapshot> {
  const wanted = [...new Set(checks.flatMap(kindsRead))];
  const unknown = wanted.find((kind) => !kinds[kind]);
  if (unknown) throw new Error(`checks name kind ${unknown}, which the grader does not know; known kinds: ${Object.keys(kinds).join(', ')}`);
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
  return { objects: (kind) => byKind.get(kind) ?? [], access: (key) => access.get(key) };
}

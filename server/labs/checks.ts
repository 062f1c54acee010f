import type { KubernetesObject } from '@kubernetes/client-node';
import type { CheckResult } from '../shared/grades.ts';
import { counted, thereAre } from '../shared/words.ts';

// What a lab's own checks.ts is written against (labs/README.md).
export type { CheckResult } from '../shared/grades.ts';
import { valueAt } from './path.ts';
import type { Check, Condition } from './schema.ts';
import { matchesSelector, parseSelector } from './selector.ts';

// Each check reads a snapshot of the learner's namespace and answers with one sentence a
// newcomer understands, naming what the task expects and what is there.

/** A container's log as the grader read it, or why it could not be read (not started yet, say). */
export type LogRead = { text: string } | { error: string };

/** The namespace as read once per grading: objects by kind, access reviews and container logs by key. */
export type Snapshot = {
  objects(kind: string): KubernetesObject[];
  access(key: string): boolean | undefined;
  /** "There is no Deployment named api in your namespace yet", in the words of whoever reads the grade. */
  missing(kind: string, name: string): CheckResult;
  logs(key: string): LogRead | undefined;
};

/**
 * Who reads a grade: the learner ("your namespace") or an instructor or script grading someone
 * else's work (the namespace by name).
 */
export type Reader = 'learner' | 'instructor';

export const missingIn =
  (namespace: string, reader: Reader) =>
  (kind: string, name: string): CheckResult => ({ ok: false, message: `there is no ${kind} named ${name} in ${reader === 'learner' ? 'your namespace' : `namespace ${namespace}`} yet` });

export type CustomCheck = (snapshot: Snapshot) => CheckResult | Promise<CheckResult>;

export const accessKey = (c: Extract<Check, { check: 'access' }>) => [c.serviceAccount, c.verb, c.group, c.resource, c.subresource ?? ''].join('|');

type PodShape = { spec?: { containers?: Array<{ name?: string }> } };

/** Whose log a logs check reads: its container, or the Pod's first app container. */
export function logTarget(c: Extract<Check, { check: 'logs' }>, pod: KubernetesObject): { pod: string; container: string; key: string } {
  const podName = pod.metadata?.name ?? '';
  const container = c.container ?? (pod as PodShape).spec?.containers?.[0]?.name ?? '';
  return { pod: podName, container, key: `${podName}|${container}` };
}

/** The kinds a check needs listed; access reviews are gathered separately. */
export function kindsRead(check: Check): string[] {
  switch (check.check) {
    case 'exists':
    case 'absent':
    case 'field':
    case 'containers':
    case 'ready':
    case 'jobComplete':
    case 'logs':
    case 'state':
      return [check.object.split('/')[0] ?? ''];
    case 'count':
      return [check.kind];
    case 'serviceEndpoints':
      return ['Service', 'EndpointSlice'];
    case 'ingressRoute':
      return ['Ingress'];
    case 'rolledOut':
      return ['Deployment', 'ReplicaSet'];
    case 'custom':
      return check.reads;
    case 'access':
      return [];
  }
}

const show = (value: unknown) => (value === undefined ? 'not set' : typeof value === 'string' ? `"${value}"` : JSON.stringify(value));

/** What an item of a list is called in a sentence: its name if it has one, else its position. */
function itemName(item: unknown, index: number): string {
  const name = (item as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? name : `#${index + 1}`;
}

/** Whether a value passes a condition, and if not, the sentence that says why. */
export function testCondition(value: unknown, c: Condition, subject: string): CheckResult {
  const what = `${subject}: ${c.label ?? c.path}`;
  const asked = (words: string) => c.describe ?? words;
  if (c.anyItem !== undefined || c.everyItem !== undefined) {
    const items = Array.isArray(value) ? value : [];
    if (items.length === 0) return { ok: false, message: `${what} ${value === undefined ? 'is not set' : 'has no items'}; the task asks for ${asked(c.anyItem ? 'one that passes' : 'items that pass')}` };
    // Each item is named after the list ("volumes config"); the object is named once, in front.
    const list = c.label ?? c.path;
    const results = items.map((item, index) => (c.anyItem ?? c.everyItem ?? []).map((inner) => testCondition(valueAt(item, inner.path), inner, `${list} ${itemName(item, index)}`)));
    if (c.everyItem) {
      const failure = results.flat().find((result) => !result.ok);
      return failure ? { ok: false, message: `${subject}: ${failure.message}` } : { ok: true, message: `every item of ${what} passes` };
    }
    if (results.some((conditions) => conditions.every((result) => result.ok))) return { ok: true, message: `${what} has an item that passes` };
    // The item that came closest (most conditions passed) says what is still missing.
    const closest = [...results].sort((a, b) => b.filter((r) => r.ok).length - a.filter((r) => r.ok).length)[0]?.find((result) => !result.ok);
    return { ok: false, message: `${subject}: no item of ${list} passes yet${c.describe ? ` (the task asks for ${c.describe})` : ''}; the closest: ${closest?.message ?? ''}` };
  }
  if (c.length !== undefined) {
    const n = Array.isArray(value) ? value.length : 0;
    const ok = Array.isArray(value) ? n === c.length : c.length === 0 && value === undefined;
    const has = Array.isArray(value) || value === undefined ? counted(n, 'item') : show(value);
    return { ok, message: ok ? `${what} has ${has}` : `${what} has ${has}; the task asks for ${asked(`exactly ${c.length}`)}` };
  }
  if (c.exists !== undefined) {
    const present = value !== undefined && value !== null;
    return present === c.exists
      ? { ok: true, message: `${what} is ${c.exists ? 'set' : 'not set'}` }
      : { ok: false, message: c.exists ? `${what} is not set; the task asks for ${asked('it to be set')}` : `${what} is ${show(value)}; the task asks for ${asked('it not to be set')}` };
  }
  if (c.equals !== undefined) {
    const ok = value === c.equals || (value !== undefined && value !== null && typeof value !== 'object' && String(value) === String(c.equals));
    return { ok, message: ok ? `${what} is ${show(value)}` : `${what} is ${show(value)}; the task asks for ${asked(show(c.equals))}` };
  }
  if (c.matches !== undefined) {
    // JavaScript regular expressions, unanchored: "^" and "$" anchor them (labs/README.md).
    const ok = typeof value === 'string' && new RegExp(c.matches).test(value);
    return { ok, message: ok ? `${what} is ${show(value)}` : `${what} is ${show(value)}; the task asks for ${asked(`a value matching /${c.matches}/`)}` };
  }
  if (c.contains !== undefined) {
    const ok = Array.isArray(value) ? value.some((item) => item === c.contains || JSON.stringify(item) === JSON.stringify(c.contains)) : typeof value === 'string' && value.includes(String(c.contains));
    return { ok, message: ok ? `${what} contains ${show(c.contains)}` : `${what} is ${show(value)}; the task asks for ${asked(`it to contain ${show(c.contains)}`)}` };
  }
  const number = typeof value === 'number' ? value : Number.parseFloat(String(value));
  if (c.greaterThan !== undefined) {
    const ok = Number.isFinite(number) && number > c.greaterThan;
    return { ok, message: ok ? `${what} is ${show(value)}` : `${what} is ${show(value)}; the task asks for ${asked(`more than ${c.greaterThan}`)}` };
  }
  const ok = Number.isFinite(number) && number < (c.lessThan ?? Number.NaN);
  return { ok, message: ok ? `${what} is ${show(value)}` : `${what} is ${show(value)}; the task asks for ${asked(`less than ${c.lessThan}`)}` };
}

function find(snapshot: Snapshot, ref: string): { kind: string; name: string; object: KubernetesObject | undefined } {
  const [kind = '', name = ''] = ref.split('/');
  return { kind, name, object: snapshot.objects(kind).find((object) => object.metadata?.name === name) };
}


/** The pod spec inside a Pod, a workload's template or a CronJob's job template. */
function podSpec(object: KubernetesObject): Record<string, unknown> | undefined {
  for (const path of ['spec.jobTemplate.spec.template.spec', 'spec.template.spec', 'spec']) {
    const spec = valueAt(object, path) as Record<string, unknown> | undefined;
    if (spec && Array.isArray(spec.containers)) return spec;
  }
  return undefined;
}

function isReady(kind: string, object: KubernetesObject): { ok: boolean; state: string } {
  const status = (object as { status?: Record<string, number | undefined> }).status ?? {};
  const spec = (object as { spec?: { replicas?: number } }).spec ?? {};
  const generation = object.metadata?.generation ?? 0;
  const observed = status.observedGeneration ?? 0;
  if (kind === 'DaemonSet') {
    const wanted = status.desiredNumberScheduled ?? 0;
    const ready = status.numberReady ?? 0;
    const updated = status.updatedNumberScheduled ?? 0;
    return { ok: observed >= generation && wanted > 0 && ready === wanted && updated === wanted, state: `${ready} of ${wanted} pods ready` };
  }
  const wanted = spec.replicas ?? 1;
  const ready = status.readyReplicas ?? 0;
  const updated = status.updatedReplicas ?? 0;
  const ok = observed >= generation && ready === wanted && updated === wanted && (status.replicas ?? 0) === wanted;
  return { ok, state: `${ready} of ${counted(wanted, 'replica')} ready${updated < wanted ? `, ${updated} updated` : ''}` };
}

type ContainerStatus = {
  name?: string;
  restartCount?: number;
  state?: Record<string, { reason?: string; exitCode?: number } | undefined>;
  lastState?: { terminated?: { reason?: string; exitCode?: number } };
};

/** "running", "waiting (CrashLoopBackOff)", "terminated (Completed, exit code 0)". */
function describeState(name: string, details: { reason?: string; exitCode?: number } | undefined): string {
  const parts = [details?.reason, details?.exitCode === undefined ? undefined : `exit code ${details.exitCode}`].filter(Boolean);
  return parts.length > 0 ? `${name} (${parts.join(', ')})` : name;
}

/** A container's state, last exit code and restarts, as the kubelet reports them in the Pod's status. */
function containerState(check: Extract<Check, { check: 'state' }>, snapshot: Snapshot): CheckResult {
  const { kind, name, object } = find(snapshot, check.object);
  if (!object) return snapshot.missing(kind, name);
  const status = (object as { status?: { containerStatuses?: ContainerStatus[]; initContainerStatuses?: ContainerStatus[] } }).status;
  const found = [...(status?.initContainerStatuses ?? []), ...(status?.containerStatuses ?? [])].find((candidate) => candidate.name === check.container);
  const subject = `container ${check.container} of Pod ${name}`;
  if (!found) return { ok: false, message: `${subject} has not been created yet` };
  const current = Object.keys(found.state ?? {}).find((key) => found.state?.[key] !== undefined) ?? 'waiting';
  const details = found.state?.[current];
  const restarts = found.restartCount ?? 0;
  const exitCode = found.state?.terminated?.exitCode ?? found.lastState?.terminated?.exitCode;
  const now = `${subject} is ${describeState(current, details)} and has restarted ${counted(restarts, 'time')}`;
  const wrong: string[] = [];
  if (check.state !== undefined && (current !== check.state || (check.reason !== undefined && details?.reason !== check.reason))) wrong.push(`it to be ${describeState(check.state, check.reason === undefined ? undefined : { reason: check.reason })}`);
  if (check.exitCode !== undefined && exitCode !== check.exitCode) wrong.push(`its last exit code to be ${check.exitCode}${exitCode === undefined ? ' (it has not exited yet)' : ` (it was ${exitCode})`}`);
  if (check.restartsAtLeast !== undefined && restarts < check.restartsAtLeast) wrong.push(`at least ${counted(check.restartsAtLeast, 'restart')}`);
  if (check.restartsAtMost !== undefined && restarts > check.restartsAtMost) wrong.push(check.restartsAtMost === 0 ? 'no restarts' : `at most ${counted(check.restartsAtMost, 'restart')}`);
  return wrong.length === 0 ? { ok: true, message: now } : { ok: false, message: `${now}; the task asks for ${wrong.join(' and ')}` };
}

/** Evaluates one check against the snapshot. */
export async function evaluate(check: Check, snapshot: Snapshot, custom: (name: string) => Promise<CustomCheck>): Promise<CheckResult> {
  switch (check.check) {
    case 'exists': {
      const { kind, name, object } = find(snapshot, check.object);
      return object ? { ok: true, message: `${kind} ${name} exists` } : snapshot.missing(kind, name);
    }
    case 'absent': {
      const { kind, name, object } = find(snapshot, check.object);
      return object ? { ok: false, message: `${kind} ${name} still exists; the task asks for it to be gone` } : { ok: true, message: `${kind} ${name} is gone` };
    }
    case 'field': {
      const { kind, name, object } = find(snapshot, check.object);
      return object ? testCondition(valueAt(object, check.path), check, `${kind} ${name}`) : snapshot.missing(kind, name);
    }
    case 'containers': {
      const { kind, name, object } = find(snapshot, check.object);
      if (!object) return snapshot.missing(kind, name);
      const spec = podSpec(object);
      const containers = [
        ...(check.of !== 'initContainers' ? ((spec?.containers as object[] | undefined) ?? []) : []),
        ...(check.of !== 'containers' ? ((spec?.initContainers as object[] | undefined) ?? []) : []),
      ] as Array<{ name?: string }>;
      const group = check.of === 'initContainers' ? 'init container' : 'container';
      if (containers.length === 0) return { ok: false, message: `${kind} ${name} has no ${group}s yet` };
      const results = containers.map((container) => (check.every ?? check.any ?? []).map((c) => testCondition(valueAt(container, c.path), c, `${group} ${container.name} of ${kind} ${name}`)));
      if (check.every) {
        const failure = results.flat().find((result) => !result.ok);
        return failure ?? { ok: true, message: `every ${group} of ${kind} ${name} passes` };
      }
      const passing = results.find((conditions) => conditions.every((result) => result.ok));
      if (passing) return { ok: true, message: `a ${group} of ${kind} ${name} passes` };
      const closest = results.map((conditions) => conditions.find((result) => !result.ok)).find(Boolean);
      return { ok: false, message: `no ${group} of ${kind} ${name} passes yet: ${closest?.message ?? ''}` };
    }
    case 'count': {
      const requirements = parseSelector(check.selector);
      const n = snapshot.objects(check.kind).filter((object) => matchesSelector(object.metadata?.labels, requirements)).length;
      const what = `${thereAre(n, check.kind)}${check.selector ? ` with labels ${check.selector}` : ''}`;
      const wants = check.equals !== undefined ? `exactly ${check.equals}` : [check.atLeast !== undefined ? `at least ${check.atLeast}` : '', check.atMost !== undefined ? `at most ${check.atMost}` : ''].filter(Boolean).join(' and ');
      const ok = (check.equals === undefined || n === check.equals) && (check.atLeast === undefined || n >= check.atLeast) && (check.atMost === undefined || n <= check.atMost);
      return { ok, message: ok ? what : `${what}; the task asks for ${wants}` };
    }
    case 'ready': {
      const { kind, name, object } = find(snapshot, check.object);
      if (!object) return snapshot.missing(kind, name);
      const { ok, state } = isReady(kind, object);
      return { ok, message: ok ? `${kind} ${name} is rolled out: ${state}` : `${kind} ${name} is not fully rolled out yet: ${state}` };
    }
    case 'jobComplete': {
      const { kind, name, object } = find(snapshot, check.object);
      if (!object) return snapshot.missing(kind, name);
      const conditions = (valueAt(object, 'status.conditions') as Array<{ type: string; status: string }> | undefined) ?? [];
      if (conditions.some((c) => c.type === 'Complete' && c.status === 'True')) return { ok: true, message: `Job ${name} completed` };
      if (conditions.some((c) => c.type === 'Failed' && c.status === 'True')) return { ok: false, message: `Job ${name} failed; the task asks for it to complete` };
      return { ok: false, message: `Job ${name} has not completed yet (${Number(valueAt(object, 'status.succeeded') ?? 0)} succeeded)` };
    }
    case 'serviceEndpoints': {
      const { name, object } = find(snapshot, check.object);
      if (!object) return snapshot.missing('Service', name);
      const ready = snapshot
        .objects('EndpointSlice')
        .filter((slice) => slice.metadata?.labels?.['kubernetes.io/service-name'] === name)
        .flatMap((slice) => ((slice as { endpoints?: Array<{ conditions?: { ready?: boolean } }> }).endpoints ?? []).filter((e) => e.conditions?.ready !== false));
      const ok = ready.length >= check.atLeast;
      const selector = valueAt(object, 'spec.selector') as Record<string, string> | undefined;
      const hint = ready.length === 0 ? `; its selector ${selector ? JSON.stringify(selector) : '(none)'} matches no ready pod` : '';
      return { ok, message: ok ? `Service ${name} has ${counted(ready.length, 'ready endpoint')}` : `Service ${name} has ${counted(ready.length, 'ready endpoint')}; the task asks for at least ${check.atLeast}${hint}` };
    }
    case 'ingressRoute': {
      const wanted = `${check.host ?? '*'}${check.path} → ${check.service}:${check.port}`;
      for (const ingress of snapshot.objects('Ingress')) {
        const rules = (valueAt(ingress, 'spec.rules') as Array<{ host?: string; http?: { paths?: Array<{ path?: string; backend?: { service?: { name?: string; port?: { number?: number; name?: string } } } }> } }> | undefined) ?? [];
        for (const rule of rules) {
          if (check.host !== undefined && rule.host !== check.host) continue;
          for (const path of rule.http?.paths ?? []) {
            const service = path.backend?.service;
            if ((path.path ?? '/') === check.path && service?.name === check.service && (service.port?.number === check.port || service.port?.name === check.port)) {
              return { ok: true, message: `Ingress ${ingress.metadata?.name} routes ${wanted}` };
            }
          }
        }
      }
      return { ok: false, message: `no Ingress routes ${wanted} yet` };
    }
    case 'access': {
      const allowed = snapshot.access(accessKey(check));
      const action = `${check.verb} ${check.resource}${check.subresource ? `/${check.subresource}` : ''}`;
      const ok = allowed === check.allowed;
      return {
        ok,
        message: ok
          ? `ServiceAccount ${check.serviceAccount} ${allowed ? 'can' : 'cannot'} ${action}`
          : `ServiceAccount ${check.serviceAccount} ${allowed ? 'can' : 'cannot'} ${action}; the task asks that it ${check.allowed ? 'can' : 'cannot'}`,
      };
    }
    case 'rolledOut': {
      const { name, object } = find(snapshot, check.object);
      if (!object) return snapshot.missing('Deployment', name);
      const revisions = snapshot.objects('ReplicaSet').filter((rs) => rs.metadata?.ownerReferences?.some((owner) => owner.kind === 'Deployment' && owner.name === name)).length;
      const ok = revisions >= check.revisionsAtLeast;
      return { ok, message: ok ? `Deployment ${name} has ${counted(revisions, 'revision')}` : `Deployment ${name} has ${counted(revisions, 'revision')}; the task asks for at least ${check.revisionsAtLeast} (change its pod template to roll out a new one)` };
    }
    case 'logs': {
      const { kind, name, object } = find(snapshot, check.object);
      if (!object) return snapshot.missing(kind, name);
      const { container, key } = logTarget(check, object);
      const whose = `the log of container ${container} of Pod ${name}`;
      const read = snapshot.logs(key);
      if (!read || 'error' in read) return { ok: false, message: `${whose} cannot be read yet${read ? ` (${read.error})` : ''}` };
      const wanted = check.describe ?? `a line containing "${check.contains}"`;
      // JavaScript regular expressions, unanchored; "^" and "$" match at each line.
      const ok = check.contains !== undefined ? read.text.includes(check.contains) : new RegExp(check.matches ?? '', 'm').test(read.text);
      return { ok, message: ok ? `${whose} shows ${wanted}` : `${whose} does not show ${wanted} yet` };
    }
    case 'state':
      return containerState(check, snapshot);
    case 'custom':
      return (await custom(check.name))(snapshot);
  }
}

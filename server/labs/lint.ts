// The lab format's rules beyond its shape (server/labs/schema.ts): what the grader can only get
// wrong at grading time unless it is refused here. Kinds the grader knows and each check may
// name, paths of the path grammar, label selectors, words for the learner instead of paths and
// patterns, and setup objects a learner's namespace can hold. Each rule reads the raw YAML, so
// a lab with several mistakes has all of them reported, whatever else is wrong with it.
import type { KubernetesObject } from '@kubernetes/client-node';
import { namespaceRules } from '../sessions/policy.ts';
import { apiGroupOf, labKinds } from '../shared/kinds.ts';
import { parsePath, PathError } from './path.ts';
import type { Locate } from './problems.ts';
import { describePath } from './problems.ts';
import { parseSelector, SelectorError } from './selector.ts';
import { didYouMean } from './suggest.ts';

/** A mistake at a path of the lab's YAML, optionally at a spot inside the string there. */
export type Finding = { path: Array<string | number>; message: string; offset?: number };

type Raw = Record<string, unknown>;
const isRecord = (value: unknown): value is Raw => value !== null && typeof value === 'object' && !Array.isArray(value);
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/** Which kinds each check reads an object of; a kind outside these is a mistake the grader would misjudge. */
const podBearing = ['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob'];
const kindsFor: Record<string, string[] | undefined> = {
  containers: podBearing,
  ready: ['Deployment', 'StatefulSet', 'DaemonSet'],
  jobComplete: ['Job'],
  serviceEndpoints: ['Service'],
  rolledOut: ['Deployment'],
  logs: ['Pod'],
  state: ['Pod'],
};

/** The top-level fields of the kinds a lab reads: a field path starts with one of them. */
const topLevelFields = [
  'apiVersion', 'kind', 'metadata', 'spec', 'status', 'data', 'binaryData', 'stringData', 'type', 'immutable', 'rules', 'roleRef', 'subjects',
  'secrets', 'imagePullSecrets', 'automountServiceAccountToken', 'subsets', 'endpoints', 'addressType', 'ports', 'provisioner', 'parameters',
  'reclaimPolicy', 'volumeBindingMode', 'allowVolumeExpansion', 'mountOptions', 'allowedTopologies',
];

const verbs = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection', 'impersonate', 'bind', 'escalate', 'use', 'approve', 'sign', '*'];

const knownKinds = Object.keys(labKinds);

function lintKind(kind: unknown, path: Array<string | number>, check: string | undefined, findings: Finding[]): void {
  if (typeof kind !== 'string') return;
  if (!labKinds[kind]) {
    findings.push({ path, message: `${describePath(path)}: the grader knows no kind ${kind}${didYouMean(kind, knownKinds)} (the kinds are listed in labs/README.md)` });
    return;
  }
  const allowed = check ? kindsFor[check] : undefined;
  if (allowed && !allowed.includes(kind)) findings.push({ path, message: `${describePath(path)}: a ${check} check reads ${allowed.join(', ')}, not ${kind}` });
}

function lintPath(path: unknown, at: Array<string | number>, findings: Finding[]): string | undefined {
  if (typeof path !== 'string' || path === '') return undefined;
  try {
    parsePath(path);
    return path;
  } catch (error) {
    if (!(error instanceof PathError)) throw error;
    findings.push({ path: at, offset: error.offset, message: `${describePath(at)}: ${error.message} (labs/README.md, "Paths")` });
    return undefined;
  }
}

/** One condition of a field check, a containers check or an item condition; `within` says what its path starts at. */
function lintCondition(condition: unknown, at: Array<string | number>, within: 'object' | 'container' | 'item', findings: Finding[]): void {
  if (!isRecord(condition)) return;
  const path = lintPath(condition.path, [...at, 'path'], findings);
  const first = path?.split(/[.[]/)[0] ?? '';
  if (path && within === 'object' && !topLevelFields.includes(first)) {
    findings.push({ path: [...at, 'path'], offset: 0, message: `${describePath([...at, 'path'])}: objects have no top-level field ${first}${didYouMean(first, topLevelFields)}` });
  }
  if (path && within === 'container' && ['spec', 'metadata', 'containers', 'initContainers'].includes(first)) {
    findings.push({ path: [...at, 'path'], offset: 0, message: `${describePath([...at, 'path'])}: a containers check reads each path from one container (image, resources.limits.cpu), so it cannot start with ${first}` });
  }
  if (condition.label === undefined) {
    findings.push({ path: at, message: `${describePath(at)}: give a label, the words a learner reads instead of the path ${String(condition.path)}` });
  }
  if (condition.matches !== undefined && condition.describe === undefined) {
    findings.push({ path: [...at, 'matches'], message: `${describePath([...at, 'matches'])}: give describe, the words a learner reads instead of the pattern (e.g. describe: an nginx 1.22 image)` });
  }
  for (const operator of ['anyItem', 'everyItem'] as const) {
    list(condition[operator]).forEach((inner, index) => lintCondition(inner, [...at, operator, index], 'item', findings));
  }
}

function lintSelector(selector: unknown, at: Array<string | number>, findings: Finding[]): void {
  if (typeof selector !== 'string') return;
  try {
    parseSelector(selector);
  } catch (error) {
    if (!(error instanceof SelectorError)) throw error;
    findings.push({ path: at, offset: error.offset, message: `${describePath(at)}: ${error.message} (a Kubernetes label selector: app=web,tier!=db,env in (a,b),!legacy)` });
  }
}

function lintCheck(check: Raw, at: Array<string | number>, findings: Finding[]): void {
  const kind = typeof check.check === 'string' ? check.check : undefined;
  if (typeof check.object === 'string' && check.object.includes('/')) lintKind(check.object.split('/')[0], [...at, 'object'], kind, findings);
  switch (kind) {
    case 'field':
      lintCondition(check, at, 'object', findings);
      break;
    case 'containers':
      for (const group of ['every', 'any'] as const) list(check[group]).forEach((condition, index) => lintCondition(condition, [...at, group, index], 'container', findings));
      break;
    case 'count':
      lintKind(check.kind, [...at, 'kind'], undefined, findings);
      lintSelector(check.selector, [...at, 'selector'], findings);
      break;
    case 'custom':
      list(check.reads).forEach((read, index) => lintKind(read, [...at, 'reads', index], undefined, findings));
      break;
    case 'access': {
      if (typeof check.verb === 'string' && !verbs.includes(check.verb)) findings.push({ path: [...at, 'verb'], message: `${describePath([...at, 'verb'])}: ${check.verb} is not an API verb${didYouMean(check.verb, verbs)}` });
      if (typeof check.resource === 'string') {
        const [resource = '', sub] = check.resource.split('/');
        const plural = labKinds[resource]?.plural ?? Object.values(labKinds).find((known) => known.plural === `${resource.toLowerCase()}s`)?.plural;
        if (sub !== undefined) findings.push({ path: [...at, 'resource'], message: `${describePath([...at, 'resource'])}: write the subresource apart: resource: ${resource} and subresource: ${sub}` });
        else if (plural && plural !== resource) findings.push({ path: [...at, 'resource'], message: `${describePath([...at, 'resource'])}: resources are named in the plural, in lowercase; did you mean ${plural}?` });
      }
      break;
    }
    case 'logs':
      if (check.matches !== undefined && check.describe === undefined) {
        findings.push({ path: [...at, 'matches'], message: `${describePath([...at, 'matches'])}: give describe, the words a learner reads instead of the pattern (e.g. describe: a request for /cart)` });
      }
      break;
    case 'ingressRoute':
      if (typeof check.path === 'string' && !check.path.startsWith('/')) findings.push({ path: [...at, 'path'], message: `${describePath([...at, 'path'])}: an HTTP path starts with "/"` });
      break;
  }
}

/** The mistakes in a lab's definition (its lab.yaml as parsed, before the schema). */
export function lintDefinition(raw: unknown): Finding[] {
  const findings: Finding[] = [];
  if (!isRecord(raw)) return findings;
  list(raw.tasks).forEach((task, t) => {
    if (!isRecord(task)) return;
    list(task.checks).forEach((check, c) => {
      if (isRecord(check)) lintCheck(check, ['tasks', t, 'checks', c], findings);
    });
  });
  return findings;
}

/** Whether the learner's Role (server/sessions/policy.ts) names the kind in their namespace. */
function learnerCovers(group: string, plural: string): boolean {
  return namespaceRules.some((rule) => (rule.apiGroups ?? []).includes(group) && (rule.resources ?? []).includes(plural));
}

/**
 * The mistakes in one setup object. Setup objects are created with the platform's rights, so
 * only namespaced kinds the learner may see and a reset sweeps belong there: a cluster-wide
 * object would outlive the session and collide with the next one.
 */
export function lintSetupObject(object: KubernetesObject): string[] {
  const problems: string[] = [];
  if (!object.apiVersion || !object.kind || !object.metadata?.name) problems.push('a setup object needs apiVersion, kind and metadata.name');
  if (object.metadata?.namespace) problems.push("setup objects go into the learner's namespace: leave metadata.namespace out");
  if (!object.kind) return problems;
  const kind = labKinds[object.kind];
  if (!kind) {
    problems.push(`kind ${object.kind} cannot be set up: the kinds a learner's namespace holds are ${Object.entries(labKinds).filter(([, known]) => !known.clusterScoped).map(([name]) => name).join(', ')}${didYouMean(object.kind, knownKinds)}`);
  } else if (kind.clusterScoped) {
    problems.push(`${object.kind} is cluster-wide: a setup object must live in the learner's namespace, where a reset deletes it`);
  } else if (!learnerCovers(apiGroupOf(kind), kind.plural)) {
    problems.push(`the learner's rights (server/sessions/policy.ts) do not cover ${object.kind}, so they could neither see nor remove it`);
  } else if (object.apiVersion && object.apiVersion !== kind.apiVersion) {
    problems.push(`${object.kind} is served as apiVersion ${kind.apiVersion}, not ${object.apiVersion}`);
  }
  return problems;
}

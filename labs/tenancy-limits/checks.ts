import type { KubernetesObject } from '@kubernetes/client-node';
import type { CheckResult, CustomCheck } from '../../server/labs/checks.ts';

type Quota = KubernetesObject & { spec?: { hard?: Record<string, string> } };
type LimitRange = KubernetesObject & { spec?: { limits?: Array<{ type?: string; max?: Record<string, string> }> } };
type Resources = { requests?: Record<string, string>; limits?: Record<string, string> };
type Deployment = KubernetesObject & { spec?: { replicas?: number; template?: { spec?: { containers?: Array<{ name?: string; resources?: Resources }> } } } };

const SUFFIXES: Record<string, number> = {
  m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

/** A Kubernetes quantity ("250m", "1Gi", "1.5", "2e3") as a number, or undefined if it is not one. */
export function quantity(text: unknown): number | undefined {
  if (typeof text !== 'string' && typeof text !== 'number') return undefined;
  const match = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei))?$/.exec(String(text).trim());
  if (!match) return undefined;
  const base = Number(match[1]);
  if (match[2]) return base * 10 ** Number(match[2].slice(1));
  return base * (match[3] ? (SUFFIXES[match[3]] ?? 1) : 1);
}

/** Equal as quantities, allowing for floating point (so "1" equals "1000m" and "1Gi" equals "1024Mi"). */
const same = (a: number, b: number) => Math.abs(a - b) <= Math.max(Math.abs(a), Math.abs(b)) * 1e-9;

const named = <T extends KubernetesObject>(snapshot: Parameters<CustomCheck>[0], kind: string, name: string) =>
  snapshot.objects(kind).find((object) => object.metadata?.name === name) as T | undefined;

const QUOTA_KEYS = ['pods', 'requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory'];

// The learner's findings must match the real objects, which the lab's setup created and the
// learner cannot change; quantities are compared by value, so 1Gi and 1024Mi both count.
export const findingsMatchBudget: CustomCheck = (snapshot): CheckResult => {
  const findings = named<KubernetesObject & { data?: Record<string, string> }>(snapshot, 'ConfigMap', 'quota-findings');
  if (!findings) return snapshot.missing('ConfigMap', 'quota-findings');
  const quota = named<Quota>(snapshot, 'ResourceQuota', 'team-budget');
  const limits = named<LimitRange>(snapshot, 'LimitRange', 'team-limits');
  if (!quota || !limits) return { ok: false, message: 'the ResourceQuota team-budget or the LimitRange team-limits is missing: reset the lab to recreate them' };
  const data = findings.data ?? {};
  const expected: Array<[string, string | undefined, string]> = [
    ...QUOTA_KEYS.map((key): [string, string | undefined, string] => [key, quota.spec?.hard?.[key], `the Hard value of ${key} in team-budget`]),
    ['container-max-memory', limits.spec?.limits?.find((item) => item.type === 'Container')?.max?.memory, 'the Max memory of a container in team-limits'],
  ];
  for (const [key, real, what] of expected) {
    const recorded = data[key];
    if (recorded === undefined) return { ok: false, message: `ConfigMap quota-findings has no key ${key} yet; the task asks for ${what}` };
    const value = quantity(recorded);
    if (value === undefined) return { ok: false, message: `ConfigMap quota-findings: ${key} is "${recorded}", which is not a Kubernetes quantity (write it like 1, 500m or 1Gi)` };
    const actual = quantity(real);
    if (actual === undefined || !same(value, actual)) return { ok: false, message: `ConfigMap quota-findings: ${key} is "${recorded}", but ${what} is something else; read it again` };
  }
  return { ok: true, message: 'ConfigMap quota-findings matches team-budget and team-limits' };
};

const RESOURCES: Array<[string, 'requests' | 'limits', 'cpu' | 'memory']> = [
  ['requests.cpu', 'requests', 'cpu'],
  ['requests.memory', 'requests', 'memory'],
  ['limits.cpu', 'limits', 'cpu'],
  ['limits.memory', 'limits', 'memory'],
];

// What the quota would charge for the whole Deployment: replicas times the sum over its
// containers. The quota itself would refuse the extra Pods silently (they just never appear), so
// this check names the resource that does not fit.
export const catalogFitsBudget: CustomCheck = (snapshot): CheckResult => {
  const catalog = named<Deployment>(snapshot, 'Deployment', 'catalog');
  if (!catalog) return snapshot.missing('Deployment', 'catalog');
  const quota = named<Quota>(snapshot, 'ResourceQuota', 'team-budget');
  if (!quota) return { ok: false, message: 'the ResourceQuota team-budget is missing: reset the lab to recreate it' };
  const replicas = catalog.spec?.replicas ?? 1;
  const hard = quota.spec?.hard ?? {};
  const pods = quantity(hard.pods);
  if (pods !== undefined && replicas > pods) return { ok: false, message: `Deployment catalog wants ${replicas} Pods, but team-budget allows ${hard.pods}` };
  const containers = catalog.spec?.template?.spec?.containers ?? [];
  for (const [key, group, resource] of RESOURCES) {
    let perPod = 0;
    for (const container of containers) {
      const value = quantity(container.resources?.[group]?.[resource]);
      if (value === undefined) return { ok: false, message: `container ${container.name} of Deployment catalog sets no ${resource} ${group === 'requests' ? 'request' : 'limit'}; the task asks for all four values` };
      perPod += value;
    }
    const allowed = quantity(hard[key]);
    if (allowed !== undefined && perPod * replicas > allowed * (1 + 1e-9)) {
      const each = containers.map((c) => c.resources?.[group]?.[resource]).join(' + ');
      return { ok: false, message: `Deployment catalog: ${replicas} Pods × ${each} of ${key} is more than the ${hard[key]} team-budget allows` };
    }
  }
  return { ok: true, message: `${replicas} Pods of catalog fit within team-budget` };
};

import type { CheckResult, CustomCheck, Snapshot } from '../../server/labs/checks.ts';

type Toleration = { key?: string; operator?: string; value?: string; effect?: string };
type Pod = {
  metadata?: { name?: string };
  spec?: { nodeName?: string; nodeSelector?: Record<string, string>; tolerations?: Toleration[] };
  status?: { phase?: string; conditions?: Array<{ type?: string; status?: string; reason?: string }> };
};
type Node = { metadata?: { name?: string; labels?: Record<string, string> } };

const pod = (snapshot: Snapshot, name: string) => snapshot.objects('Pod').find((p) => p.metadata?.name === name) as Pod | undefined;
const missing = (snapshot: Snapshot, name: string): CheckResult => snapshot.missing('Pod', name);

// The scheduler's rule: a toleration matches a taint when the keys match (or the toleration has
// no key and operator Exists), the effects match (or the toleration names none), and the
// operator is Exists or the values are equal.
function tolerates(p: Pod, key: string, value: string, effect: string): boolean {
  return (p.spec?.tolerations ?? []).some((t) => {
    const operator = t.operator ?? 'Equal';
    const keyOk = t.key === key || (!t.key && operator === 'Exists');
    const effectOk = !t.effect || t.effect === effect;
    const valueOk = operator === 'Exists' || (t.value ?? '') === value;
    return keyOk && effectOk && valueOk;
  });
}

function batchToleration(name: string): CustomCheck {
  return (snapshot) => {
    const p = pod(snapshot, name);
    if (!p) return missing(snapshot, name);
    return tolerates(p, 'dedicated', 'batch', 'NoSchedule')
      ? { ok: true, message: `Pod ${name} tolerates dedicated=batch:NoSchedule` }
      : { ok: false, message: `Pod ${name} has no toleration matching the taint dedicated=batch:NoSchedule (key dedicated, value batch, effect NoSchedule)` };
  };
}

export const strictTolerates = batchToleration('batch-strict');
export const batchTolerates = batchToleration('batch');

export const pinnedWhereSelected: CustomCheck = (snapshot) => {
  const p = pod(snapshot, 'pinned');
  if (!p) return missing(snapshot, 'pinned');
  const wanted = p.spec?.nodeSelector?.['kubernetes.io/hostname'];
  if (!wanted) return { ok: false, message: 'Pod pinned has no nodeSelector on kubernetes.io/hostname' };
  const nodes = snapshot.objects('Node') as Node[];
  if (!nodes.some((n) => n.metadata?.name === wanted)) {
    return { ok: false, message: `Pod pinned asks for the node "${wanted}", but there is no such node; \`kubectl get nodes\` lists their names` };
  }
  // The task asks for a simulated node, for the taint to matter; on a cluster without them any node will do.
  const simulated = nodes.filter((n) => n.metadata?.labels?.['cnlab.dev/node'] === 'simulated');
  if (simulated.length > 0 && !simulated.some((n) => n.metadata?.name === wanted)) {
    return { ok: false, message: `Pod pinned asks for the node "${wanted}", which is not simulated; choose one of ${simulated.map((n) => n.metadata?.name).join(', ')} (kubectl get nodes -l cnlab.dev/node=simulated)` };
  }
  if (!p.spec?.nodeName) {
    return { ok: false, message: `Pod pinned is not scheduled yet (phase ${p.status?.phase ?? 'unknown'}); \`kubectl describe pod pinned\` shows the scheduler's reason, for example a taint it does not tolerate` };
  }
  return p.spec.nodeName === wanted
    ? { ok: true, message: `Pod pinned runs on ${wanted}, the node it selected` }
    : { ok: false, message: `Pod pinned runs on ${p.spec.nodeName}, not on ${wanted}` };
};

export const strictPlacedOrPending: CustomCheck = (snapshot) => {
  const p = pod(snapshot, 'batch-strict');
  if (!p) return missing(snapshot, 'batch-strict');
  const nodeName = p.spec?.nodeName;
  if (nodeName) {
    const node = (snapshot.objects('Node') as Node[]).find((n) => n.metadata?.name === nodeName);
    return node?.metadata?.labels?.workload === 'batch'
      ? { ok: true, message: `Pod batch-strict runs on ${nodeName}, a node labelled workload=batch` }
      : { ok: false, message: `Pod batch-strict runs on ${nodeName}, which is not labelled workload=batch: its nodeSelector must require workload: batch` };
  }
  const scheduled = p.status?.conditions?.find((c) => c.type === 'PodScheduled');
  return scheduled?.status === 'False' && scheduled.reason === 'Unschedulable'
    ? { ok: true, message: 'Pod batch-strict is Pending: the scheduler found no node labelled workload=batch (kubectl describe pod batch-strict shows its event)' }
    : { ok: false, message: 'Pod batch-strict has not been considered by the scheduler yet; wait a moment and check again' };
};

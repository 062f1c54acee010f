import type { CheckResult, CustomCheck } from '../../server/labs/checks.ts';

type Pod = {
  metadata?: { name?: string };
  status?: {
    phase?: string;
    conditions?: Array<{ type?: string; status?: string }>;
    containerStatuses?: Array<{ name?: string; ready?: boolean; restartCount?: number; state?: { waiting?: { reason?: string } } }>;
  };
};

// Pods have no `ready` check in the vocabulary (it covers workloads), and "Running" alone says
// nothing about probes: this reads the Pod's Ready condition and names a container that is not
// ready, with what the kubelet says about it.
export const webReady: CustomCheck = (snapshot): CheckResult => {
  const pod = snapshot.objects('Pod').find((p) => p.metadata?.name === 'web') as Pod | undefined;
  if (!pod) return snapshot.missing('Pod', 'web');
  const ready = pod.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
  if (ready) return { ok: true, message: 'Pod web is Ready: its readiness probe passes' };
  const waiting = (pod.status?.containerStatuses ?? []).find((c) => !c.ready);
  const why = waiting?.state?.waiting?.reason ? ` (${waiting.state.waiting.reason})` : '';
  return {
    ok: false,
    message: waiting
      ? `container ${waiting.name} of Pod web is not ready${why}; kubectl describe pod web shows its probe results and kubectl logs web -c ${waiting.name} what it printed`
      : `Pod web is not Ready yet (phase ${pod.status?.phase ?? 'unknown'}); kubectl describe pod web says why`,
  };
};

import type { CheckResult, CustomCheck } from '../../server/labs/checks.ts';

type Container = { name?: string; image?: string; restartPolicy?: string };
type Pod = { metadata?: { name?: string }; spec?: { initContainers?: Container[]; containers?: Container[] } };

// The vocabulary's `any` reports the first init container's mismatch (usually `setup`'s); this
// check says what is wrong with `log-agent` itself.
export const nativeSidecar: CustomCheck = (snapshot): CheckResult => {
  const pod = snapshot.objects('Pod').find((p) => p.metadata?.name === 'app') as Pod | undefined;
  if (!pod) return snapshot.missing('Pod', 'app');
  const init = pod.spec?.initContainers ?? [];
  const agent = init.find((c) => c.name === 'log-agent');
  if (!agent) {
    return (pod.spec?.containers ?? []).some((c) => c.name === 'log-agent')
      ? { ok: false, message: 'log-agent is listed under spec.containers; a native sidecar belongs under spec.initContainers' }
      : { ok: false, message: 'Pod app has no init container named log-agent yet' };
  }
  if (agent.restartPolicy !== 'Always') {
    return { ok: false, message: `init container log-agent has restartPolicy ${agent.restartPolicy ?? 'not set'}; a native sidecar needs restartPolicy: Always` };
  }
  if (!/^busybox:1\.37/.test(agent.image ?? '')) return { ok: false, message: `init container log-agent runs ${agent.image}; the task asks for busybox:1.37` };
  if (init.findIndex((c) => c.name === 'log-agent') < init.findIndex((c) => c.name === 'setup')) {
    return { ok: false, message: 'log-agent is listed before setup; list it after setup so the file exists when it starts' };
  }
  return { ok: true, message: 'log-agent is a native sidecar: an init container with restartPolicy Always, after setup' };
};

type PodStatus = { metadata?: { name?: string }; status?: { phase?: string; conditions?: Array<{ type?: string; status?: string }>; containerStatuses?: Array<{ name?: string; ready?: boolean }> } };

// "Running" says the containers started; Ready says the readiness probe passes, which the
// kubelet really checks: the vocabulary's `ready` covers workloads, not single Pods.
export const appReady: CustomCheck = (snapshot): CheckResult => {
  const pod = snapshot.objects('Pod').find((p) => p.metadata?.name === 'app') as PodStatus | undefined;
  if (!pod) return snapshot.missing('Pod', 'app');
  if (pod.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True') return { ok: true, message: 'Pod app is Ready: its probes pass' };
  const waiting = (pod.status?.containerStatuses ?? []).find((c) => !c.ready);
  return { ok: false, message: `Pod app is not Ready yet${waiting ? ` (container ${waiting.name} is not ready)` : ''}; kubectl describe pod app shows the probes' results` };
};

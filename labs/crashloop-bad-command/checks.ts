import type { KubernetesObject } from '@kubernetes/client-node';
import type { CheckResult, CustomCheck } from '../../server/labs/checks.ts';

type ContainerStatus = { name?: string; restartCount?: number; state?: { running?: object; waiting?: { reason?: string } } };
type Pod = KubernetesObject & { status?: { containerStatuses?: ContainerStatus[] } };

// A Deployment's Pods have generated names, so no field check can name them: this reads every
// live Pod labelled app=web and reports the first one that is not running or has restarted.
export const webPodsStable: CustomCheck = (snapshot): CheckResult => {
  const pods = (snapshot.objects('Pod') as Pod[]).filter((pod) => pod.metadata?.labels?.app === 'web' && !pod.metadata.deletionTimestamp);
  if (pods.length === 0) return { ok: false, message: 'there are no Pods labelled app=web in your namespace; the Deployment web should create them' };
  for (const pod of pods) {
    const web = pod.status?.containerStatuses?.find((c) => c.name === 'web');
    const name = pod.metadata?.name;
    if (!web?.state?.running) {
      const reason = web?.state?.waiting?.reason;
      return { ok: false, message: `the container of Pod ${name} is not running${reason ? ` (it is waiting: ${reason})` : ''}` };
    }
    if ((web.restartCount ?? 0) > 0) return { ok: false, message: `the container of Pod ${name} has restarted ${web.restartCount} times; a healthy web server starts once and keeps running` };
  }
  return { ok: true, message: `all ${pods.length} Pods labelled app=web are running and none has restarted` };
};

import type { KubernetesObject } from '@kubernetes/client-node';
import type { CheckResult, CustomCheck } from '../../server/labs/checks.ts';

type ContainerStatus = {
  name?: string;
  restartCount?: number;
  state?: { running?: object; waiting?: { reason?: string } };
  lastState?: { terminated?: { reason?: string; exitCode?: number } };
};
type Pod = KubernetesObject & { status?: { containerStatuses?: ContainerStatus[] } };

// The Deployment's Pods have generated names: this reads every live Pod labelled app=catalogue
// and reports the first that is not running or was restarted, with the reason of its last end.
export const cataloguePodsStable: CustomCheck = (snapshot): CheckResult => {
  const pods = (snapshot.objects('Pod') as Pod[]).filter((pod) => pod.metadata?.labels?.app === 'catalogue' && !pod.metadata.deletionTimestamp);
  if (pods.length === 0) return { ok: false, message: 'there are no Pods labelled app=catalogue in your namespace; the Deployment catalogue should create one' };
  for (const pod of pods) {
    const status = pod.status?.containerStatuses?.find((c) => c.name === 'catalogue');
    const name = pod.metadata?.name;
    const last = status?.lastState?.terminated;
    const lastEnd = last ? ` Its last run ended with the reason ${last.reason ?? 'unknown'} (exit code ${last.exitCode ?? '?'}).` : '';
    if (!status?.state?.running) {
      const reason = status?.state?.waiting?.reason;
      return { ok: false, message: `the container of Pod ${name} is not running${reason ? ` (it is waiting: ${reason})` : ''}.${lastEnd}` };
    }
    if ((status.restartCount ?? 0) > 0) return { ok: false, message: `the container of Pod ${name} has restarted ${status.restartCount} times.${lastEnd}` };
  }
  return { ok: true, message: 'the catalogue Pod is running and has never been killed' };
};

import type { KubernetesObject } from '@kubernetes/client-node';
import type { CheckResult, CustomCheck } from '../../server/labs/checks.ts';

type Pod = KubernetesObject & { status?: { containerStatuses?: Array<{ name?: string; restartCount?: number }> } };

// A Pod created with its claim has never restarted. Each replica must have started again on a
// claim that already existed: replaced by a new Pod well after the claim was made, or its
// container restarted in place. Appending to /data/boots by hand does neither.
const MIN_GAP_MS = 5000;

export const restartedOnItsClaim: CustomCheck = (snapshot): CheckResult => {
  for (const ordinal of [0, 1]) {
    const podName = `notes-${ordinal}`;
    const claimName = `data-notes-${ordinal}`;
    const pod = (snapshot.objects('Pod') as Pod[]).find((p) => p.metadata?.name === podName && !p.metadata.deletionTimestamp);
    const claim = snapshot.objects('PersistentVolumeClaim').find((c) => c.metadata?.name === claimName);
    if (!claim) return { ok: false, message: `there is no claim ${claimName} yet; the StatefulSet makes one per Pod from its volume claim template` };
    if (!pod) return { ok: false, message: `there is no Pod ${podName} yet` };
    const restarts = pod.status?.containerStatuses?.find((c) => c.name === 'notes')?.restartCount ?? 0;
    const gap = Date.parse(String(pod.metadata?.creationTimestamp)) - Date.parse(String(claim.metadata?.creationTimestamp));
    if (restarts === 0 && !(gap >= MIN_GAP_MS)) {
      return { ok: false, message: `Pod ${podName} is the first Pod that used the claim ${claimName}: restart it (kubectl delete pod ${podName}) and see that the new Pod finds the data` };
    }
  }
  return { ok: true, message: 'both Pods started again on claims that already held their data' };
};

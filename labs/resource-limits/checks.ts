import type { KubernetesObject } from '@kubernetes/client-node';
import type { CheckResult, CustomCheck } from '../../server/labs/checks.ts';

type Deployment = KubernetesObject & { spec?: { selector?: { matchLabels?: Record<string, string> } } };
type Pod = KubernetesObject & { status?: { qosClass?: string } };

// Pods of a Deployment have generated names, so a field check cannot name them: this reads every
// Pod the Deployment selects and reports the first whose QoS class is not Guaranteed.
export const apiPodsGuaranteed: CustomCheck = (snapshot): CheckResult => {
  const api = snapshot.objects('Deployment').find((d) => d.metadata?.name === 'api') as Deployment | undefined;
  if (!api) return snapshot.missing('Deployment', 'api');
  const selector = Object.entries(api.spec?.selector?.matchLabels ?? {});
  if (selector.length === 0) return { ok: false, message: 'Deployment api has no matchLabels selector' };
  const pods = (snapshot.objects('Pod') as Pod[]).filter((pod) => !pod.metadata?.deletionTimestamp && selector.every(([key, value]) => pod.metadata?.labels?.[key] === value));
  if (pods.length === 0) return { ok: false, message: 'Deployment api has no Pods yet; if its Pods were rejected, kubectl describe replicaset -l app=api shows why' };
  const other = pods.find((pod) => pod.status?.qosClass !== 'Guaranteed');
  if (other) return { ok: false, message: `Pod ${other.metadata?.name} of Deployment api has the QoS class ${other.status?.qosClass ?? '(none yet)'}; the task asks for Guaranteed` };
  return { ok: true, message: `all ${pods.length} Pods of Deployment api have the QoS class Guaranteed` };
};

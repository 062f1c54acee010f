import type { CheckResult, CustomCheck } from '../../server/labs/checks.ts';

// "Created with kubectl apply" has two fingerprints: client-side apply leaves the
// last-applied-configuration annotation, server-side apply an `Apply` entry in managedFields.
// The vocabulary cannot say "either", so this lab checks it here.
export const appliedDeclaratively: CustomCheck = (snapshot): CheckResult => {
  const frontend = snapshot.objects('Deployment').find((deployment) => deployment.metadata?.name === 'frontend');
  if (!frontend) return snapshot.missing('Deployment', 'frontend');
  const clientSide = frontend.metadata?.annotations?.['kubectl.kubernetes.io/last-applied-configuration'] !== undefined;
  const serverSide = (frontend.metadata?.managedFields ?? []).some((entry) => entry.operation === 'Apply');
  return clientSide || serverSide
    ? { ok: true, message: 'Deployment frontend is managed with kubectl apply' }
    : { ok: false, message: 'Deployment frontend was not created with kubectl apply; delete it and run kubectl apply -f frontend.yaml' };
};

import type { CheckResult, CustomCheck } from '../../server/labs/checks.ts';

type Container = { name?: string; env?: Array<{ name: string; valueFrom?: { secretKeyRef?: { name?: string; key?: string } } }>; envFrom?: Array<{ secretRef?: { name?: string } }> };

// The token may arrive as one env entry or with all of the Secret's keys through envFrom; the
// vocabulary's paths cannot say "either", so this lab checks it here.
export const tokenFromSecret: CustomCheck = (snapshot): CheckResult => {
  const app = snapshot.objects('Deployment').find((deployment) => deployment.metadata?.name === 'app');
  if (!app) return snapshot.missing('Deployment', 'app');
  const containers = ((app as { spec?: { template?: { spec?: { containers?: Container[] } } } }).spec?.template?.spec?.containers ?? []);
  const fromEntry = containers.some((c) => c.env?.some((e) => e.name === 'API_TOKEN' && e.valueFrom?.secretKeyRef?.name === 'app-secret' && e.valueFrom.secretKeyRef.key === 'API_TOKEN'));
  const fromAll = containers.some((c) => c.envFrom?.some((source) => source.secretRef?.name === 'app-secret'));
  return fromEntry || fromAll
    ? { ok: true, message: 'API_TOKEN comes from the Secret app-secret' }
    : { ok: false, message: 'no container of Deployment app reads API_TOKEN from the Secret app-secret yet' };
};

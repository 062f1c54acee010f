import type { KubernetesObject } from '@kubernetes/client-node';
import type { CheckResult, CustomCheck } from '../../server/labs/checks.ts';

type Container = { name?: string; image?: string; command?: string[]; readinessProbe?: { exec?: { command?: string[] } } };
type Deployment = KubernetesObject & { spec?: { template?: { spec?: { containers?: Container[] } } } };

const PROBE = 'wget -q -T 2 -O /dev/null http://ledger:8080';
const CLIENTS = ['billing', 'reports', 'marketing'];

// The clients' readiness is the lab's measure of who gets through, so it counts only while each
// client still runs the lab's container: breaking a client's image or probe would also make it
// not Ready, without any policy.
export const clientsUnchanged: CustomCheck = (snapshot): CheckResult => {
  for (const name of CLIENTS) {
    const deployment = (snapshot.objects('Deployment') as Deployment[]).find((d) => d.metadata?.name === name);
    if (!deployment) return { ok: false, message: `there is no Deployment ${name} in your namespace any more; reset the lab to get it back` };
    const containers = deployment.spec?.template?.spec?.containers ?? [];
    const client = containers.find((c) => c.name === 'client');
    if (containers.length !== 1 || !client) return { ok: false, message: `Deployment ${name} should run exactly one container, client, as the lab set it` };
    if (client.image !== 'busybox:1.37') return { ok: false, message: `the client of Deployment ${name} runs ${client.image}; leave it at busybox:1.37` };
    if ((client.command ?? []).join(' ') !== 'sleep 86400') return { ok: false, message: `the client of Deployment ${name} has a changed command; leave it as the lab set it` };
    if ((client.readinessProbe?.exec?.command ?? []).join(' ') !== PROBE) {
      return { ok: false, message: `the readiness probe of Deployment ${name} was changed; it must keep calling http://ledger:8080, since it is how the lab sees who gets through` };
    }
  }
  return { ok: true, message: 'billing, reports and marketing run as the lab set them' };
};

// What pods on the real node may reach off the machine (CNLAB_POD_EGRESS). The default is
// nothing: a learner's pod is a stranger's code, and the host's network is not ours to lend.
// `internet` opens public addresses only, so a pod can `curl` a web site but never the host's
// LAN, a cloud metadata service (169.254.169.254) or another machine's private services.
import { readFile } from 'node:fs/promises';
import { setting } from '../../../settings.ts';

export type PodEgress = { mode: 'none' } | { mode: 'internet'; resolvers: string[] };

/** Destinations that stay closed with `internet`: private, shared, loopback, link-local, multicast and reserved IPv4. */
export const CLOSED_RANGES = ['0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12', '192.168.0.0/16', '224.0.0.0/3'];

/** The IPv4 name servers of a resolv.conf; loopback ones (a local stub resolver) are no use to a pod. */
export function nameServers(resolvConf: string): string[] {
  return resolvConf
    .split('\n')
    .map((line) => /^\s*nameserver\s+(\d{1,3}(?:\.\d{1,3}){3})\s*$/.exec(line)?.[1])
    .filter((address): address is string => address !== undefined && !address.startsWith('127.'));
}

/** The host's own upstream name servers: systemd-resolved's real ones first, as its stub listens on loopback. */
async function hostResolvers(): Promise<string[]> {
  for (const file of ['/run/systemd/resolve/resolv.conf', '/etc/resolv.conf']) {
    const servers = nameServers(await readFile(file, 'utf8').catch(() => ''));
    if (servers.length > 0) return servers;
  }
  return [];
}

/** The egress the settings ask for, with what it needs from the host. */
export async function podEgress(): Promise<PodEgress> {
  return setting('CNLAB_POD_EGRESS') === 'internet' ? { mode: 'internet', resolvers: await hostResolvers() } : { mode: 'none' };
}

/** The resolv.conf the kubelet gives pods with `dnsPolicy: Default`, and CoreDNS its upstream. */
export function nodeResolvConf(egress: PodEgress): string {
  if (egress.mode === 'none') return '# pods on this node resolve cluster names only (CoreDNS): CNLAB_POD_EGRESS=none\n';
  return `# the host's name servers, reachable from pods: CNLAB_POD_EGRESS=internet\n${egress.resolvers.map((server) => `nameserver ${server}\n`).join('')}`;
}

/** CoreDNS's line for names outside the cluster: none without egress (it answers REFUSED), else the host's servers. */
export function coreDnsUpstream(egress: PodEgress): string {
  return egress.mode === 'internet' && egress.resolvers.length > 0 ? `forward . ${egress.resolvers.join(' ')}` : '# no upstream: CNLAB_POD_EGRESS=none';
}

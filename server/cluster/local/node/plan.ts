import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { stateDir } from '../../../paths.ts';

/**
 * Addresses and names of one cluster's real node. Inside its network namespace every node uses
 * the same pod and Service ranges (they never meet); only the link to the host differs, so
 * several clusters on one machine (a developer's and the test suite's) each get their own /30.
 */
export type NodePlan = {
  clusterName: string;
  nodeName: string;
  dir: string;
  /** Short id used for host-side names (interface, cgroup, nftables table); Linux allows 15 characters for an interface. */
  id: string;
  hostInterface: string;
  hostIp: string;
  nodeIp: string;
  podCidr: string;
  bridge: string;
};

/** Services live here rather than kube-apiserver's default 10.0.0.0/24, where kwok's simulated pods get their addresses. */
export const SERVICE_CIDR = '10.96.0.0/16';
export const KUBERNETES_SERVICE_IP = '10.96.0.1';
export const CLUSTER_DNS_IP = '10.96.0.10';
/** The real node's pods; kube-proxy and the NetworkPolicy controller know it as the cluster's pod range. */
export const POD_CIDR = '10.244.0.0/24';
export const CLUSTER_DOMAIN = 'cluster.local';

/** Host links are /30s in 172.30.0.0/16 (away from the VM's 10.255.255.0/24 resolver and Docker's 172.17/16). */
export function linkAddresses(slot: number): { hostIp: string; nodeIp: string } {
  if (!Number.isInteger(slot) || slot < 0 || slot > 16383) throw new Error(`node link slot ${slot} is out of range`);
  const base = slot * 4;
  const third = Math.floor(base / 256);
  const fourth = base % 256;
  return { hostIp: `172.30.${third}.${fourth + 1}`, nodeIp: `172.30.${third}.${fourth + 2}` };
}

/** Where a cluster's plan is kept, with the rest of its state. */
export function planDir(clusterName: string): string {
  return join(stateDir(), 'nodes', clusterName);
}

/**
 * The node's own files live outside the state folder: a container in a user namespace runs as
 * an unprivileged host uid, and its root file system and volumes are mounted below this folder,
 * so every folder above them must be traversable by anyone (0711; the state folder is 0700).
 */
export const NODE_ROOT = '/var/lib/cnlab/nodes';

export function planNode(clusterName: string, slot: number): NodePlan {
  // The state folder is part of the id: two test runs may both call their cluster "cnlab-it".
  const id = createHash('sha256').update(`${stateDir()}\0${clusterName}`).digest('hex').slice(0, 8);
  return {
    clusterName,
    nodeName: `${clusterName}-node`,
    dir: join(NODE_ROOT, id),
    id,
    hostInterface: `cnl${id}`,
    ...linkAddresses(slot),
    podCidr: POD_CIDR,
    bridge: 'cnlab0',
  };
}

import type { KubernetesObject } from '@kubernetes/client-node';
import type { CheckResult, CustomCheck, Snapshot } from '../../server/labs/checks.ts';

// The findings are compared with the cluster as it is when grading, so the lab works on any
// cluster: the vocabulary's field checks can only compare with fixed values.

type ConfigMap = KubernetesObject & { data?: Record<string, string> };
type Node = KubernetesObject & { status?: { nodeInfo?: { kubeletVersion?: string } } };

function finding(snapshot: Snapshot, key: string): { value?: string; problem?: CheckResult } {
  const findings = snapshot.objects('ConfigMap').find((object) => object.metadata?.name === 'findings') as ConfigMap | undefined;
  if (!findings) return { problem: snapshot.missing('ConfigMap', 'findings') };
  const value = findings.data?.[key];
  if (value === undefined) return { problem: { ok: false, message: `ConfigMap findings has no key ${key} yet` } };
  return { value: value.trim() };
}

export const nodeCount: CustomCheck = (snapshot): CheckResult => {
  const { value, problem } = finding(snapshot, 'nodes');
  if (problem) return problem;
  const nodes = snapshot.objects('Node').length;
  if (!/^\d+$/.test(value ?? '')) return { ok: false, message: `findings says nodes is "${value}"; write the number of nodes as digits only` };
  return Number(value) === nodes
    ? { ok: true, message: `findings says ${nodes} nodes, as the cluster has` }
    : { ok: false, message: `findings says the cluster has ${value} nodes, but that is not how many nodes kubectl get nodes lists` };
};

// Simulated (kwok) nodes report kwok's version, not a kubelet's: the real nodes are the ones the
// platform does not label simulated (on another cluster, every node).
const simulated = (node: Node) => node.metadata?.labels?.['cnlab.dev/node'] === 'simulated';

export const kubeletVersion: CustomCheck = (snapshot): CheckResult => {
  const { value, problem } = finding(snapshot, 'kubelet-version');
  if (problem) return problem;
  const nodes = snapshot.objects('Node') as Node[];
  const real = nodes.filter((node) => !simulated(node));
  const versions = new Set((real.length > 0 ? real : nodes).map((node) => node.status?.nodeInfo?.kubeletVersion ?? ''));
  if (versions.has(value ?? '')) return { ok: true, message: `findings says the kubelets run ${value}, as the real nodes report` };
  const simulatedVersions = new Set(nodes.filter(simulated).map((node) => node.status?.nodeInfo?.kubeletVersion ?? ''));
  return simulatedVersions.has(value ?? '')
    ? { ok: false, message: `findings says the kubelet version is "${value}", which is what the simulated nodes report (kwok's version); record the version of the node labelled cnlab.dev/node=real` }
    : { ok: false, message: `findings says the kubelet version is "${value}", but no node reports that version; copy the VERSION column of kubectl get nodes exactly` };
};

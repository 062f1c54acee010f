// The real node's configuration files, as pure functions of its plan: what each component is
// told, in one place, so a test can read it and a reader can see every choice with its reason.
import { stringify } from 'yaml';
import { CLOSED_RANGES, type PodEgress } from './egress.ts';
import { CLUSTER_DNS_IP, CLUSTER_DOMAIN, type NodePlan } from './plan.ts';

/** Folders inside the node folder; `run` is a tmpfs mounted inside the node, so sockets and state die with it. */
export function nodePaths(dir: string) {
  const run = `${dir}/run`;
  return {
    dir,
    run,
    config: `${dir}/config`,
    logs: `${dir}/logs`,
    certs: `${dir}/certs`,
    registryHosts: `${dir}/config/certs.d`,
    cniConf: `${dir}/config/cni`,
    containerdRoot: `${dir}/containerd`,
    containerdSocket: `${run}/containerd/containerd.sock`,
    kubeletRoot: `${dir}/kubelet`,
    podLogs: `${dir}/pod-logs`,
    /** PersistentVolumes of the local-path provisioner. */
    volumes: `${dir}/volumes`,
    /** The host end of the API relay: a Unix socket, so the node needs no open port on the host. */
    apiSocket: `${dir}/api.sock`,
    networkReady: `${dir}/network-ready`,
  };
}
export type NodePaths = ReturnType<typeof nodePaths>;

export const SANDBOX_IMAGE = 'registry.k8s.io/pause:3.10.1';
/** The registry listens on the node's own address: containerd reaches it, pods are kept off it by the guard. */
export const REGISTRY_PORT = 5000;

export function containerdConfig(paths: NodePaths, runc: string): string {
  const toml = (value: string) => JSON.stringify(value);
  return `# Written by cnlab for the real node; see server/cluster/local/node/configs.ts.
version = 3
root = ${toml(paths.containerdRoot)}
state = ${toml(`${paths.run}/containerd`)}

[grpc]
  address = ${toml(paths.containerdSocket)}

[plugins."io.containerd.cri.v1.images"]
  snapshotter = "overlayfs"
  [plugins."io.containerd.cri.v1.images".pinned_images]
    sandbox = ${toml(SANDBOX_IMAGE)}
  [plugins."io.containerd.cri.v1.images".registry]
    config_path = ${toml(paths.registryHosts)}

[plugins."io.containerd.cri.v1.runtime"]
  # This VM drops CAP_SYS_RESOURCE, so runc may not lower oom_score_adj below containerd's own.
  restrict_oom_score_adj = true
  enable_unprivileged_ports = true
  enable_unprivileged_icmp = true
  # Pod network namespaces are pinned inside the node's tmpfs, never in the host's /var/run/netns.
  netns_mounts_under = ${toml(`${paths.run}/netns`)}
  [plugins."io.containerd.cri.v1.runtime".cni]
    bin_dirs = ["/usr/lib/cni"]
    conf_dir = ${toml(paths.cniConf)}
  [plugins."io.containerd.cri.v1.runtime".containerd]
    default_runtime_name = "runc"
    [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc.options]
        BinaryName = ${toml(runc)}
        Root = ${toml(`${paths.run}/runc`)}
        SystemdCgroup = false

[plugins."io.containerd.nri.v1.nri"]
  disable = true
`;
}

export function cniConfig(plan: NodePlan): string {
  return `${JSON.stringify(
    {
      cniVersion: '1.0.0',
      name: 'cnlab',
      plugins: [
        {
          type: 'bridge',
          bridge: plan.bridge,
          isGateway: true,
          // No masquerade here: pods leave the node only with egress, and the node's guard then masquerades them.
          ipMasq: false,
          hairpinMode: true,
          ipam: { type: 'host-local', ranges: [[{ subnet: plan.podCidr }]], routes: [{ dst: '0.0.0.0/0' }] },
        },
        { type: 'portmap', capabilities: { portMappings: true } },
      ],
    },
    null,
    2,
  )}\n`;
}

export function kubeletConfig(plan: NodePlan, paths: NodePaths, caFile: string): string {
  return stringify({
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    // Not on loopback: the host probes it across the node's link (pods cannot: the guard drops it).
    address: plan.nodeIp,
    healthzBindAddress: plan.nodeIp,
    readOnlyPort: 0,
    authentication: { anonymous: { enabled: false }, webhook: { enabled: true }, x509: { clientCAFile: caFile } },
    authorization: { mode: 'Webhook' },
    containerRuntimeEndpoint: `unix://${paths.containerdSocket}`,
    cgroupDriver: 'cgroupfs',
    // cgroup v1 is what this kind of VM has; Kubernetes 1.36 still runs on it when told so.
    failCgroupV1: false,
    cgroupRoot: `/cnlab-${plan.id}`,
    podLogsDir: paths.podLogs,
    clusterDomain: CLUSTER_DOMAIN,
    clusterDNS: [CLUSTER_DNS_IP],
    // Pods see the host's resolvers only when egress lets them reach them (egress.ts writes it).
    resolvConf: `${paths.config}/resolv.conf`,
    podPidsLimit: 1024,
    maxPods: 110,
    serializeImagePulls: false,
    // The host keeps running the control plane and the platform.
    systemReserved: { memory: '2Gi' },
    evictionHard: { 'memory.available': '500Mi', 'nodefs.available': '5%', 'imagefs.available': '5%' },
    imageGCHighThresholdPercent: 95,
    imageGCLowThresholdPercent: 90,
    shutdownGracePeriod: '0s',
    staticPodPath: '',
    rotateCertificates: false,
    serverTLSBootstrap: false,
  });
}

export function kubeProxyConfig(plan: NodePlan, kubeconfig: string): string {
  return stringify({
    apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
    kind: 'KubeProxyConfiguration',
    mode: 'nftables',
    clientConnection: { kubeconfig },
    hostnameOverride: plan.nodeName,
    clusterCIDR: plan.podCidr,
    bindAddress: plan.nodeIp,
    healthzBindAddress: `${plan.nodeIp}:10256`,
    metricsBindAddress: '127.0.0.1:10249',
    nodePortAddresses: [`${plan.nodeIp}/32`],
    // conntrack limits are global to the host: a node in a namespace leaves them alone.
    conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: '0s', tcpCloseWaitTimeout: '0s' },
  });
}

// Each guard file replaces its table in one transaction (create, delete, define), so loading it
// again on a running node swaps the rules without a moment of no rules.
const replaceTable = (name: string, body: string) => `table inet ${name}\ndelete table inet ${name}\ntable inet ${name} {\n${body}}\n`;

/**
 * Inside the node: pods reach the API relay (the kubernetes Service after kube-proxy's
 * translation) and nothing else of the node. With egress, what they send off the node is
 * masqueraded behind the node's address and left to the host's guard to filter.
 */
export function nodeGuard(plan: NodePlan, apiPort: number, egress: PodEgress): string {
  const out = egress.mode === 'internet' ? `    iifname "${plan.bridge}" oifname "eth0" ip saddr ${plan.podCidr} accept\n` : '';
  const nat =
    egress.mode === 'internet'
      ? `  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "eth0" ip saddr ${plan.podCidr} masquerade
  }
`
      : '';
  return replaceTable(
    'cnlab-guard',
    `  chain input {
    type filter hook input priority filter; policy accept;
    iifname "${plan.bridge}" ct state established,related accept
    iifname "${plan.bridge}" ip daddr ${plan.nodeIp} tcp dport ${apiPort} accept
    iifname "${plan.bridge}" drop
  }
  chain forward {
    type filter hook forward priority filter; policy accept;
    iifname "${plan.bridge}" oifname != "${plan.bridge}" ct state established,related accept
${out}    iifname "${plan.bridge}" oifname != "${plan.bridge}" drop
  }
${nat}`,
  );
}

/**
 * On the host: the node's link carries answers to the host's own requests (API server to
 * kubelet) and nothing else, but, with egress, connections to public addresses and to the
 * host's name servers, masqueraded behind the host. Nothing from the link reaches the host itself.
 */
export function hostGuard(plan: NodePlan, egress: PodEgress): string {
  const link = plan.hostInterface;
  const open =
    egress.mode === 'internet'
      ? `    oifname "${link}" ct state established,related accept
${egress.resolvers.length > 0 ? `    iifname "${link}" ip saddr ${plan.nodeIp} ip daddr { ${egress.resolvers.join(', ')} } meta l4proto { tcp, udp } th dport 53 accept\n` : ''}    iifname "${link}" ip saddr ${plan.nodeIp} ip daddr != { ${CLOSED_RANGES.join(', ')} } accept
`
      : '';
  const nat =
    egress.mode === 'internet'
      ? `  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    ip saddr ${plan.nodeIp} oifname != "${link}" masquerade
  }
`
      : '';
  return replaceTable(
    `cnlab-${plan.id}`,
    `  chain input {
    type filter hook input priority filter; policy accept;
    iifname "${link}" ct state established,related accept
    iifname "${link}" drop
  }
  chain forward {
    type filter hook forward priority filter; policy accept;
${open}    iifname "${link}" drop
    oifname "${link}" drop
  }
${nat}`,
  );
}

export function kubeconfigFor(server: string, caFile: string, certFile: string, keyFile: string, user: string): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'cnlab', cluster: { server, 'certificate-authority': caFile } }],
    users: [{ name: user, user: { 'client-certificate': certFile, 'client-key': keyFile } }],
    contexts: [{ name: 'cnlab', context: { cluster: 'cnlab', user } }],
    'current-context': 'cnlab',
  });
}


// Every component the platform runs is pinned here, so one edit moves the whole toolchain.
export const versions = {
  kubernetes: 'v1.36.3',
  // The etcd minor that Kubernetes 1.36 is released and tested with.
  etcd: 'v3.6.16',
  // kwok v0.8.0 is built against the v0.36 Kubernetes libraries, matching the control plane above.
  kwok: 'v0.8.0',
  // The real node's runtime: containerd 2.2 and runc 1.4 give user namespaces (hostUsers: false)
  // even on cgroup v1, so a learner's root in a pod is not root on the host.
  containerd: 'v2.2.9',
  runc: 'v1.4.4',
  // Cluster DNS, built against the control plane's client-go.
  coredns: 'v1.15.0',
  // NetworkPolicy for the real node (kube-network-policies needs nfqueue, which this kind of VM's
  // kernel lacks). v2.1.0 is the release the module proxy serves; it is built with the
  // Kubernetes 1.36 libraries and their newer dependencies.
  kubeRouter: 'v2.1.0',
  // `kubectl top` and the HorizontalPodAutoscaler; built against Kubernetes 1.36's libraries.
  metricsServer: 'v0.9.0',
  // PersistentVolumes as folders on the node (the newest release the module proxy serves).
  localPathProvisioner: 'v0.0.30',
  // The learner's helm (module 5), the release built with Kubernetes 1.36's libraries.
  helm: 'v4.2.4',
  // Installed with `go install` where Docker runs; its node image is pinned in kind-config.yaml.
  kind: 'v0.32.0',
} as const;

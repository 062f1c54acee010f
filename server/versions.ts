// Every component the platform runs is pinned here, so one edit moves the whole toolchain.
export const versions = {
  kubernetes: 'v1.36.3',
  // The etcd minor that Kubernetes 1.36 is released and tested with.
  etcd: 'v3.6.16',
  // kwok v0.8.0 is built against the v0.36 Kubernetes libraries, matching the control plane above.
  kwok: 'v0.8.0',
  // Installed with `go install` where Docker runs; its node image is pinned in kind-config.yaml.
  kind: 'v0.32.0',
} as const;

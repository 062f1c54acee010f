#!/bin/sh
# The real node's init: run by tini as PID 1 of the node's own PID, mount and network
# namespaces (see runtime.ts). Everything the node starts lives in those namespaces, so when
# this process tree dies the kernel removes every container, mount and network device with it.
#
# $1 is the node folder; node.env there (written by runtime.ts) holds the paths and addresses.
set -eu
node_dir=$1
. "$node_dir/node.env"

log() { echo "node-init: $*"; }

# The host moves one end of a veth pair in here and says so with this file.
while [ ! -e "$node_dir/network-ready" ]; do sleep 0.05; done

# Mounts made here stay here (unshare made every mount private); shared within the node so
# kubelet's mount propagation and containerd's rootfs mounts behave as on any node.
mount --make-rshared /
mount -t tmpfs -o mode=0711 tmpfs "$RUN_DIR"
# CNI plugins keep their cache in a fixed /var/lib/cni: each node gets its own.
mkdir -p /var/lib/cni "$NODE_DIR/cni/var"
mount --bind "$NODE_DIR/cni/var" /var/lib/cni

# Routing between pods and Services inside the node; these sysctls are per network namespace.
sysctl -q -w net.ipv4.ip_forward=1
sysctl -q -w net.bridge.bridge-nf-call-iptables=1 2>/dev/null || log "br_netfilter sysctls are missing: Service traffic between pods on one bridge may be lost"
# The guard: pods reach the API relay and nothing else of the node, and nothing beyond it.
nft -f "$CONFIG_DIR/guard.nft"

# Each component restarts after a crash (with a growing pause), as systemd would restart it.
supervise() {
  name=$1
  shift
  (
    pause=1
    while :; do
      started=$(date +%s)
      "$@" >>"$LOG_DIR/$name.log" 2>&1 && code=0 || code=$?
      [ $(($(date +%s) - started)) -gt 30 ] && pause=1
      echo "node-init: $name exited with code $code; restarting in ${pause}s" >>"$LOG_DIR/$name.log"
      sleep "$pause"
      [ "$pause" -lt 16 ] && pause=$((pause * 2))
    done
  ) &
}

wait_for() {
  what=$1
  shift
  tries=0
  until "$@" >/dev/null 2>&1; do
    tries=$((tries + 1))
    if [ "$tries" -gt 600 ]; then
      log "$what did not come up within 30s"
      return 1
    fi
    sleep 0.05
  done
}

supervise registry docker-registry serve "$CONFIG_DIR/registry.yml"
supervise api-relay socat "TCP-LISTEN:$API_PORT,bind=$NODE_IP,fork,reuseaddr" "UNIX-CONNECT:$API_SOCKET"
supervise containerd env PATH="$CONTAINERD_BIN_DIR:$PATH" containerd --config "$CONFIG_DIR/containerd.toml"
wait_for containerd test -S "$RUN_DIR/containerd/containerd.sock"
supervise kubelet "$KUBELET" --config "$CONFIG_DIR/kubelet.yaml" --kubeconfig "$CONFIG_DIR/kubelet.kubeconfig" \
  --root-dir "$NODE_DIR/kubelet" --hostname-override "$NODE_NAME" --node-ip "$NODE_IP" \
  --node-labels "$NODE_LABELS"
supervise kube-proxy "$KUBE_PROXY" --config "$CONFIG_DIR/kube-proxy.yaml"
# NetworkPolicy: kube-router's firewall only, once the host has given the Node its pod range.
(
  until [ -e "$NODE_DIR/pod-cidr-ready" ]; do sleep 0.1; done
  supervise kube-router "$KUBE_ROUTER" --kubeconfig "$CONFIG_DIR/kube-router.kubeconfig" \
    --run-firewall=true --run-router=false --run-service-proxy=false \
    --hostname-override "$NODE_NAME" --service-cluster-ip-range "$SERVICE_CIDR" \
    --health-port 20244 --metrics-port 0
  wait
) &
log "components started"
wait

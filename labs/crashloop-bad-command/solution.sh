kubectl get pods -l app=web
# The crashed container's own words: --previous reads the run that just ended.
pod=$(kubectl get pods -l app=web -o jsonpath='{.items[0].metadata.name}')
# Wait for the first crash, as a learner watching `kubectl get pods -w` would.
for try in $(seq 60); do
  [ "$(kubectl get pod "$pod" -o jsonpath='{.status.containerStatuses[0].restartCount}')" -ge 1 ] && break
  [ "$try" = 60 ] && exit 1
  sleep 1
done
kubectl describe pod "$pod" | grep -E 'Last State|Reason|Exit Code|Restart Count' || true
# The kubelet may still be switching runs: ask again until the ended run's log is there.
for try in $(seq 30); do
  kubectl logs "$pod" --previous 2>/dev/null | grep -F 'expecting ";"' && break
  [ "$try" = 30 ] && { kubectl logs "$pod" --previous; exit 1; }
  sleep 1
done
kubectl patch deployment web --type=json -p '[{"op": "replace", "path": "/spec/template/spec/containers/0/command", "value": ["nginx", "-g", "daemon off;"]}]'
kubectl rollout status deployment/web --timeout=90s
kubectl get endpointslices -l kubernetes.io/service-name=web

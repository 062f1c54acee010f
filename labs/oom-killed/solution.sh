kubectl get pods -l app=catalogue
pod=$(kubectl get pods -l app=catalogue -o jsonpath='{.items[0].metadata.name}')
# Wait for the first crash, as a learner watching `kubectl get pods -w` would.
for try in $(seq 60); do
  [ "$(kubectl get pod "$pod" -o jsonpath='{.status.containerStatuses[0].restartCount}')" -ge 1 ] && break
  [ "$try" = 60 ] && exit 1
  sleep 1
done
# The last run's end: reason OOMKilled, exit code 137 (128 + 9, killed by SIGKILL).
kubectl get pod "$pod" -o jsonpath='{.status.containerStatuses[0].lastState.terminated.reason} {.status.containerStatuses[0].lastState.terminated.exitCode}{"\n"}' | grep -Fx 'OOMKilled 137'
kubectl logs "$pod" --previous
kubectl set resources deployment/catalogue --requests=memory=64Mi --limits=memory=128Mi
kubectl rollout status deployment/catalogue --timeout=90s
kubectl logs deploy/catalogue

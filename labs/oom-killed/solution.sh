kubectl get pods -l app=catalogue
pod=$(kubectl get pods -l app=catalogue -o jsonpath='{.items[0].metadata.name}')
# The last run's end: reason OOMKilled, exit code 137 (128 + 9, killed by SIGKILL).
kubectl get pod "$pod" -o jsonpath='{.status.containerStatuses[0].lastState.terminated.reason} {.status.containerStatuses[0].lastState.terminated.exitCode}{"\n"}'
kubectl logs "$pod" --previous || true
kubectl set resources deployment/catalogue --requests=memory=64Mi --limits=memory=128Mi
kubectl rollout status deployment/catalogue --timeout=90s
kubectl logs deploy/catalogue

kubectl get pod cache
kubectl describe pod cache | grep -E 'Image:|Failed|BackOff' || true
kubectl get events --field-selector involvedObject.name=cache
# A Pod's image is one of the few fields of a running Pod that may change: no new Pod needed.
kubectl set image pod/cache redis=redis:8.0
kubectl wait --for=condition=Ready pod/cache --timeout=90s
kubectl exec cache -- redis-cli ping
kubectl get pod cache -o jsonpath='{.status.containerStatuses[0].imageID}{"\n"}'

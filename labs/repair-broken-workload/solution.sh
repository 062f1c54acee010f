kubectl get pods --show-labels
kubectl describe pods -l app=shop | grep -E 'Failed|BackOff' || true
kubectl describe service shop
kubectl set image deployment/shop shop=nginx:1.26
kubectl rollout status deployment/shop --timeout=90s
kubectl patch service shop -p '{"spec":{"selector":{"app":"shop"}}}'

kubectl get pods --show-labels
kubectl describe service shop
kubectl set image deployment/shop shop=nginx:1.27
kubectl rollout status deployment/shop --timeout=60s
kubectl patch service shop -p '{"spec":{"selector":{"app":"shop"}}}'

kubectl get pods -l app=web
kubectl describe pods -l app=web | grep -E 'Last State|Reason|Exit Code|Restart Count' || true
# The crashed container's own words: --previous reads the run that just ended.
pod=$(kubectl get pods -l app=web -o jsonpath='{.items[0].metadata.name}')
kubectl logs "$pod" --previous || kubectl logs "$pod"
kubectl patch deployment web --type=json -p '[{"op": "replace", "path": "/spec/template/spec/containers/0/command", "value": ["nginx", "-g", "daemon off;"]}]'
kubectl rollout status deployment/web --timeout=90s
kubectl get endpointslices -l kubernetes.io/service-name=web

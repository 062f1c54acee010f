kubectl get pods -l app=api
kubectl get endpointslices -l kubernetes.io/service-name=api -o jsonpath='{range .items[*].endpoints[*]}{.addresses[0]} ready={.conditions.ready}{"\n"}{end}'
kubectl describe pods -l app=api | grep -E 'Readiness|Unhealthy' || true
kubectl patch deployment api --type=json -p '[{"op": "replace", "path": "/spec/template/spec/containers/0/readinessProbe/httpGet/port", "value": 80}]'
kubectl rollout status deployment/api --timeout=90s
kubectl get endpointslices -l kubernetes.io/service-name=api -o jsonpath='{range .items[*].endpoints[*]}{.addresses[0]} ready={.conditions.ready}{"\n"}{end}'
kubectl run client --rm -i --restart=Never --image=busybox:1.37 -- wget -q -O - -T 5 http://api </dev/null | grep -F 'Welcome to nginx'

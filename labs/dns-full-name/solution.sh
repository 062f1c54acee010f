kubectl rollout status deployment/status-page --timeout=5s || true
kubectl exec deploy/status-page -- cat /etc/resolv.conf
! kubectl exec deploy/status-page -- host kubernetes
kubectl exec deploy/status-page -- host kubernetes.default.svc.cluster.local
kubectl set env deployment/status-page API_HOST=kubernetes.default.svc.cluster.local
ns=$(kubectl config view --minify -o jsonpath="{..namespace}")
! kubectl exec deploy/reporter -- nslookup db.production.svc.cluster.local
kubectl set env deployment/reporter DB_HOST="db.$ns.svc.cluster.local"
kubectl rollout status deployment/status-page --timeout=60s
kubectl rollout status deployment/reporter --timeout=60s
kubectl exec deploy/reporter -- sh -c 'wget -q -O - "http://$DB_HOST:8080"'

kubectl get deployment web -o jsonpath='{.spec.template.spec.containers[0].imagePullPolicy}{"\n"}'
kubectl rollout status deployment/web --timeout=90s
kubectl exec deploy/web -- nginx -v
DIGEST=$(kubectl get pods -l app=web -o jsonpath='{.items[0].status.containerStatuses[0].imageID}')
echo "$DIGEST"
kubectl set image deployment/web nginx=nginx:1.26.3@${DIGEST#*@}
kubectl rollout status deployment/web --timeout=90s
kubectl patch deployment web --type=json -p '[{"op":"replace","path":"/spec/template/spec/containers/0/imagePullPolicy","value":"IfNotPresent"}]'
kubectl rollout status deployment/web --timeout=90s
kubectl run scratch --image=busybox --restart=Never -- sleep 3600
kubectl get pod scratch -o jsonpath='{.spec.containers[0].imagePullPolicy}{"\n"}'

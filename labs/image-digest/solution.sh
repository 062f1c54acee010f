kubectl get deployment web -o jsonpath='{.spec.template.spec.containers[0].imagePullPolicy}{"\n"}'
kubectl set image deployment/web nginx=nginx:1.27@sha256:2ee255c14f8c7337863325bdd2af92a44c00c6892fd2c082d8ab57a645017d46
kubectl rollout status deployment/web --timeout=60s
kubectl patch deployment web --type=json -p '[{"op":"replace","path":"/spec/template/spec/containers/0/imagePullPolicy","value":"IfNotPresent"}]'
kubectl rollout status deployment/web --timeout=60s
kubectl run scratch --image=busybox --restart=Never -- sleep 3600
kubectl get pod scratch -o jsonpath='{.spec.containers[0].imagePullPolicy}{"\n"}'

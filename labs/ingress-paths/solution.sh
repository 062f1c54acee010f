kubectl get ingressclass
kubectl create deployment web --image=nginx:1.26
kubectl create deployment api --image=nginx:1.26
kubectl expose deployment web --port=80 --target-port=80
kubectl expose deployment api --port=80 --target-port=80
kubectl rollout status deployment/web --timeout=90s
kubectl rollout status deployment/api --timeout=90s
kubectl run client --rm -i --restart=Never --image=busybox:1.37 -- wget -q -O - http://api </dev/null | grep -F 'Welcome to nginx'
kubectl create ingress shop --rule='shop.example.com/api*=api:80' --rule='shop.example.com/*=web:80'
kubectl get ingress shop -o yaml

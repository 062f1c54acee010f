kubectl run hello --image=nginx:1.26
kubectl wait --for=condition=Ready pod/hello --timeout=90s
kubectl create deployment web --image=nginx:1.26 --replicas=3
kubectl rollout status deployment/web --timeout=90s
kubectl get replicasets -l app=web
kubectl expose deployment web --port=80
kubectl get endpointslices -l kubernetes.io/service-name=web
kubectl run client --rm -i --restart=Never --image=busybox:1.37 -- wget -q -O - http://web </dev/null | grep -F 'Welcome to nginx'

kubectl create deployment api --image=nginx:1.26 --replicas=2
kubectl rollout status deployment/api --timeout=90s
kubectl expose deployment api --port=80 --target-port=80
kubectl get endpointslices -l kubernetes.io/service-name=api
kubectl run client --rm -i --restart=Never --image=busybox:1.37 -- wget -q -O - http://api </dev/null | grep -F 'Welcome to nginx'

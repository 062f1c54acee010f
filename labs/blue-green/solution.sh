kubectl get deployment web-blue --show-labels
kubectl apply -f - <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web-green
  labels: {app: web, version: green}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web, version: green}
  template:
    metadata:
      labels: {app: web, version: green}
    spec:
      containers:
        - name: web
          image: nginx:1.26
          ports:
            - containerPort: 80
YAML
kubectl rollout status deployment/web-green --timeout=90s
kubectl exec deploy/web-blue -- nginx -v
kubectl exec deploy/web-green -- nginx -v
kubectl run client --rm -i --restart=Never --image=busybox:1.37 -- wget -S -q -O /dev/null http://web </dev/null 2>&1 | grep -F 'Server: nginx/1.22'
kubectl patch service web -p '{"spec":{"selector":{"app":"web","version":"green"}}}'
kubectl describe service web
for try in 1 2 3 4 5; do
  kubectl run client --rm -i --restart=Never --image=busybox:1.37 -- wget -S -q -O /dev/null http://web </dev/null 2>&1 | grep -F 'Server: nginx/1.26' && break
  [ "$try" = 5 ] && exit 1
  sleep 2
done

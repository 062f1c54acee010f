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
          image: nginx:1.28
          ports:
            - containerPort: 80
YAML
kubectl rollout status deployment/web-green --timeout=60s
kubectl patch service web -p '{"spec":{"selector":{"app":"web","version":"green"}}}'
kubectl describe service web

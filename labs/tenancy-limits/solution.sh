kubectl describe quota team-budget
kubectl describe limitrange team-limits
kubectl create configmap quota-findings --from-literal=pods=5 --from-literal=requests.cpu=1 --from-literal=requests.memory=1Gi --from-literal=limits.cpu=2 --from-literal=limits.memory=1536Mi --from-literal=container-max-memory=384Mi
kubectl apply -f - <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: catalog
  labels: {app: catalog}
spec:
  replicas: 4
  selector:
    matchLabels: {app: catalog}
  template:
    metadata:
      labels: {app: catalog}
    spec:
      containers:
        - name: nginx
          image: nginx:1.26
          resources:
            requests: {cpu: 200m, memory: 192Mi}
            limits: {cpu: 400m, memory: 384Mi}
YAML
kubectl rollout status deployment/catalog --timeout=90s
kubectl describe quota team-budget

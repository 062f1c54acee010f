kubectl describe limitrange container-bounds
kubectl apply -f - <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  labels: {app: api}
spec:
  replicas: 2
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: nginx
          image: nginx:1.26
          resources:
            requests: {cpu: 250m, memory: 128Mi}
            limits: {cpu: 250m, memory: 128Mi}
YAML
kubectl rollout status deployment/api --timeout=60s
kubectl get pods -l app=api -o custom-columns=NAME:.metadata.name,QOS:.status.qosClass
kubectl apply -f - <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: report
spec:
  containers:
    - name: report
      image: busybox:1.37
      command: [sleep, '3600']
      resources:
        requests: {cpu: 100m, memory: 160Mi}
        limits: {memory: 320Mi}
YAML
kubectl wait --for=condition=Ready pod/report --timeout=60s
kubectl get pod report -o jsonpath='{.status.qosClass}{"\n"}'

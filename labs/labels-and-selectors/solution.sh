cat > frontend.yaml <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: frontend
  labels:
    app: shop
    tier: frontend
spec:
  replicas: 2
  selector:
    matchLabels:
      app: shop
      tier: frontend
  template:
    metadata:
      labels:
        app: shop
        tier: frontend
    spec:
      containers:
        - name: web
          image: nginx:1.26
YAML
kubectl apply -f frontend.yaml
kubectl rollout status deployment/frontend --timeout=60s
sed -i 's/replicas: 2/replicas: 3/' frontend.yaml
sed -i 's/^        tier: frontend$/        tier: frontend\n        env: staging/' frontend.yaml
cat frontend.yaml
kubectl diff -f frontend.yaml || true
kubectl apply -f frontend.yaml
kubectl rollout status deployment/frontend --timeout=60s
kubectl label deployments -l app=shop env=staging --overwrite
kubectl annotate deployment frontend example.com/owner=team-web
kubectl get deployments --show-labels

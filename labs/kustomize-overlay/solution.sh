mkdir -p ~/app/base ~/app/overlays/prod
cat > ~/app/base/deployment.yaml <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  labels:
    app: api
spec:
  replicas: 1
  selector:
    matchLabels:
      app: api
  template:
    metadata:
      labels:
        app: api
    spec:
      containers:
        - name: api
          image: nginx:1.22
          ports:
            - containerPort: 80
YAML
cat > ~/app/base/service.yaml <<'YAML'
apiVersion: v1
kind: Service
metadata:
  name: api
spec:
  selector:
    app: api
  ports:
    - port: 80
      targetPort: 80
YAML
cat > ~/app/base/kustomization.yaml <<'YAML'
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - deployment.yaml
  - service.yaml
YAML
kubectl kustomize ~/app/base
kubectl apply -k ~/app/base
kubectl rollout status deployment/api --timeout=60s
cat > ~/app/overlays/prod/kustomization.yaml <<'YAML'
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../../base
namePrefix: prod-
labels:
  - pairs:
      env: prod
    includeSelectors: true
images:
  - name: nginx
    newTag: "1.26"
patches:
  - path: replicas.yaml
YAML
cat > ~/app/overlays/prod/replicas.yaml <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: 3
YAML
kubectl kustomize ~/app/overlays/prod
kubectl apply -k ~/app/overlays/prod
kubectl rollout status deployment/prod-api --timeout=60s

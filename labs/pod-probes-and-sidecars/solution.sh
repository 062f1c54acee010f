kubectl apply -f - <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: app
spec:
  volumes:
    - name: shared
      emptyDir: {}
  initContainers:
    - name: setup
      image: busybox:1.37
      command: [sh, -c, "echo hello > /shared/index.html"]
      volumeMounts: [{name: shared, mountPath: /shared}]
    - name: log-agent
      image: busybox:1.37
      restartPolicy: Always
      command: [sh, -c, "tail -F /shared/index.html"]
      volumeMounts: [{name: shared, mountPath: /shared}]
  containers:
    - name: web
      image: nginx:1.26
      ports: [{containerPort: 80}]
      volumeMounts: [{name: shared, mountPath: /usr/share/nginx/html}]
      startupProbe: {httpGet: {path: /, port: 80}, periodSeconds: 2, failureThreshold: 30}
      livenessProbe: {httpGet: {path: /, port: 80}, periodSeconds: 10}
      readinessProbe: {httpGet: {path: /, port: 80}, periodSeconds: 5}
YAML
kubectl wait --for=condition=Ready pod/app --timeout=60s

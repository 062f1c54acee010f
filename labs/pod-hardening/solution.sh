kubectl apply -f - <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  volumes:
    - name: logs
      emptyDir: {}
    - name: tmp
      emptyDir: {}
  initContainers:
    - name: prepare
      image: busybox:1.36
      command: [sh, -c, "date > /logs/started"]
      volumeMounts: [{name: logs, mountPath: /logs}]
      resources: {requests: {cpu: 10m, memory: 16Mi}, limits: {memory: 32Mi}}
      securityContext: &locked
        runAsNonRoot: true
        runAsUser: 101
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true
        capabilities: {drop: [ALL]}
  containers:
    - name: web
      image: nginxinc/nginx-unprivileged:1.27
      ports: [{containerPort: 8080}]
      volumeMounts: [{name: logs, mountPath: /logs}, {name: tmp, mountPath: /tmp}]
      readinessProbe: {httpGet: {path: /, port: 8080}}
      livenessProbe: {httpGet: {path: /, port: 8080}, periodSeconds: 20}
      resources: {requests: {cpu: 50m, memory: 32Mi}, limits: {memory: 64Mi}}
      securityContext: *locked
    - name: log-shipper
      image: busybox:1.36
      command: [sh, -c, "tail -F /logs/started"]
      volumeMounts: [{name: logs, mountPath: /logs}]
      resources: {requests: {cpu: 10m, memory: 16Mi}, limits: {memory: 32Mi}}
      securityContext: *locked
YAML
kubectl wait --for=condition=Ready pod/web --timeout=60s

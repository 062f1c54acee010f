kubectl apply -f - <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  securityContext:
    seccompProfile: {type: RuntimeDefault}
  volumes:
    - name: logs
      emptyDir: {}
    - name: run
      emptyDir: {}
    - name: nginx-temp
      emptyDir: {}
  initContainers:
    - name: prepare
      image: busybox:1.37
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
      image: nginx:1.26
      ports: [{containerPort: 80}]
      volumeMounts: [{name: logs, mountPath: /logs}, {name: run, mountPath: /run}, {name: nginx-temp, mountPath: /var/lib/nginx}]
      readinessProbe: {httpGet: {path: /, port: 80}}
      livenessProbe: {httpGet: {path: /, port: 80}, periodSeconds: 20}
      resources: {requests: {cpu: 50m, memory: 32Mi}, limits: {memory: 64Mi}}
      securityContext: *locked
    - name: log-shipper
      image: busybox:1.37
      command: [sh, -c, "tail -F /logs/started"]
      volumeMounts: [{name: logs, mountPath: /logs}]
      resources: {requests: {cpu: 10m, memory: 16Mi}, limits: {memory: 32Mi}}
      securityContext: *locked
YAML
kubectl wait --for=condition=Ready pod/web --timeout=90s
kubectl logs web -c log-shipper

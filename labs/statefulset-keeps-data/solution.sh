kubectl get statefulset notes
kubectl wait --for=jsonpath='{.status.phase}'=Running pod/notes-0 --timeout=60s
kubectl logs notes-0
# volumeClaimTemplates cannot be changed in place: delete the StatefulSet and create it again
# with a claim template instead of the emptyDir.
kubectl delete statefulset notes
kubectl wait --for=delete pod -l app=notes --timeout=60s
kubectl apply -f - <<'YAML'
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: notes
  labels: {app: notes}
spec:
  serviceName: notes
  replicas: 2
  podManagementPolicy: Parallel
  selector:
    matchLabels: {app: notes}
  template:
    metadata:
      labels: {app: notes}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: notes
          image: busybox:1.37
          command: [sh, -c, 'date >> /data/boots; echo "$HOSTNAME: start number $(wc -l < /data/boots)"; exec sleep 86400']
          volumeMounts:
            - {name: data, mountPath: /data}
          readinessProbe:
            exec:
              command: [sh, -c, 'test "$(wc -l < /data/boots)" -ge 2']
            periodSeconds: 2
  volumeClaimTemplates:
    - metadata: {name: data}
      spec:
        accessModes: [ReadWriteOnce]
        resources: {requests: {storage: 100Mi}}
YAML
for try in $(seq 90); do
  [ "$(kubectl get pods -l app=notes -o jsonpath='{range .items[*]}{.status.phase}{"\n"}{end}' | grep -c Running)" = 2 ] && break
  [ "$try" = 90 ] && exit 1
  sleep 1
done
kubectl get pvc
kubectl logs notes-0
# The restart: each Pod is replaced by a new one with the same name, which mounts the same claim.
kubectl delete pod notes-0 notes-1
kubectl rollout status statefulset/notes --timeout=90s
kubectl logs notes-0
kubectl exec notes-1 -- cat /data/boots

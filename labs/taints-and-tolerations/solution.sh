kubectl get nodes --show-labels
NODE=$(kubectl get nodes -l cnlab.dev/node=simulated -o jsonpath='{.items[0].metadata.name}')
kubectl run pinned --image=nginx:1.26 --overrides="{\"spec\":{\"nodeSelector\":{\"kubernetes.io/hostname\":\"$NODE\"},\"tolerations\":[{\"key\":\"cnlab.dev/simulated\",\"operator\":\"Exists\",\"effect\":\"NoSchedule\"}]}}"
kubectl wait --for=condition=Ready pod/pinned --timeout=60s
kubectl get pod pinned -o wide
kubectl run batch-strict --image=nginx:1.26 --overrides='{"spec":{"nodeSelector":{"workload":"batch"},"tolerations":[{"key":"dedicated","operator":"Equal","value":"batch","effect":"NoSchedule"}]}}'
kubectl apply -f - <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: batch
spec:
  tolerations:
    - {key: dedicated, operator: Equal, value: batch, effect: NoSchedule}
  affinity:
    nodeAffinity:
      preferredDuringSchedulingIgnoredDuringExecution:
        - weight: 100
          preference:
            matchExpressions:
              - {key: workload, operator: In, values: [batch]}
  containers:
    - name: batch
      image: nginx:1.26
YAML
kubectl wait --for=condition=Ready pod/batch --timeout=90s
kubectl get pod batch -o wide
kubectl logs batch
sleep 2
kubectl describe pod batch-strict

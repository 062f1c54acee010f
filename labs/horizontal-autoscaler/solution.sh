kubectl create deployment web --image=nginx:1.26 --replicas=2
kubectl set resources deployment web --requests=cpu=100m,memory=128Mi
kubectl rollout status deployment/web --timeout=90s
kubectl autoscale deployment web --min=2 --max=6 --cpu=60%
kubectl patch hpa web --type=merge -p '{"spec":{"behavior":{"scaleDown":{"stabilizationWindowSeconds":600}}}}'
for try in $(seq 50); do
  kubectl get hpa web -o jsonpath='{.status.currentMetrics[0].resource.current.averageUtilization}' | grep -q . && break
  [ "$try" = 50 ] && exit 1
  sleep 2
done
kubectl get hpa web

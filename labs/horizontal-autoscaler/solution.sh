kubectl create deployment web --image=nginx:1.26 --replicas=2
kubectl set resources deployment web --requests=cpu=100m,memory=128Mi
kubectl rollout status deployment/web --timeout=60s
kubectl autoscale deployment web --min=2 --max=6 --cpu=60%
kubectl patch hpa web --type=merge -p '{"spec":{"behavior":{"scaleDown":{"stabilizationWindowSeconds":600}}}}'
kubectl get hpa web

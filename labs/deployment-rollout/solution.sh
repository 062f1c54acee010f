kubectl create deployment web --image=nginx:1.22 --replicas=2
kubectl rollout status deployment/web --timeout=90s
kubectl exec deploy/web -- nginx -v
kubectl scale deployment web --replicas=4
kubectl rollout status deployment/web --timeout=90s
kubectl set image deployment/web nginx=nginx:1.26
kubectl rollout status deployment/web --timeout=90s
kubectl get pods -l app=web -o custom-columns=NAME:.metadata.name,IMAGE:.spec.containers[0].image
kubectl rollout history deployment/web
kubectl rollout undo deployment/web
kubectl rollout status deployment/web --timeout=90s
for try in 1 2 3 4 5; do
  kubectl exec deploy/web -- nginx -v 2>&1 | grep -F nginx/1.22 && break
  [ "$try" = 5 ] && exit 1
  sleep 2
done

kubectl create deployment web --image=nginx:1.27 --replicas=2
kubectl rollout status deployment/web --timeout=60s
kubectl scale deployment web --replicas=4
kubectl rollout status deployment/web --timeout=60s
kubectl set image deployment/web nginx=nginx:1.28
kubectl rollout status deployment/web --timeout=60s
kubectl rollout history deployment/web
kubectl rollout undo deployment/web
kubectl rollout status deployment/web --timeout=60s

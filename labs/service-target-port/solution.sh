kubectl get pods -l app=shop
kubectl get endpointslices -l kubernetes.io/service-name=shop -o wide
! kubectl exec deploy/checkout -- wget -q -O - -T 3 http://shop
kubectl describe service shop | grep -E 'Port|TargetPort|Endpoints'
kubectl patch service shop -p '{"spec":{"ports":[{"port":80,"targetPort":8080}]}}'
for try in $(seq 15); do
  kubectl exec deploy/checkout -- wget -q -O - -T 2 http://shop && break
  [ "$try" = 15 ] && exit 1
  sleep 1
done
kubectl rollout status deployment/checkout --timeout=60s

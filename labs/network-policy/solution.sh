kubectl get networkpolicy
kubectl rollout status deployment/api --timeout=90s
kubectl rollout status deployment/frontend --timeout=90s
kubectl exec deploy/frontend -- wget -q -O - -T 3 http://api:8080
kubectl apply -f - <<'YAML'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
YAML
# Enforced within a second or two: wait until the frontend is cut off.
for try in $(seq 10); do
  kubectl exec deploy/frontend -- wget -q -O - -T 2 http://api:8080 || break
  [ "$try" = 10 ] && exit 1
  sleep 1
done
kubectl apply -f - <<'YAML'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-frontend-to-api
spec:
  podSelector:
    matchLabels: {app: api}
  policyTypes: [Ingress]
  ingress:
    - from:
        - podSelector:
            matchLabels: {app: frontend}
      ports:
        - protocol: TCP
          port: 8080
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: frontend-egress
spec:
  podSelector:
    matchLabels: {app: frontend}
  policyTypes: [Egress]
  egress:
    - to:
        - podSelector:
            matchLabels: {app: api}
      ports:
        - protocol: TCP
          port: 8080
    - to:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: kube-system
      ports:
        - protocol: UDP
          port: 53
        - protocol: TCP
          port: 53
YAML
for try in $(seq 10); do
  kubectl exec deploy/frontend -- wget -q -O - -T 2 http://api:8080 && break
  [ "$try" = 10 ] && exit 1
  sleep 1
done
! kubectl run probe --rm -i --restart=Never --image=busybox:1.37 -- wget -q -O - -T 3 http://api:8080 </dev/null

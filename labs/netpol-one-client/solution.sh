kubectl rollout status deployment/ledger --timeout=60s
for client in billing reports marketing; do kubectl rollout status deployment/$client --timeout=60s; done
kubectl get deployments -l tier=client
kubectl exec deploy/reports -- wget -q -O - -T 3 http://ledger:8080
kubectl apply -f - <<'YAML'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: ledger-allow-billing
spec:
  podSelector:
    matchLabels: {app: ledger}
  policyTypes: [Ingress]
  ingress:
    - from:
        - podSelector:
            matchLabels: {app: billing}
      ports:
        - protocol: TCP
          port: 8080
YAML
# Within the namespace the platform's policy still admits everyone: reports gets through.
for try in 1 2 3; do
  kubectl exec deploy/reports -- wget -q -O - -T 2 http://ledger:8080
  sleep 1
done
kubectl apply -f - <<'YAML'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: clients-dns-only
spec:
  podSelector:
    matchLabels: {tier: client}
    matchExpressions:
      - {key: app, operator: NotIn, values: [billing]}
  policyTypes: [Egress]
  egress:
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
# Enforced within a second or two: wait until reports is cut off.
for try in $(seq 15); do
  kubectl exec deploy/reports -- wget -q -O - -T 2 http://ledger:8080 || break
  [ "$try" = 15 ] && exit 1
  sleep 1
done
kubectl exec deploy/billing -- wget -q -O - -T 3 http://ledger:8080
! kubectl exec deploy/marketing -- wget -q -O - -T 3 http://ledger:8080

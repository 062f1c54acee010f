kubectl create configmap app-config --from-literal=LOG_LEVEL=debug
kubectl create secret generic app-secret --from-literal=API_TOKEN=s3cr3t
kubectl create deployment app --image=nginx:1.26
kubectl patch deployment app --type=json -p='[{"op":"add","path":"/spec/template/spec/containers/0/envFrom","value":[{"configMapRef":{"name":"app-config"}}]}]'
kubectl set env deployment/app --from=secret/app-secret --keys=API_TOKEN
kubectl rollout status deployment/app --timeout=90s
kubectl exec deploy/app -- env | grep -x LOG_LEVEL=debug
kubectl exec deploy/app -- env | grep -x API_TOKEN=s3cr3t

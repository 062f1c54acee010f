kubectl version
kubectl get nodes -o wide --show-labels
kubectl create configmap findings --from-literal=nodes=$(kubectl get nodes -o name | wc -l)
VERSION=$(kubectl get nodes -l cnlab.dev/node=real -o jsonpath='{.items[0].status.nodeInfo.kubeletVersion}')
kubectl patch configmap findings --type merge -p "{\"data\":{\"kubelet-version\":\"$VERSION\"}}"
kubectl api-resources | grep -i cronjob
kubectl patch configmap findings --type merge -p '{"data":{"cronjob-api":"batch/v1"}}'
kubectl get configmap findings -o yaml

ns=$(kubectl config view --minify -o jsonpath='{..namespace}')
kubectl create serviceaccount monitor
kubectl create role pod-reader --verb=get,list,watch --resource=pods
kubectl create rolebinding monitor-reads-pods --role=pod-reader --serviceaccount="$ns:monitor"

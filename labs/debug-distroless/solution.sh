kubectl wait --for=jsonpath='{.status.phase}'=Running pod/app --timeout=60s
kubectl logs app --tail=3
! kubectl exec app -- sh -c 'ls /srv/www'
# A debug container beside the app, in its process namespace; it sleeps so we can exec into it
# (a learner would run `kubectl debug -it app --image=busybox:1.37 --target=app -- sh`).
kubectl debug app --profile=baseline --image=busybox:1.37 --target=app --container=debugger -- sleep 3600
kubectl wait --for=jsonpath='{.status.ephemeralContainerStatuses[0].state.running}' pod/app --timeout=60s 2>/dev/null || sleep 3
kubectl exec app -c debugger -- ps
kubectl exec app -c debugger -- sh -c 'tr "\0" " " < /proc/1/cmdline; echo; ls -l /proc/1/root/srv/www/'
kubectl create configmap site --from-literal=index.html='<h1>Welcome to the shop</h1>' --dry-run=client -o yaml | kubectl replace -f -
# The kubelet refreshes a ConfigMap volume on its next sync of the Pod, within about a minute.
kubectl wait --for=condition=Ready pod/app --timeout=150s
kubectl exec app -c debugger -- wget -q -O - http://localhost:8080/

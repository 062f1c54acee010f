kubectl apply -f - <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: shop
spec:
  volumes:
    - name: logs
      emptyDir: {}
  initContainers:
    - name: log-shipper
      image: busybox:1.37
      restartPolicy: Always
      command: [sh, -c, 'tail -n +1 -F /var/log/shop/access.log']
      volumeMounts:
        - name: logs
          mountPath: /var/log/shop
          readOnly: true
  containers:
    - name: app
      image: busybox:1.37
      command: [sh, -c, 'while true; do echo "$(date) GET /cart 200" >> /var/log/shop/access.log; sleep 5; done']
      volumeMounts:
        - name: logs
          mountPath: /var/log/shop
YAML
kubectl wait --for=condition=Ready pod/shop --timeout=90s
sleep 6
kubectl logs shop -c log-shipper | grep -F 'GET /cart 200'
kubectl get pod shop -o jsonpath='{.spec.initContainers[0].restartPolicy}{"\n"}'

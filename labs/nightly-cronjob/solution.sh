kubectl create cronjob backup --image=busybox:1.37 --schedule='0 2 * * *' -- sh -c 'echo backing up'
kubectl patch cronjob backup -p '{"spec":{"concurrencyPolicy":"Forbid"}}'
kubectl create job backup-now --from=cronjob/backup
kubectl wait --for=condition=complete job/backup-now --timeout=90s
kubectl logs job/backup-now | grep -F 'backing up'

{{/* Names: <release>-cnlab unless the release is already called cnlab. */}}
{{- define "cnlab.fullname" -}}
{{- if contains "cnlab" .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-cnlab" .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "cnlab.labels" -}}
app.kubernetes.io/name: cnlab
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "cnlab.serverSelector" -}}
app.kubernetes.io/name: cnlab
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: server
{{- end -}}

{{- define "cnlab.postgresqlSelector" -}}
app.kubernetes.io/name: cnlab
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: postgresql
{{- end -}}

{{- define "cnlab.image" -}}
{{- printf "%s/%s:%s" .registry .repository (toString .tag) -}}
{{- end -}}

{{/* The Secret of the cookie key and the two tokens: the user's, or the chart's. */}}
{{- define "cnlab.secretName" -}}
{{- .Values.secrets.existingSecret | default (printf "%s-secrets" (include "cnlab.fullname" .)) -}}
{{- end -}}

{{- define "cnlab.postgresqlName" -}}
{{- printf "%s-postgresql" (include "cnlab.fullname" .) -}}
{{- end -}}

{{/* A value kept from the live Secret `name` (base64, as stored), else a new random one: upgrades keep keys and passwords. */}}
{{- define "cnlab.keptRandom" -}}
{{- $secret := lookup "v1" "Secret" .namespace .name -}}
{{- $data := dig "data" (dict) ($secret | default (dict)) -}}
{{- get $data .key | default (randAlphaNum 40 | b64enc) -}}
{{- end -}}

{{/* Restricted Pod Security for a container: no root, no privilege, no capabilities, nothing written outside its volumes. */}}
{{- define "cnlab.containerSecurity" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: [ALL]
{{- end -}}

{{/* Fails the render on values that cannot work together, naming the fix. */}}
{{- define "cnlab.validate" -}}
{{- if and .Values.database.existingSecret .Values.postgresql.bundled -}}
{{- fail "database.existingSecret and postgresql.bundled are two databases: choose one" -}}
{{- end -}}
{{- if and (gt (int .Values.replicas) 1) (not (or .Values.database.existingSecret .Values.postgresql.bundled)) -}}
{{- fail "replicas > 1 need a shared PostgreSQL: set database.existingSecret or postgresql.bundled=true (SQLite is one file in one pod)" -}}
{{- end -}}
{{- if and .Values.ingress.enabled (not .Values.ingress.host) -}}
{{- fail "ingress.enabled needs ingress.host: the server answers only to the names it is told" -}}
{{- end -}}
{{- if not (has .Values.terminal.backend (list "host" "pod")) -}}
{{- fail (printf "terminal.backend is %q: choose host or pod" .Values.terminal.backend) -}}
{{- end -}}
{{- end -}}

{{- define "cnlab.publicUrl" -}}
{{- if .Values.publicUrl -}}
{{- .Values.publicUrl -}}
{{- else if .Values.ingress.enabled -}}
{{- printf "%s://%s" (ternary "https" "http" (not (empty .Values.ingress.tlsSecret))) .Values.ingress.host -}}
{{- end -}}
{{- end -}}

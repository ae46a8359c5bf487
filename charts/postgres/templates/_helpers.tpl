{{/*
Chart name, truncated to 63 characters because some Kubernetes name fields are limited to that (DNS-1123).
*/}}
{{- define "postgres.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified app name, truncated to 63 characters for the same reason. A release whose name already contains
the chart name (e.g. "postgres") is used as is, so the Service is simply "postgres".
*/}}
{{- define "postgres.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Chart name and version, for the helm.sh/chart label (never on pod templates: a chart bump must not restart pods).
*/}}
{{- define "postgres.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels of every resource.
*/}}
{{- define "postgres.labels" -}}
helm.sh/chart: {{ include "postgres.chart" . }}
{{ include "postgres.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: tributary-lakehouse
{{- end }}

{{/*
Selector labels: stable for the life of the release (selectors are immutable).
*/}}
{{- define "postgres.selectorLabels" -}}
app.kubernetes.io/name: {{ include "postgres.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
Image reference: repository[:tag][@digest]; the digest wins for pulling, the tag stays for humans.
*/}}
{{- define "postgres.image" -}}
{{- $tag := .Values.image.tag | default .Chart.AppVersion }}
{{- .Values.image.repository }}{{ with $tag }}:{{ . }}{{ end }}{{ with .Values.image.digest }}@{{ . }}{{ end }}
{{- end }}

{{/*
Name of the Secret with the passwords.
*/}}
{{- define "postgres.secretName" -}}
{{- .Values.auth.existingSecret | default (printf "%s-auth" (include "postgres.fullname" .)) }}
{{- end }}

{{/*
Checks that stop rendering with a message naming the key and the fix.
*/}}
{{- define "postgres.validateValues" -}}
{{- if and .Values.image.requireDigest (not .Values.image.digest) }}
{{- fail "image.digest is required by this environment (image.requireDigest=true): set image.digest=sha256:<digest> of the postgres image" }}
{{- end }}
{{- $seen := dict }}
{{- range .Values.databases }}
{{- if hasKey $seen .name }}
{{- fail (printf "databases: %q is listed twice; give every database a unique name" .name) }}
{{- end }}
{{- $_ := set $seen .name true }}
{{- end }}
{{- end }}

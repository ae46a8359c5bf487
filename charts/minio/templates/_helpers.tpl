{{/*
Chart name, truncated to 63 characters because some Kubernetes name fields are limited to that (DNS-1123).
*/}}
{{- define "minio.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified app name, truncated to 63 characters for the same reason. A release whose name already contains
the chart name (e.g. "minio") is used as is, so the Service is simply "minio".
*/}}
{{- define "minio.fullname" -}}
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
{{- define "minio.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels of every resource.
*/}}
{{- define "minio.labels" -}}
helm.sh/chart: {{ include "minio.chart" . }}
{{ include "minio.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: tributary-lakehouse
{{- end }}

{{/*
Selector labels: stable for the life of the release (selectors are immutable).
*/}}
{{- define "minio.selectorLabels" -}}
app.kubernetes.io/name: {{ include "minio.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
Image reference: repository[:tag][@digest]; the digest wins for pulling, the tag stays for humans.
*/}}
{{- define "minio.image" -}}
{{- $tag := .Values.image.tag | default .Chart.AppVersion }}
{{- .Values.image.repository }}{{ with $tag }}:{{ . }}{{ end }}{{ with .Values.image.digest }}@{{ . }}{{ end }}
{{- end }}

{{/*
Image reference of the MinIO client (bucket Job).
*/}}
{{- define "minio.mcImage" -}}
{{- .Values.mcImage.repository }}{{ with .Values.mcImage.tag }}:{{ . }}{{ end }}{{ with .Values.mcImage.digest }}@{{ . }}{{ end }}
{{- end }}

{{/*
Name of the Secret with the root credentials.
*/}}
{{- define "minio.rootSecretName" -}}
{{- .Values.auth.existingSecret | default (printf "%s-root" (include "minio.fullname" .)) }}
{{- end }}

{{/*
Checks that stop rendering with a message naming the key and the fix.
*/}}
{{- define "minio.validateValues" -}}
{{- if and .Values.image.requireDigest (not .Values.image.digest) }}
{{- fail "image.digest is required by this environment (image.requireDigest=true): set image.digest=sha256:<digest> of the MinIO image" }}
{{- end }}
{{- if and .Values.image.requireDigest (not .Values.mcImage.digest) }}
{{- fail "mcImage.digest is required by this environment (image.requireDigest=true): set mcImage.digest=sha256:<digest> of the mc image" }}
{{- end }}
{{- if and .Values.lakeUser.enabled (not .Values.lakeUser.buckets) }}
{{- fail "lakeUser.buckets is empty: list the buckets the lake user may use (e.g. the names in buckets)" }}
{{- end }}
{{- range .Values.lakeUser.buckets }}
{{- if not (has . $.Values.buckets) }}
{{- fail (printf "lakeUser.buckets names %q, which is not in buckets: add it to buckets or remove it" .) }}
{{- end }}
{{- end }}
{{- end }}

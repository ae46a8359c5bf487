{{/*
Chart name, truncated to 63 characters because some Kubernetes name fields are limited to that (DNS-1123).
This chart has no resources of its own: it only groups the four data charts into one release.
*/}}
{{- define "lakehouse.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Chart name and version, for the helm.sh/chart label.
*/}}
{{- define "lakehouse.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels (kept for symmetry with the other charts and for anything added here later).
*/}}
{{- define "lakehouse.labels" -}}
helm.sh/chart: {{ include "lakehouse.chart" . }}
app.kubernetes.io/name: {{ include "lakehouse.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

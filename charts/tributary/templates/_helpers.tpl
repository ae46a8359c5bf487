{{/*
Chart name, truncated to 63 characters because some Kubernetes name fields are limited to that (DNS-1123).
The pipeline's resource names themselves are fixed (tributary-workflow, tributary-config, and the Argo
templates' own names) because the rendered WorkflowTemplate refers to them.
*/}}
{{- define "tributary.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Chart name and version, for the helm.sh/chart label.
*/}}
{{- define "tributary.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels of every resource.
*/}}
{{- define "tributary.labels" -}}
helm.sh/chart: {{ include "tributary.chart" . }}
{{ include "tributary.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: tributary
{{- end }}

{{/*
Selector labels.
*/}}
{{- define "tributary.selectorLabels" -}}
app.kubernetes.io/name: {{ include "tributary.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
Folder of the rendered Argo manifests for the selected environment.
*/}}
{{- define "tributary.workflowsDir" -}}
{{- printf "files/%s" .Values.environment }}
{{- end }}

{{/*
A rendered Argo manifest, verbatim: .Files.Get and no tpl, so Argo's {{...}} expressions reach the cluster
untouched. Fails with the command that writes the file when it is missing.
Call with (list $ "workflowtemplate.yaml").
*/}}
{{- define "tributary.renderedFile" -}}
{{- $ := index . 0 }}
{{- $path := printf "%s/%s" (include "tributary.workflowsDir" $) (index . 1) }}
{{- $body := $.Files.Get $path }}
{{- if not (trim $body) }}
{{- fail (printf "charts/tributary/%s is missing: run `tributary render --env %s --out charts/tributary/%s/` and commit the result" $path $.Values.environment (include "tributary.workflowsDir" $)) }}
{{- end }}
{{- $body }}
{{- end }}

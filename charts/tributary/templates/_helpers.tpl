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
The pipeline's stages, each with its image tributary-<stage> and its override images.<stage>.
*/}}
{{- define "tributary.stages" -}}
verify freshness ingest validate dbt summary
{{- end }}

{{/*
RE2 pattern of the `image:` lines (multi-line mode) whose value names the image of one stage: an optional
registry/path, tributary-<stage>, an optional tag and digest, optionally quoted. Group 1 keeps the indentation
and the key. Call with the stage name.
*/}}
{{- define "tributary.stageImageLine" -}}
{{- printf `(?m)^([ \t]*(?:- )?image:[ \t]*)["']?(?:[^\s"'@]+/)?tributary-%s(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?["']?[ \t]*$` . }}
{{- end }}

{{/*
A rendered Argo manifest, verbatim: .Files.Get and no tpl, so Argo's {{...}} expressions reach the cluster
untouched. The only change: the image lines of a stage whose images.<stage> is set get that reference instead
(skaffold sets them to the images it built; empty keeps the rendered reference). Fails with the command that
writes the file when it is missing. Call with (list $ "workflowtemplate.yaml").
*/}}
{{- define "tributary.renderedFile" -}}
{{- $ := index . 0 }}
{{- $path := printf "%s/%s" (include "tributary.workflowsDir" $) (index . 1) }}
{{- $body := $.Files.Get $path }}
{{- if not (trim $body) }}
{{- fail (printf "charts/tributary/%s is missing: run `tributary render --env %s --out charts/tributary/%s/` and commit the result" $path $.Values.environment (include "tributary.workflowsDir" $)) }}
{{- end }}
{{- range $stage := splitList " " (include "tributary.stages" $) }}
{{- with index ($.Values.images | default dict) $stage }}
{{- $body = regexReplaceAll (include "tributary.stageImageLine" $stage) $body (printf "${1}%s" (quote .)) }}
{{- end }}
{{- end }}
{{- $body }}
{{- end }}

{{/*
Fails when images.<stage> is set but the rendered WorkflowTemplate has no image line for that stage: the
override would silently do nothing (a renamed image, or a file rendered from another workflow).
*/}}
{{- define "tributary.checkStageImages" -}}
{{- $path := printf "%s/workflowtemplate.yaml" (include "tributary.workflowsDir" .) }}
{{- $body := .Files.Get $path }}
{{- range $stage := splitList " " (include "tributary.stages" $) }}
{{- if and (index ($.Values.images | default dict) $stage) (not (regexMatch (include "tributary.stageImageLine" $stage) $body)) }}
{{- fail (printf "images.%s is set, but charts/tributary/%s has no `image:` line naming tributary-%s: render it again (tributary render --env %s) or unset images.%s" $stage $path $stage $.Values.environment $stage) }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Chart name, truncated to 63 characters because some Kubernetes name fields are limited to that (DNS-1123).
*/}}
{{- define "trino.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified app name, truncated to 63 characters for the same reason. A release whose name already contains
the chart name (e.g. "trino") is used as is, so the Service is simply "postgres".
*/}}
{{- define "trino.fullname" -}}
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
{{- define "trino.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels of every resource.
*/}}
{{- define "trino.labels" -}}
helm.sh/chart: {{ include "trino.chart" . }}
{{ include "trino.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: tributary-lakehouse
{{- end }}

{{/*
Selector labels: stable for the life of the release (selectors are immutable).
*/}}
{{- define "trino.selectorLabels" -}}
app.kubernetes.io/name: {{ include "trino.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
Image reference: repository[:tag][@digest]; the digest wins for pulling, the tag stays for humans.
*/}}
{{- define "trino.image" -}}
{{- $tag := .Values.image.tag | default .Chart.AppVersion }}
{{- .Values.image.repository }}{{ with $tag }}:{{ . }}{{ end }}{{ with .Values.image.digest }}@{{ . }}{{ end }}
{{- end }}

{{/*
Name of the coordinator (also of the Service the pipeline connects to: the release fullname).
*/}}
{{- define "trino.coordinator" -}}
{{- include "trino.fullname" . }}
{{- end }}

{{/*
Name of the workers.
*/}}
{{- define "trino.worker" -}}
{{- printf "%s-worker" (include "trino.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
S3 properties shared by both catalogs. Keys are references (${ENV:...}) resolved by Trino from the
environment, which envFrom fills from the Secret: the ConfigMap holds no secret.
*/}}
{{- define "trino.s3Properties" -}}
fs.native-s3.enabled=true
s3.endpoint={{ .Values.s3.endpoint }}
s3.region={{ .Values.s3.region }}
s3.path-style-access={{ .Values.s3.pathStyleAccess }}
s3.aws-access-key=${ENV:AWS_ACCESS_KEY_ID}
s3.aws-secret-key=${ENV:AWS_SECRET_ACCESS_KEY}
{{- end }}

{{/*
Checks that stop rendering with a message naming the key and the fix.
*/}}
{{- define "trino.validateValues" -}}
{{- if and .Values.image.requireDigest (not .Values.image.digest) }}
{{- fail "image.digest is required by this environment (image.requireDigest=true): set image.digest=sha256:<digest> of trinodb/trino" }}
{{- end }}
{{- with .Values.worker.gracefulShutdown }}
{{- if and .enabled (lt (int $.Values.worker.terminationGracePeriodSeconds) (mul 2 (int .gracePeriodSeconds))) }}
{{- fail (printf "worker.terminationGracePeriodSeconds (%d) must be at least 2x worker.gracefulShutdown.gracePeriodSeconds (%d)" (int $.Values.worker.terminationGracePeriodSeconds) (int .gracePeriodSeconds)) }}
{{- end }}
{{- end }}
{{- range $role := list "coordinator" "worker" }}
{{- $cfg := index $.Values $role }}
{{- $heap := include "trino.mebibytes" (dict "size" $cfg.jvm.maxHeapSize "jvm" true) | float64 }}
{{- $limit := include "trino.mebibytes" (dict "size" $cfg.resources.limits.memory "jvm" false) | float64 }}
{{- if or (gt $heap (mulf $limit 0.7)) (lt (subf $limit $heap) 768.0) }}
{{- fail (printf "%s.jvm.maxHeapSize (%s) does not fit %s.resources.limits.memory (%v): the JVM needs memory beside the heap (code cache up to 512M, metaspace for the plugins, thread stacks, direct buffers), so keep the heap at most 70%% of the limit and at least 768Mi below it, e.g. a limit of %.0fMi for this heap (requests.memory likewise)" $role (toString $cfg.jvm.maxHeapSize) $role $cfg.resources.limits.memory (ceil (maxf (divf $heap 0.7) (addf $heap 768.0)))) }}
{{- end }}
{{- end }}
{{- if not .Values.catalogs.iceberg.enabled }}
{{- fail "catalogs.iceberg.enabled=false: the dbt trino target builds silver and gold in the iceberg catalog; keep it enabled" }}
{{- end }}
{{- end }}

{{/*
Mebibytes in a memory size. Call with (dict "size" "1792Mi" "jvm" false) for a Kubernetes quantity (Ki/Mi/Gi/Ti
binary, k/M/G/T decimal, or plain bytes) or (dict "size" "2G" "jvm" true) for a JVM size, where K/M/G/T are binary.
*/}}
{{- define "trino.mebibytes" -}}
{{- $size := toString .size }}
{{- $number := regexFind "^[0-9]+(\\.[0-9]+)?" $size }}
{{- $unit := trimPrefix $number $size }}
{{- $binary := dict "Ki" (divf 1 1024) "Mi" 1.0 "Gi" 1024.0 "Ti" 1048576.0 }}
{{- $decimal := dict "k" (divf 1000 1048576) "M" (divf 1000000 1048576) "G" (divf 1000000000 1048576) "T" (divf 1000000000000 1048576) }}
{{- if .jvm }}
{{- $decimal = dict "k" (divf 1 1024) "K" (divf 1 1024) "m" 1.0 "M" 1.0 "g" 1024.0 "G" 1024.0 "t" 1048576.0 "T" 1048576.0 }}
{{- end }}
{{- if not $number }}
{{- fail (printf "%q is not a memory size" $size) }}
{{- else if eq $unit "" }}
{{- divf (float64 $number) 1048576 }}
{{- else if hasKey $binary $unit }}
{{- mulf (float64 $number) (get $binary $unit) }}
{{- else if hasKey $decimal $unit }}
{{- mulf (float64 $number) (get $decimal $unit) }}
{{- else }}
{{- fail (printf "%q: unknown memory unit %q" $size $unit) }}
{{- end }}
{{- end }}

{{/*
checkov suppressions for both Deployments, with the reason (also listed in README.md).
*/}}
{{- define "trino.checkovSkips" -}}
checkov.io/skip1: CKV_K8S_40=trinodb/trino runs as its built-in user (uid 1000, owner of /usr/lib/trino); runAsNonRoot is still enforced
checkov.io/skip2: CKV_K8S_35=Trino reads secrets in catalog files only as ${ENV:...}, so the S3 keys arrive as environment variables from the Secret (envFrom)
{{- end }}

{{/*
Pod spec of a Trino node. Call with (dict "ctx" $ "role" "coordinator"|"worker").
*/}}
{{- define "trino.podSpec" -}}
{{- $ := .ctx }}
{{- $role := .role }}
{{- $cfg := index $.Values $role }}
automountServiceAccountToken: false
{{- with $.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml $.Values.podSecurityContext | nindent 2 }}
{{- if eq $role "worker" }}
terminationGracePeriodSeconds: {{ $.Values.worker.terminationGracePeriodSeconds }}
{{- end }}
containers:
  - name: trino-{{ $role }}
    image: {{ include "trino.image" $ | quote }}
    imagePullPolicy: {{ $.Values.image.pullPolicy }}
    envFrom:
      - secretRef:
          name: {{ $.Values.s3.existingSecret }}
    ports:
      - name: http
        containerPort: {{ $.Values.service.port }}
        protocol: TCP
    startupProbe:
      exec:
        command: [/usr/lib/trino/bin/health-check]
      periodSeconds: 5
      timeoutSeconds: 5
      failureThreshold: 60
    livenessProbe:
      httpGet:
        path: /v1/info
        port: http
      periodSeconds: 10
      timeoutSeconds: 5
      failureThreshold: 6
    readinessProbe:
      exec:
        command: [/usr/lib/trino/bin/health-check]
      periodSeconds: 10
      timeoutSeconds: 5
      failureThreshold: 6
    {{- if and (eq $role "worker") $.Values.worker.gracefulShutdown.enabled }}
    lifecycle:
      preStop:
        exec:
          # Ask Trino to finish running tasks, then exit (shutdown.grace-period); see README "Graceful shutdown".
          command: ["/bin/sh", "-c", "curl -fsS -X PUT -d '\"SHUTTING_DOWN\"' -H 'Content-type: application/json' -H 'X-Trino-User: admin' http://localhost:{{ $.Values.service.port }}/v1/info/state && sleep {{ $.Values.worker.gracefulShutdown.gracePeriodSeconds }}"]
    {{- end }}
    resources:
      {{- toYaml $cfg.resources | nindent 6 }}
    securityContext:
      {{- toYaml $.Values.containerSecurityContext | nindent 6 }}
    volumeMounts:
      - name: config
        mountPath: /etc/trino
        readOnly: true
      - name: catalogs
        mountPath: /etc/trino/catalog
        readOnly: true
      - name: data
        mountPath: /data/trino
      - name: tmp
        mountPath: /tmp
volumes:
  - name: config
    configMap:
      name: {{ include (printf "trino.%s" $role) $ }}
  - name: catalogs
    configMap:
      name: {{ include "trino.fullname" $ }}-catalogs
  - name: data
    emptyDir: {}
  - name: tmp
    emptyDir: {}
{{- with $.Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $.Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $.Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/*
config.properties, jvm.config, node.properties and log.properties of a Trino node.
Call with (dict "ctx" $ "role" "coordinator"|"worker").
*/}}
{{- define "trino.configFiles" -}}
{{- $ := .ctx }}
{{- $role := .role }}
{{- $cfg := index $.Values $role }}
node.properties: |
  node.environment={{ $.Values.server.nodeEnvironment }}
  node.data-dir=/data/trino
  plugin.dir=/usr/lib/trino/plugin
jvm.config: |
  -server
  -agentpath:/usr/lib/trino/bin/libjvmkill.so
  -Xmx{{ $cfg.jvm.maxHeapSize }}
  -XX:+UseG1GC
  -XX:G1HeapRegionSize=32M
  -XX:+ExplicitGCInvokesConcurrent
  -XX:+HeapDumpOnOutOfMemoryError
  -XX:HeapDumpPath=/data/trino
  -XX:+ExitOnOutOfMemoryError
  -XX:-OmitStackTraceInFastThrow
  -XX:ReservedCodeCacheSize=512M
  -XX:PerMethodRecompilationCutoff=10000
  -XX:PerBytecodeRecompilationCutoff=10000
  -Djdk.attach.allowAttachSelf=true
  -Djdk.nio.maxCachedBufferSize=2000000
  -Djava.io.tmpdir=/tmp
  -XX:+EnableDynamicAgentLoading
  -XX:+UnlockDiagnosticVMOptions
  -XX:G1NumCollectionsKeepPinned=10000000
config.properties: |
  {{- if eq $role "coordinator" }}
  coordinator=true
  node-scheduler.include-coordinator=false
  discovery.uri=http://localhost:{{ $.Values.service.port }}
  {{- else }}
  coordinator=false
  discovery.uri=http://{{ include "trino.coordinator" $ }}:{{ $.Values.service.port }}
  {{- if $.Values.worker.gracefulShutdown.enabled }}
  shutdown.grace-period={{ $.Values.worker.gracefulShutdown.gracePeriodSeconds }}s
  {{- end }}
  {{- end }}
  http-server.http.port={{ $.Values.service.port }}
  query.max-memory={{ $.Values.server.maxQueryMemory }}
  query.max-memory-per-node={{ $cfg.maxMemoryPerNode }}
  {{- with (ternary $.Values.server.coordinatorExtraConfig $.Values.server.workerExtraConfig (eq $role "coordinator")) }}
  {{- . | nindent 2 }}
  {{- end }}
log.properties: |
  {{- $.Values.server.logProperties | trim | nindent 2 }}
{{- end }}

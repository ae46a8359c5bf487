{{/*
Chart name, truncated to 63 characters because some Kubernetes name fields are limited to that (DNS-1123).
*/}}
{{- define "hive-metastore.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified app name, truncated to 63 characters for the same reason. A release whose name already contains
the chart name (e.g. "hive-metastore") is used as is, so the Service is simply "postgres".
*/}}
{{- define "hive-metastore.fullname" -}}
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
{{- define "hive-metastore.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels of every resource.
*/}}
{{- define "hive-metastore.labels" -}}
helm.sh/chart: {{ include "hive-metastore.chart" . }}
{{ include "hive-metastore.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: tributary-lakehouse
{{- end }}

{{/*
Selector labels: stable for the life of the release (selectors are immutable).
*/}}
{{- define "hive-metastore.selectorLabels" -}}
app.kubernetes.io/name: {{ include "hive-metastore.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
Image reference: repository[:tag][@digest]; the digest wins for pulling, the tag stays for humans.
*/}}
{{- define "hive-metastore.image" -}}
{{- $tag := .Values.image.tag | default .Chart.AppVersion }}
{{- .Values.image.repository }}{{ with $tag }}:{{ . }}{{ end }}{{ with .Values.image.digest }}@{{ . }}{{ end }}
{{- end }}

{{/*
Hadoop-style XML <property> entries from a map, sorted by name, values XML-escaped.
*/}}
{{- define "hive-metastore.xmlProperties" -}}
{{- range $name, $value := . }}
<property>
  <name>{{ $name }}</name>
  <value>{{ toString $value | replace "&" "&amp;" | replace "<" "&lt;" | replace ">" "&gt;" }}</value>
</property>
{{- end }}
{{- end }}

{{/*
S3A settings shared by core-site.xml and metastore-site.xml. Credentials are never here: S3A reads them from
the AWS_* variables the entrypoint script sets from the mounted Secret.
*/}}
{{- define "hive-metastore.s3aProperties" -}}
{{- $props := dict
  "fs.s3a.endpoint" .Values.s3.endpoint
  "fs.s3a.endpoint.region" .Values.s3.region
  "fs.s3a.path.style.access" (toString .Values.s3.pathStyleAccess)
  "fs.s3a.connection.ssl.enabled" (toString (hasPrefix "https://" .Values.s3.endpoint))
  "fs.s3a.aws.credentials.provider" "software.amazon.awssdk.auth.credentials.EnvironmentVariableCredentialsProvider"
  "fs.s3a.impl" "org.apache.hadoop.fs.s3a.S3AFileSystem"
  "fs.s3.impl" "org.apache.hadoop.fs.s3a.S3AFileSystem"
  "fs.s3a.buffer.dir" "/tmp/s3a"
  "hadoop.tmp.dir" "/tmp/hadoop"
}}
{{- toYaml $props }}
{{- end }}

{{/*
Checks that stop rendering with a message naming the key and the fix.
*/}}
{{- define "hive-metastore.validateValues" -}}
{{- if and .Values.image.requireDigest (not .Values.image.digest) }}
{{- fail "image.digest is required by this environment (image.requireDigest=true): pass the digest CI built, e.g. --set image.digest=sha256:<digest>" }}
{{- end }}
{{- if eq .Values.warehouse.managedDir .Values.warehouse.externalDir }}
{{- fail "warehouse.managedDir and warehouse.externalDir must differ: Hive 4 refuses external (Iceberg) tables under the managed root" }}
{{- end }}
{{- if not (or (hasPrefix "http://" .Values.s3.endpoint) (hasPrefix "https://" .Values.s3.endpoint)) }}
{{- fail (printf "s3.endpoint %q must start with http:// or https://" .Values.s3.endpoint) }}
{{- end }}
{{- end }}

{{/*
Environment of every container: where PostgreSQL is (for the wait loops) and the JVM options. The metastore's
log4j2 configuration (in the image) reads the three hive.* properties and logs to stdout.
*/}}
{{- define "hive-metastore.env" -}}
- name: DB_HOST
  value: {{ .Values.postgres.host | quote }}
- name: DB_PORT
  value: {{ .Values.postgres.port | quote }}
- name: HADOOP_CLIENT_OPTS
  value: "-Xmx{{ .Values.jvm.maxHeapSize }} -Djava.io.tmpdir=/tmp -Dhive.log.level=INFO -Dhive.root.logger=stdout -Dhive.perflogger.log.level=INFO"
- name: HADOOP_LOG_DIR
  value: /tmp/hadoop-logs
{{- end }}

{{/*
Volume mounts of every container: configuration files over the image's defaults (the image's log4j2 file
stays), the entrypoint script, the two Secrets as files, and /tmp.
*/}}
{{- define "hive-metastore.volumeMounts" -}}
- name: config
  mountPath: /opt/hive/conf/metastore-site.xml
  subPath: metastore-site.xml
  readOnly: true
- name: config
  mountPath: /opt/hive/conf/core-site.xml
  subPath: core-site.xml
  readOnly: true
- name: config
  mountPath: /opt/tributary/metastore.sh
  subPath: metastore.sh
  readOnly: true
- name: db-password
  mountPath: /run/secrets/metastore-db
  readOnly: true
- name: s3-keys
  mountPath: /run/secrets/s3
  readOnly: true
- name: tmp
  mountPath: /tmp
{{- end }}

{{/*
Volumes behind those mounts.
*/}}
{{- define "hive-metastore.volumes" -}}
- name: config
  configMap:
    name: {{ include "hive-metastore.fullname" . }}
    defaultMode: 0555
- name: db-password
  secret:
    secretName: {{ .Values.postgres.existingSecret }}
    defaultMode: 0440
    items:
      - key: {{ .Values.postgres.passwordKey }}
        path: password
- name: s3-keys
  secret:
    secretName: {{ .Values.s3.existingSecret }}
    defaultMode: 0440
    items:
      - key: {{ .Values.s3.accessKeyKey }}
        path: access-key
      - key: {{ .Values.s3.secretKeyKey }}
        path: secret-key
- name: tmp
  emptyDir: {}
{{- end }}

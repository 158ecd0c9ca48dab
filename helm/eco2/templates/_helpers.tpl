{{/* Chart name, overridable. */}}
{{- define "eco2.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Release-qualified name; components append "-<component>". */}}
{{- define "eco2.fullname" -}}
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

{{- define "eco2.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Common labels. */}}
{{- define "eco2.labels" -}}
helm.sh/chart: {{ include "eco2.chart" . }}
app.kubernetes.io/name: {{ include "eco2.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: eco2
{{- end }}

{{/* Selector labels of one component: (dict "ctx" $ "component" "gateway"). */}}
{{- define "eco2.selectorLabels" -}}
app.kubernetes.io/name: {{ include "eco2.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* Labels of one component's objects: (dict "ctx" $ "component" "gateway"). */}}
{{- define "eco2.componentLabels" -}}
{{ include "eco2.labels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "eco2.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}

{{- define "eco2.configMapName" -}}
{{- include "eco2.fullname" . }}
{{- end }}

{{- define "eco2.secretName" -}}
{{- .Values.existingSecret | default (include "eco2.fullname" .) }}
{{- end }}

{{/* True when a value is set (not null, not an empty string). */}}
{{- define "eco2.isSet" -}}
{{- if and (not (kindIs "invalid" .)) (ne (toString .) "") }}true{{ end }}
{{- end }}

{{- define "eco2.httpPort" -}}
{{- .Values.config.ECO2_HTTP_PORT | default "8000" | int }}
{{- end }}

{{- define "eco2.metricsPort" -}}
{{- .Values.config.ECO2_METRICS_PORT | default "9100" | int }}
{{- end }}

{{/* Refuse values the processes would misbehave with. */}}
{{- define "eco2.validate" -}}
{{- $grace := .Values.config.ECO2_SHUTDOWN_GRACE | default "10" | float64 }}
{{- $preStop := .Values.gateway.preStopSleepSeconds | default 0 | float64 }}
{{- if le (float64 .Values.terminationGracePeriodSeconds) (addf $grace $preStop) }}
{{- fail (printf "terminationGracePeriodSeconds (%v) must exceed ECO2_SHUTDOWN_GRACE (%v) plus gateway.preStopSleepSeconds (%v)" .Values.terminationGracePeriodSeconds $grace $preStop) }}
{{- end }}
{{- $names := list }}
{{- range (concat .Values.consumers .Values.workers) }}
{{- if has .name $names }}
{{- fail (printf "component %q is listed twice in consumers/workers" .name) }}
{{- end }}
{{- if eq .name "gateway" }}
{{- fail "gateway is not a consumer or worker; configure it under `gateway`" }}
{{- end }}
{{- $names = append $names .name }}
{{- end }}
{{- end }}

{{/* Whether any journaled worker is enabled. */}}
{{- define "eco2.anyWorker" -}}
{{- range .Values.workers }}{{ if .enabled }}true{{ end }}{{ end }}
{{- end }}

{{/* Checksums that roll the pods when their settings change. */}}
{{- define "eco2.podAnnotations" -}}
checksum/config: {{ include (print .Template.BasePath "/configmap.yaml") . | sha256sum }}
{{- if not .Values.existingSecret }}
checksum/secret: {{ include (print .Template.BasePath "/secret.yaml") . | sha256sum }}
{{- end }}
{{- with .Values.podAnnotations }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Pod-level fields shared by every workload. */}}
{{- define "eco2.podSpec" -}}
automountServiceAccountToken: false
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* Container fields shared by every eco2 container. */}}
{{- define "eco2.container" -}}
image: {{ include "eco2.image" . | quote }}
imagePullPolicy: {{ .Values.image.pullPolicy }}
securityContext:
  {{- toYaml .Values.securityContext | nindent 2 }}
envFrom:
  - configMapRef:
      name: {{ include "eco2.configMapName" . }}
  - secretRef:
      name: {{ include "eco2.secretName" . }}
{{- end }}

{{/* The ConfigMap's data: the set `config` values. */}}
{{- define "eco2.configData" -}}
{{- range $key, $value := .Values.config }}
{{- if include "eco2.isSet" $value }}
{{ $key }}: {{ toString $value | quote }}
{{- end }}
{{- end }}
{{- end }}

{{/* The Secret's data: the set `secrets` values, base64-encoded. */}}
{{- define "eco2.secretData" -}}
{{- range $key, $value := .Values.secrets }}
{{- if include "eco2.isSet" $value }}
{{ $key }}: {{ toString $value | b64enc | quote }}
{{- end }}
{{- end }}
{{- end }}

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

{{- define "eco2.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- .Values.serviceAccount.name | default (include "eco2.fullname" .) }}
{{- else }}
{{- .Values.serviceAccount.name | default "default" }}
{{- end }}
{{- end }}

{{/* The claim of the shared local object store. */}}
{{- define "eco2.objectsClaim" -}}
{{- .Values.objects.existingClaim | default (printf "%s-objects" (include "eco2.fullname" .)) }}
{{- end }}

{{/* Whether the object store is a local directory (the shared `objects` volume). */}}
{{- define "eco2.localObjects" -}}
{{- if not (hasPrefix "s3://" (toString (.Values.config.ECO2_OBJECT_STORE_URL | default ""))) }}true{{ end }}
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
{{- if not .Values.existingSecret }}
{{- $jwt := toString (.Values.secrets.ECO2_JWT_SECRET | default "") }}
{{- if lt (len $jwt) 32 }}
{{- fail "secrets.ECO2_JWT_SECRET is required: at least 32 characters, the same for every gateway and accounts pod (e.g. `openssl rand -hex 32`), or name a Secret holding it in existingSecret" }}
{{- end }}
{{- end }}
{{- if include "eco2.localObjects" . }}
{{- if not .Values.objects.enabled }}
{{- fail "the object store is a local directory (config.ECO2_OBJECT_STORE_URL) but objects.enabled is false: the gateway and the workers would each see their own photos. Enable the shared `objects` volume or use s3://" }}
{{- end }}
{{- if and (not .Values.objects.existingClaim) (not (has "ReadWriteMany" .Values.objects.accessModes)) }}
{{- fail (printf "objects.accessModes %v: the local object store is one claim mounted by the gateway and worker pods on any node, so it must be ReadWriteMany (or set objects.existingClaim, or use s3://)" .Values.objects.accessModes) }}
{{- end }}
{{- if not (hasPrefix "/var/lib/eco2/objects" (toString .Values.config.ECO2_OBJECT_STORE_URL)) }}
{{- fail (printf "config.ECO2_OBJECT_STORE_URL %q is not on the shared `objects` volume (/var/lib/eco2/objects)" (toString .Values.config.ECO2_OBJECT_STORE_URL)) }}
{{- end }}
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
serviceAccountName: {{ include "eco2.serviceAccountName" . }}
{{ include "eco2.hookPodSpec" . }}
{{- end }}

{{/* The same, for a hook's pod: it runs before the release's ServiceAccount exists. */}}
{{- define "eco2.hookPodSpec" -}}
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

{{/* The consumers' and workers' probes on their `metrics` port (none when it is off). */}}
{{- define "eco2.componentProbes" -}}
{{- if ne (include "eco2.metricsPort" .) "0" }}
{{- with .Values.componentProbes.startupProbe }}
startupProbe:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.componentProbes.livenessProbe }}
livenessProbe:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.componentProbes.readinessProbe }}
readinessProbe:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}
{{- end }}

{{/* A PodDisruptionBudget for a component with more than one replica:
(dict "ctx" $ "component" name "replicas" n). */}}
{{- define "eco2.componentPdb" -}}
{{- if gt (int .replicas) 1 }}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "eco2.fullname" .ctx }}-{{ .component }}
  labels:
    {{- include "eco2.componentLabels" . | nindent 4 }}
spec:
  maxUnavailable: {{ .ctx.Values.podDisruptionBudget.maxUnavailable }}
  selector:
    matchLabels:
      {{- include "eco2.selectorLabels" . | nindent 6 }}
{{- end }}
{{- end }}

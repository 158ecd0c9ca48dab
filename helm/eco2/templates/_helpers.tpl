{{- define "eco2.fullname" -}}{{ printf "%s-eco2" .Release.Name | trunc 63 | trimSuffix "-" }}{{- end -}}
{{- define "eco2.labels" -}}
app.kubernetes.io/name: eco2
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end -}}
{{- define "eco2.secretName" -}}{{ .Values.existingSecret | default (include "eco2.fullname" .) }}{{- end -}}
{{- define "eco2.env" -}}
envFrom:
  - configMapRef: {name: {{ include "eco2.fullname" . }}}
  - secretRef: {name: {{ include "eco2.secretName" . }}}
{{- end -}}
{{- define "eco2.container" -}}
image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
imagePullPolicy: {{ .Values.image.pullPolicy }}
securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
{{- end -}}

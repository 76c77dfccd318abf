{{/* Names and labels. */}}
{{- define "zgw-runtime.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "zgw-runtime.fullname" -}}
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

{{/* A component's object name, kept within 63 characters. */}}
{{- define "zgw-runtime.componentName" -}}
{{- printf "%s-%s" (include "zgw-runtime.fullname" .root | trunc (int (sub 62 (len .component)))) .component | replace "--" "-" }}
{{- end }}

{{- define "zgw-runtime.selectorLabels" -}}
app.kubernetes.io/name: {{ include "zgw-runtime.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "zgw-runtime.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "zgw-runtime.selectorLabels" . }}
app.kubernetes.io/version: {{ include "zgw-runtime.imageTag" . | trunc 63 | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: zgw-cloud
zgw-cloud.nl/tier: {{ .Values.tier }}
{{- if eq .Values.tier "dedicated" }}
zgw-cloud.nl/tenant: {{ .Values.tenant.slug }}
{{- else }}
zgw-cloud.nl/pool: {{ .Values.pool }}
{{- end }}
{{- end }}

{{/* Labels of one component (api, worker, beat, migrations); call with (dict "root" $ "component" "api"). */}}
{{- define "zgw-runtime.componentLabels" -}}
{{ include "zgw-runtime.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "zgw-runtime.componentSelectorLabels" -}}
{{ include "zgw-runtime.selectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "zgw-runtime.imageTag" -}}
{{- .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{- define "zgw-runtime.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (include "zgw-runtime.imageTag" .) }}
{{- end }}
{{- end }}

{{- define "zgw-runtime.secretName" -}}
{{- .Values.existingSecret | default (include "zgw-runtime.fullname" .) }}
{{- end }}

{{/* Checks on combinations the schema cannot express; rendered (as nothing) by every manifest. */}}
{{- define "zgw-runtime.validate" -}}
{{- if and (eq .Values.tier "dedicated") (not .Values.tenant.slug) }}
{{- fail "tier=dedicated needs tenant.slug (the tenant this release serves, ZGW_RUNTIME_PINNED_TENANT)" }}
{{- end }}
{{- if and (eq .Values.tier "shared") .Values.tenant.slug }}
{{- fail "tenant.slug pins one tenant: use tier=dedicated, or leave it empty in the shared tier" }}
{{- end }}
{{- if and .Values.ingress.enabled (not .Values.ingress.hosts) }}
{{- fail "ingress.enabled needs at least one entry in ingress.hosts" }}
{{- end }}
{{- if .Values.autoscaling.enabled }}
{{- if gt (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas) }}
{{- fail "autoscaling.minReplicas must not exceed autoscaling.maxReplicas" }}
{{- end }}
{{- if and (not .Values.autoscaling.targetCPUUtilizationPercentage) (not .Values.autoscaling.targetMemoryUtilizationPercentage) }}
{{- fail "autoscaling needs a CPU or memory utilization target" }}
{{- end }}
{{- end }}
{{- if .Values.podDisruptionBudget.enabled }}
{{- $pdb := .Values.podDisruptionBudget }}
{{- if eq (kindIs "invalid" $pdb.minAvailable) (kindIs "invalid" $pdb.maxUnavailable) }}
{{- fail "podDisruptionBudget: set exactly one of maxUnavailable and minAvailable" }}
{{- end }}
{{- $replicas := ternary .Values.autoscaling.minReplicas .Values.api.replicas .Values.autoscaling.enabled | int }}
{{- if and (or (kindIs "int64" $pdb.minAvailable) (kindIs "float64" $pdb.minAvailable)) (ge (int $pdb.minAvailable) $replicas) }}
{{- fail (printf "podDisruptionBudget.minAvailable=%v with %d replicas would block every node drain" $pdb.minAvailable $replicas) }}
{{- end }}
{{- if and (not (kindIs "invalid" $pdb.maxUnavailable)) (eq (toString $pdb.maxUnavailable) "0") }}
{{- fail "podDisruptionBudget.maxUnavailable=0 would block every node drain" }}
{{- end }}
{{- end }}
{{- end }}

{{/* ZGW_RUNTIME_* environment of every container. */}}
{{- define "zgw-runtime.env" -}}
- name: ZGW_RUNTIME_ENVIRONMENT
  value: {{ .Values.config.environment | quote }}
- name: ZGW_RUNTIME_LOG_LEVEL
  value: {{ .Values.config.logLevel | quote }}
- name: ZGW_RUNTIME_LOG_JSON
  value: {{ .Values.config.logJson | quote }}
- name: ZGW_RUNTIME_DATA_DIR
  value: /tmp/zgw-runtime
- name: ZGW_RUNTIME_FORWARDED_ALLOW_IPS
  value: {{ .Values.api.forwardedAllowIps | quote }}
{{- if eq .Values.tier "dedicated" }}
- name: ZGW_RUNTIME_PINNED_TENANT
  value: {{ .Values.tenant.slug | quote }}
{{- else }}
- name: ZGW_RUNTIME_POOL
  value: {{ .Values.pool | quote }}
{{- with .Values.config.poolRoutes }}
- name: ZGW_RUNTIME_POOL_ROUTES
  value: {{ toJson . | quote }}
{{- end }}
{{- end }}
{{- with .Values.config.baseDomain }}
- name: ZGW_RUNTIME_BASE_DOMAIN
  value: {{ . | quote }}
{{- end }}
{{- $publicUrl := .Values.config.publicUrl }}
{{- if and (not $publicUrl) (eq .Values.tier "dedicated") .Values.ingress.enabled }}
{{- $first := first .Values.ingress.hosts }}
{{- $publicUrl = printf "%s://%s" (ternary "https" "http" (not (empty $first.tlsSecretName))) $first.host }}
{{- end }}
{{- with $publicUrl }}
- name: ZGW_RUNTIME_PUBLIC_URL
  value: {{ . | quote }}
{{- end }}
{{- with .Values.config.meteringControlplaneUrl }}
- name: ZGW_RUNTIME_METERING_CONTROLPLANE_URL
  value: {{ . | quote }}
{{- end }}
{{- with .Values.config.externalApiRoots }}
- name: ZGW_RUNTIME_EXTERNAL_API_ROOTS
  value: {{ toJson . | quote }}
{{- end }}
- name: ZGW_RUNTIME_DELIVERY_BLOCK_PRIVATE_CALLBACKS
  {{- if kindIs "invalid" .Values.config.blockPrivateCallbacks }}
  value: {{ eq .Values.tier "shared" | quote }}
  {{- else }}
  value: {{ .Values.config.blockPrivateCallbacks | quote }}
  {{- end }}
- name: ZGW_RUNTIME_REGISTRY_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "zgw-runtime.secretName" . }}
      key: {{ .Values.secretKeys.registryUrl }}
- name: ZGW_RUNTIME_ADMIN_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ include "zgw-runtime.secretName" . }}
      key: {{ .Values.secretKeys.adminToken }}
      optional: true
- name: ZGW_RUNTIME_METERING_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ include "zgw-runtime.secretName" . }}
      key: {{ .Values.secretKeys.meteringToken }}
      optional: true
{{- if .Values.worker.enabled }}
- name: ZGW_RUNTIME_CELERY_BROKER_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "zgw-runtime.secretName" . }}
      key: {{ .Values.secretKeys.celeryBrokerUrl }}
{{- end }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* The pod-level settings every pod of the release shares. */}}
{{- define "zgw-runtime.podSpecCommon" -}}
automountServiceAccountToken: false
enableServiceLinks: false
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
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
volumes:
  - name: tmp
    emptyDir:
      sizeLimit: {{ .Values.tmpSizeLimit }}
{{- end }}

{{/* The container-level settings every container of the release shares. */}}
{{- define "zgw-runtime.containerCommon" -}}
image: {{ include "zgw-runtime.image" . }}
imagePullPolicy: {{ .Values.image.pullPolicy }}
securityContext:
  {{- toYaml .Values.securityContext | nindent 2 }}
env:
  {{- include "zgw-runtime.env" . | nindent 2 }}
{{- with .Values.extraEnvFrom }}
envFrom:
  {{- toYaml . | nindent 2 }}
{{- end }}
volumeMounts:
  - name: tmp
    mountPath: /tmp
{{- end }}

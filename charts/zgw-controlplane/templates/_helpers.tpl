{{/* Names and labels. */}}
{{- define "zgw-cp.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "zgw-cp.fullname" -}}
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

{{/* A component's object name, kept within 63 characters; call with (dict "root" $ "component" "worker"). */}}
{{- define "zgw-cp.componentName" -}}
{{- printf "%s-%s" (include "zgw-cp.fullname" .root | trunc (int (sub 62 (len .component)))) .component | replace "--" "-" }}
{{- end }}

{{- define "zgw-cp.selectorLabels" -}}
app.kubernetes.io/name: {{ include "zgw-cp.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "zgw-cp.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "zgw-cp.selectorLabels" . }}
app.kubernetes.io/version: {{ include "zgw-cp.imageTag" . | trunc 63 | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: zgw-cloud
{{- end }}

{{- define "zgw-cp.componentLabels" -}}
{{ include "zgw-cp.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "zgw-cp.componentSelectorLabels" -}}
{{ include "zgw-cp.selectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "zgw-cp.imageTag" -}}
{{- .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{- define "zgw-cp.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (include "zgw-cp.imageTag" .) }}
{{- end }}
{{- end }}

{{- define "zgw-cp.secretName" -}}
{{- .Values.existingSecret | default (include "zgw-cp.fullname" .) }}
{{- end }}

{{- define "zgw-cp.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- .Values.serviceAccount.name | default (include "zgw-cp.fullname" .) }}
{{- else }}
{{- .Values.serviceAccount.name | default "default" }}
{{- end }}
{{- end }}

{{- define "zgw-cp.validate" -}}
{{- if and .Values.ingress.enabled (not .Values.ingress.host) }}
{{- fail "ingress.enabled needs ingress.host" }}
{{- end }}
{{- if and .Values.podDisruptionBudget.enabled (eq (toString .Values.podDisruptionBudget.maxUnavailable) "0") }}
{{- fail "podDisruptionBudget.maxUnavailable=0 would block every node drain" }}
{{- end }}
{{- end }}

{{/* ZGW_* environment of every container. */}}
{{- define "zgw-cp.env" -}}
{{- $keys := .Values.secretKeys -}}
- name: ZGW_ENVIRONMENT
  value: {{ .Values.config.environment | quote }}
- name: ZGW_LOG_LEVEL
  value: {{ .Values.config.logLevel | quote }}
- name: ZGW_LOG_JSON
  value: {{ .Values.config.logJson | quote }}
- name: ZGW_DRIVER
  value: {{ .Values.config.driver | quote }}
- name: ZGW_DATA_DIR
  value: /tmp/zgw
- name: ZGW_RUNTIME_DATA_DIR
  value: /tmp/zgw-runtime
{{- $publicUrl := .Values.config.publicUrl }}
{{- if and (not $publicUrl) .Values.ingress.enabled }}
{{- $publicUrl = printf "%s://%s" (ternary "https" "http" (not (empty .Values.ingress.tlsSecretName))) .Values.ingress.host }}
{{- end }}
{{- with $publicUrl }}
- name: ZGW_PUBLIC_URL
  value: {{ . | quote }}
{{- end }}
{{- with .Values.config.runtimePublicUrl }}
- name: ZGW_RUNTIME_PUBLIC_URL
  value: {{ . | quote }}
{{- end }}
{{- if eq .Values.config.driver "kubernetes" }}
{{- $k8s := .Values.config.kubernetes }}
- name: ZGW_KUBERNETES_CHART_PATH
  value: /opt/zgw-cloud/charts/zgw-tenant-runtime
- name: ZGW_KUBERNETES_CONTROLPLANE_NAMESPACE
  value: {{ .Release.Namespace | quote }}
- name: ZGW_KUBERNETES_BASE_DOMAIN
  value: {{ $k8s.baseDomain | quote }}
- name: ZGW_KUBERNETES_NAMESPACE_PREFIX
  value: {{ $k8s.namespacePrefix | quote }}
- name: ZGW_KUBERNETES_INGRESS_CLASS
  value: {{ $k8s.ingressClass | quote }}
- name: ZGW_KUBERNETES_TLS_SECRET
  value: {{ $k8s.tlsSecretName | quote }}
- name: ZGW_KUBERNETES_INGRESS_ANNOTATIONS
  value: {{ toJson $k8s.ingressAnnotations | quote }}
- name: ZGW_KUBERNETES_API_URL_TEMPLATE
  value: {{ $k8s.apiUrlTemplate | quote }}
- name: ZGW_KUBERNETES_VERIFY_URL_TEMPLATE
  value: {{ $k8s.verifyUrlTemplate | quote }}
- name: ZGW_KUBERNETES_INGRESS_NAMESPACE
  value: {{ $k8s.ingressNamespace | quote }}
- name: ZGW_KUBERNETES_IMAGE_REPOSITORY
  value: {{ $k8s.imageRepository | quote }}
- name: ZGW_KUBERNETES_IMAGE_TAG
  value: {{ $k8s.imageTag | quote }}
- name: ZGW_KUBERNETES_RUNTIME_DATABASE_HOST
  value: {{ $k8s.runtimeDatabaseHost | quote }}
- name: ZGW_KUBERNETES_RUNTIME_VALUES
  value: {{ toJson $k8s.runtimeValues | quote }}
- name: ZGW_KUBERNETES_CONTROLPLANE_URL
  value: {{ $k8s.controlplaneUrl | default (printf "http://%s.%s.svc:%v" (include "zgw-cp.fullname" .) .Release.Namespace .Values.service.port) | quote }}
{{- end }}
{{- $secrets := list
  (list "ZGW_DATABASE_URL" $keys.databaseUrl false)
  (list "ZGW_SECRET_KEY" $keys.secretKey false)
  (list "ZGW_ENCRYPTION_KEY" $keys.encryptionKey false)
  (list "ZGW_BACKUP_PLATFORM_KEY" $keys.backupPlatformKey false)
  (list "ZGW_CELERY_BROKER_URL" $keys.celeryBrokerUrl false)
  (list "ZGW_CELERY_RESULT_BACKEND" $keys.celeryResultBackend true)
  (list "ZGW_RUNTIME_REGISTRY_URL" $keys.runtimeRegistryUrl false)
  (list "ZGW_TENANT_DATABASE_SERVER_URL" $keys.tenantDatabaseServerUrl true)
  (list "ZGW_RUNTIME_ADMIN_TOKEN" $keys.runtimeAdminToken true) }}
{{- range $secrets }}
- name: {{ index . 0 }}
  valueFrom:
    secretKeyRef:
      name: {{ include "zgw-cp.secretName" $ }}
      key: {{ index . 1 }}
      {{- if index . 2 }}
      optional: true
      {{- end }}
{{- end }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Pod-level settings every pod shares; call with (dict "root" $ "apiAccess" bool). Only the pods that drive
     the Kubernetes API (api, worker) get a token. */}}
{{- define "zgw-cp.podSpecCommon" -}}
{{- $root := .root }}
{{- if .apiAccess }}
serviceAccountName: {{ include "zgw-cp.serviceAccountName" $root }}
automountServiceAccountToken: true
{{- else }}
automountServiceAccountToken: false
{{- end }}
enableServiceLinks: false
securityContext:
  {{- toYaml $root.Values.podSecurityContext | nindent 2 }}
{{- with $root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $root.Values.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- with $root.Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $root.Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $root.Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
volumes:
  - name: tmp
    emptyDir:
      sizeLimit: {{ $root.Values.tmpSizeLimit }}
{{- end }}

{{- define "zgw-cp.containerCommon" -}}
image: {{ include "zgw-cp.image" . }}
imagePullPolicy: {{ .Values.image.pullPolicy }}
securityContext:
  {{- toYaml .Values.securityContext | nindent 2 }}
env:
  {{- include "zgw-cp.env" . | nindent 2 }}
{{- with .Values.extraEnvFrom }}
envFrom:
  {{- toYaml . | nindent 2 }}
{{- end }}
volumeMounts:
  - name: tmp
    mountPath: /tmp
{{- end }}

{{/* Pod template metadata; call with (dict "root" $ "component" "api"). */}}
{{- define "zgw-cp.podMetadata" -}}
labels:
  {{- include "zgw-cp.componentLabels" . | nindent 2 }}
  {{- with .root.Values.podLabels }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- with .root.Values.podAnnotations }}
annotations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

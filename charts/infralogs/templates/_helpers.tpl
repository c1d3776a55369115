{{/* Names, labels and shared pieces of every infralogs workload. */}}

{{- define "infralogs.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* release-chart, or the release name when it already contains the chart name. */}}
{{- define "infralogs.fullname" -}}
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

{{/* Name of one component's objects: fullname-component. Call with (list $ component). */}}
{{- define "infralogs.componentName" -}}
{{- $root := index . 0 }}
{{- printf "%s-%s" (include "infralogs.fullname" $root | trunc 50 | trimSuffix "-") (index . 1) }}
{{- end }}

{{- define "infralogs.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Selector labels of one component: name, instance and component (fixed from the first
release: selectors cannot change later). Call with (list $ component). */}}
{{- define "infralogs.selectorLabels" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: {{ include "infralogs.name" $root }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end }}

{{/* Every label of one component's objects. Call with (list $ component). */}}
{{- define "infralogs.labels" -}}
{{- $root := index . 0 -}}
helm.sh/chart: {{ include "infralogs.chart" $root }}
{{ include "infralogs.selectorLabels" . }}
app.kubernetes.io/version: {{ $root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ $root.Release.Service }}
app.kubernetes.io/part-of: infralogs
{{- with $root.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* registry/repository:tag, or @digest when a digest is set (it wins over the tag). */}}
{{- define "infralogs.image" -}}
{{- $i := .Values.image }}
{{- $repo := $i.repository }}
{{- if $i.registry }}{{ $repo = printf "%s/%s" $i.registry $i.repository }}{{ end }}
{{- if $i.digest }}
{{- printf "%s@%s" $repo $i.digest }}
{{- else }}
{{- printf "%s:%s" $repo (default .Chart.AppVersion $i.tag) }}
{{- end }}
{{- end }}

{{/* Service account name of a component. Call with (list $ component). */}}
{{- define "infralogs.serviceAccountName" -}}
{{- include "infralogs.componentName" . }}
{{- end }}

{{/* Where each mode reads its secrets. */}}
{{- define "infralogs.agentTokenFile" -}}
{{- if .Values.vault.enabled }}/vault/secrets/agent-tokens{{ else }}/etc/infralogs/agent-token/tokens{{ end }}
{{- end }}
{{- define "infralogs.credentialsFile" -}}
{{- if .Values.vault.enabled }}/vault/secrets/db.json{{ else }}/etc/infralogs/db/credentials.json{{ end }}
{{- end }}

{{/* Vault templates (escaped: Helm must emit them verbatim for the Vault Agent). */}}
{{- define "infralogs.vaultCredentialsTemplate" -}}
{{- printf "{{- with secret %q -}}{{ .Data | toJSON }}{{- end }}" . }}
{{- end }}
{{- define "infralogs.vaultTokenTemplate" -}}
{{- if .key }}
{{- printf "{{- with secret %q -}}{{ index .Data.data %q }}{{- end }}" .path .key }}
{{- else }}
{{- printf "{{- with secret %q -}}{{ .Data.data.current }}{{ with .Data.data.previous }}\n{{ . }}{{ end }}{{- end }}" .path }}
{{- end }}
{{- end }}

{{/*
Vault Agent Injector annotations for one pod. Call with a dict:
  root: $, role: Vault role, container: the container to mount into,
  files: list of dicts {name, path, template}, job: true for Jobs (init container only),
  uid, gid: the container's uid and gid (the Vault Agent renders files as them when uid is not 0),
  token: true to write the Vault token to /vault/secrets/token.
*/}}
{{- define "infralogs.vaultAnnotations" -}}
{{- $v := .root.Values.vault -}}
vault.hashicorp.com/agent-inject: "true"
vault.hashicorp.com/role: {{ .role | quote }}
vault.hashicorp.com/auth-path: {{ $v.authPath | quote }}
vault.hashicorp.com/agent-inject-containers: {{ .container | quote }}
{{- if $v.namespace }}
vault.hashicorp.com/namespace: {{ $v.namespace | quote }}
{{- end }}
{{- if $v.caSecret }}
vault.hashicorp.com/tls-secret: {{ $v.caSecret | quote }}
vault.hashicorp.com/ca-cert: /vault/tls/ca.crt
{{- end }}
{{- if .job }}
{{- /* A sidecar would keep the Job's pod running forever. */}}
vault.hashicorp.com/agent-pre-populate-only: "true"
{{- else }}
vault.hashicorp.com/agent-cache-enable: "true"
vault.hashicorp.com/agent-revoke-on-shutdown: "false"
{{- end }}
{{- if ne (int .uid) 0 }}
{{- /* The Vault Agent runs as the mode's own uid and gid, so the files it renders are
readable by the mode alone (0400). */}}
vault.hashicorp.com/agent-run-as-user: {{ .uid | quote }}
vault.hashicorp.com/agent-run-as-group: {{ .gid | quote }}
{{- end }}
{{- if .token }}
{{- /* The Vault token itself, at /vault/secrets/token, for a mode that calls Vault's API. */}}
vault.hashicorp.com/agent-inject-token: "true"
{{- end }}
{{- range .files }}
vault.hashicorp.com/agent-inject-secret-{{ .name }}: {{ .path | quote }}
vault.hashicorp.com/agent-inject-template-{{ .name }}: {{ .template | quote }}
{{- /* uid 0 without capabilities cannot read another user's 0400 file: the file lives in
the pod's own in-memory volume, seen by this pod's containers only. */}}
vault.hashicorp.com/agent-inject-perms-{{ .name }}: {{ if ne (int $.uid) 0 }}"0400"{{ else }}"0444"{{ end }}
{{- end }}
{{- with $v.extraAnnotations }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* The uid a pod's main container runs as (container securityContext over the pod's). */}}
{{- define "infralogs.uid" -}}
{{- $b := . }}
{{- if hasKey $b.securityContext "runAsUser" }}{{ $b.securityContext.runAsUser }}
{{- else if hasKey $b.podSecurityContext "runAsUser" }}{{ $b.podSecurityContext.runAsUser }}
{{- else }}65532{{ end }}
{{- end }}

{{/* The gid a pod's main container runs as. */}}
{{- define "infralogs.gid" -}}
{{- $b := . }}
{{- if hasKey $b.securityContext "runAsGroup" }}{{ $b.securityContext.runAsGroup }}
{{- else if hasKey $b.podSecurityContext "runAsGroup" }}{{ $b.podSecurityContext.runAsGroup }}
{{- else }}65532{{ end }}
{{- end }}

{{/* A Secret volume holding one key as one file. Call with (list name secret key file). */}}
{{- define "infralogs.secretVolume" -}}
- name: {{ index . 0 }}
  secret:
    secretName: {{ index . 1 | quote }}
    defaultMode: 0440
    items:
      - key: {{ index . 2 | quote }}
        path: {{ index . 3 | quote }}
{{- end }}

{{/* Scheduling and pod-level keys shared by every workload. Call with a mode's values block. */}}
{{- define "infralogs.podScheduling" -}}
{{- with .nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- end }}

{{- define "infralogs.imagePullSecrets" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- range . }}
  - name: {{ . }}
  {{- end }}
{{- end }}
{{- end }}

{{/* The collector's pod template, shared by the CronJob (collect --once) and, with
collect.mode=follow, the Deployment (collect --follow). Called with (dict "root" $ "follow" BOOL). */}}
{{- define "infralogs.collectPod" -}}
{{- $root := .root }}
{{- $follow := .follow }}
{{- with $root }}
{{- $c := .Values.collect }}
{{- $uid := include "infralogs.uid" $c | int }}
{{- $gid := include "infralogs.gid" $c | int }}
{{- $shards := ternary 1 (int $c.shards) $follow }}
{{- $discover := and $c.discovery.enabled .Values.agent.enabled (not $follow) -}}
metadata:
  labels:
    {{- include "infralogs.labels" (list . "collect") | nindent 4 }}
    {{- with $c.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  annotations:
    checksum/inventory: {{ toJson $c.inventory | sha256sum | trunc 16 }}
    {{- if .Values.vault.enabled }}
    {{- $tokTpl := default (include "infralogs.vaultTokenTemplate" .Values.vault.agentToken) .Values.vault.agentToken.template }}
    {{- $dbTpl := default (include "infralogs.vaultCredentialsTemplate" .Values.vault.collect.credentialsPath) .Values.vault.collect.template }}
    {{- include "infralogs.vaultAnnotations" (dict "root" $root "role" .Values.vault.collect.role "container" "collect" "job" (not $follow) "uid" $uid "gid" $gid
          "files" (list (dict "name" "db.json" "path" .Values.vault.collect.credentialsPath "template" $dbTpl)
                        (dict "name" "agent-tokens" "path" .Values.vault.agentToken.path "template" $tokTpl))) | nindent 4 }}
    {{- end }}
    {{- with $c.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  restartPolicy: {{ if $follow }}Always{{ else }}Never{{ end }}
  serviceAccountName: {{ include "infralogs.serviceAccountName" (list . "collect") }}
  automountServiceAccountToken: {{ .Values.vault.enabled }}
  {{- with include "infralogs.imagePullSecrets" $root }}{{ . | trim | nindent 2 }}{{ end }}
  {{- with include "infralogs.podScheduling" $c }}{{ . | trim | nindent 2 }}{{ end }}
  securityContext:
    {{- toYaml $c.podSecurityContext | nindent 4 }}
  containers:
    - name: collect
      image: {{ include "infralogs.image" . }}
      imagePullPolicy: {{ .Values.image.pullPolicy }}
      args:
        - collect
        - {{ if $follow }}--follow{{ else }}--once{{ end }}
        {{- if or $c.inventory.agents $c.inventory.existingConfigMap (not $discover) }}
        - --inventory=/etc/infralogs/inventory/inventory.json
        {{- end }}
        {{- if $discover }}
        # Every ready agent pod, through the agents' headless Service, each run.
        - --discover-agents=dns{{ if .Values.agent.tls.existingSecret }}+https{{ end }}:{{ include "infralogs.componentName" (list . "agent") }}.{{ .Release.Namespace }}.svc:{{ .Values.agent.port }}
        - --discover-token-file={{ include "infralogs.agentTokenFile" . }}
        {{- if and .Values.agent.tls.existingSecret $c.agentCA.existingSecret }}
        - --discover-ca-file=/etc/infralogs/agents-ca/ca.crt
        {{- end }}
        {{- end }}
        - --db={{ .Values.database.primary }}
        - --db-credentials-file={{ include "infralogs.credentialsFile" . }}
        - --parallel={{ $c.parallel }}
        - --since={{ $c.since }}
        - --retain-days={{ $c.retainDays }}
        - --log-level={{ $c.logLevel }}
        {{- if gt $shards 1 }}
        - --shard=$(JOB_COMPLETION_INDEX)/{{ $shards }}
        {{- end }}
        {{- range $c.extraArgs }}
        - {{ . | quote }}
        {{- end }}
      {{- if or (gt $shards 1) $c.extraEnv }}
      env:
        {{- if gt $shards 1 }}
        - name: JOB_COMPLETION_INDEX
          valueFrom:
            fieldRef:
              fieldPath: metadata.annotations['batch.kubernetes.io/job-completion-index']
        {{- end }}
        {{- with $c.extraEnv }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- end }}
      {{- with $c.envFrom }}
      envFrom:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      resources:
        {{- toYaml $c.resources | nindent 8 }}
      securityContext:
        {{- toYaml $c.securityContext | nindent 8 }}
      volumeMounts:
        - name: inventory
          mountPath: /etc/infralogs/inventory
          readOnly: true
        {{- if not .Values.vault.enabled }}
        - name: agent-token
          mountPath: /etc/infralogs/agent-token
          readOnly: true
        - name: db-credentials
          mountPath: /etc/infralogs/db
          readOnly: true
        {{- end }}
        {{- if $c.agentCA.existingSecret }}
        - name: agents-ca
          mountPath: /etc/infralogs/agents-ca
          readOnly: true
        {{- end }}
        {{- with $c.extraVolumeMounts }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
  volumes:
    - name: inventory
      configMap:
        name: {{ default (include "infralogs.componentName" (list . "collect")) $c.inventory.existingConfigMap }}
    {{- if not .Values.vault.enabled }}
    {{- include "infralogs.secretVolume" (list "agent-token" .Values.agent.token.existingSecret .Values.agent.token.secretKey "tokens") | nindent 4 }}
    {{- include "infralogs.secretVolume" (list "db-credentials" $c.credentials.existingSecret $c.credentials.secretKey "credentials.json") | nindent 4 }}
    {{- end }}
    {{- if $c.agentCA.existingSecret }}
    - name: agents-ca
      secret:
        secretName: {{ $c.agentCA.existingSecret | quote }}
        defaultMode: 0444
    {{- end }}
    {{- with $c.extraVolumes }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
{{- end }}
{{- end }}

{{/* Values that contradict each other fail the render with a message saying what to change.
scripts/delivery/check-chart renders each case under ci/chart/fail/ and checks its message. */}}
{{- define "infralogs.validate" -}}
{{- $v := .Values }}
{{- $secrets := dict
      "agent.token.existingSecret" $v.agent.token.existingSecret
      "collect.credentials.existingSecret" $v.collect.credentials.existingSecret
      "serve.credentials.existingSecret" $v.serve.credentials.existingSecret
      "migrate.credentials.existingSecret" $v.migrate.credentials.existingSecret }}
{{- if $v.vault.enabled }}
  {{- range $key := keys $secrets | sortAlpha }}
    {{- if get $secrets $key }}
      {{- fail (printf "vault.enabled is true and %s is set: choose one source for that secret (Vault renders it, or the Secret is mounted), not both" $key) }}
    {{- end }}
  {{- end }}
{{- else }}
  {{- if and $v.agent.enabled (not $v.agent.token.existingSecret) }}
    {{- fail "agent.enabled needs its tokens: set agent.token.existingSecret (a Secret with key tokens, one token per line) or vault.enabled" }}
  {{- end }}
  {{- if and $v.collect.enabled (not $v.agent.token.existingSecret) }}
    {{- fail "collect.enabled needs the agents' token: set agent.token.existingSecret or vault.enabled" }}
  {{- end }}
  {{- range $mode := list "collect" "serve" "migrate" }}
    {{- $m := index $v $mode }}
    {{- if and $m.enabled (not $m.credentials.existingSecret) }}
      {{- fail (printf "%s.enabled needs database credentials: set %s.credentials.existingSecret (a Secret whose %s is JSON {\"username\",\"password\"}) or vault.enabled" $mode $mode $m.credentials.secretKey) }}
    {{- end }}
  {{- end }}
  {{- if $v.rotateCreds.enabled }}
    {{- fail "rotateCreds.enabled rotates credentials through Vault: it needs vault.enabled" }}
  {{- end }}
{{- end }}
{{- if and (or $v.collect.enabled $v.migrate.enabled) (not $v.database.primary) }}
  {{- fail "collect and migrate need database.primary (mysql://HOST:PORT/DATABASE)" }}
{{- end }}
{{- if and $v.serve.enabled (not (or $v.database.replica $v.database.primary)) }}
  {{- fail "serve.enabled needs database.replica (or database.primary)" }}
{{- end }}
{{- if and (gt (int $v.collect.shards) 1) (not $v.collect.enabled) }}
  {{- fail (printf "collect.shards is %d but collect.enabled is false: shards split the collector CronJob, enable it or set collect.shards to 1" (int $v.collect.shards)) }}
{{- end }}
{{- if and $v.collect.enabled (not $v.agent.enabled) (not $v.collect.inventory.agents) (not $v.collect.inventory.existingConfigMap) }}
  {{- fail "collect.enabled has nothing to poll: enable the agent DaemonSet, list agents in collect.inventory.agents, or set collect.inventory.existingConfigMap" }}
{{- end }}
{{- if and $v.collect.enabled (eq $v.collect.mode "follow") (gt (int $v.collect.shards) 1) }}
  {{- fail (printf "collect.mode is follow and collect.shards is %d: the follow Deployment runs one collector; set collect.shards to 1 or collect.mode to cronjob" (int $v.collect.shards)) }}
{{- end }}
{{- if and $v.collect.enabled (eq $v.collect.mode "follow") (not $v.collect.inventory.agents) (not $v.collect.inventory.existingConfigMap) }}
  {{- fail "collect.mode is follow but collect.inventory lists no agents: collect --follow follows the inventory's agents (it does not discover them); list them in collect.inventory.agents or collect.inventory.existingConfigMap" }}
{{- end }}
{{- if and $v.collect.inventory.agents $v.collect.inventory.existingConfigMap }}
  {{- fail "collect.inventory.agents and collect.inventory.existingConfigMap are both set: the ConfigMap would ignore the listed agents; keep one" }}
{{- end }}
{{- if and $v.serve.ingress.enabled (not $v.serve.enabled) }}
  {{- fail "serve.ingress.enabled needs serve.enabled" }}
{{- end }}
{{- if and $v.agent.priorityClass.create $v.agent.priorityClassName }}
  {{- fail "agent.priorityClass.create is true and agent.priorityClassName is set: create the chart's class or name an existing one, not both" }}
{{- end }}
{{- if and $v.agent.podMonitor.enabled (not $v.agent.podMonitor.bearerTokenSecret.name) }}
  {{- fail "agent.podMonitor.enabled: the agent's /metrics needs a token; set agent.podMonitor.bearerTokenSecret.name and .key (a Secret holding one valid token)" }}
{{- end }}
{{- if and $v.agent.tls.clientCASecret (not $v.agent.tls.existingSecret) }}
  {{- fail "agent.tls.clientCASecret requires client certificates over TLS: set agent.tls.existingSecret too" }}
{{- end }}
{{- end }}

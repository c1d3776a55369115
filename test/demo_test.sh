#!/usr/bin/env bash
# Runs `scripts/demo --no-wait` in a temporary INFRALOGS_DEMO_DIR on free loopback ports, with
# a 5 s rotation interval and small journals, and checks what issue 10 asks of the demo: the
# collector took a dynamic writer from test-vault through an AppRole login, the dashboard read
# the static reader from the file the demo's Vault Agent rendered and followed a rotation that
# `infralogs rotate-creds` made, and no password, token or secret ID reached the terminal or a
# log; and what issue 8 asks: the demo looks like a live fleet (an error burst of the live writer
# flagged in /api/overview's anomalies, collect following every agent, a stale history from an
# earlier run replaced by one up to now, a line naming the agents), and that its build step builds
# only what it runs (its build line's commands on a fresh build dir: infralogs, test-vault and
# make-journal linked, no test binary). Run by ctest as "integration: scripts/demo --no-wait with
# Vault credentials";
# usage: demo_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
SRC=${1:?usage: demo_test.sh SOURCE_DIR BUILD_DIR}
BUILD=${2:?usage: demo_test.sh SOURCE_DIR BUILD_DIR}
DIR=$(mktemp -d /tmp/infralogs-demo-test.XXXXXX)
DRY_BUILD=$(mktemp -d /tmp/infralogs-demo-test-build.XXXXXX)
OUT=$DIR/demo.out
cleanup() {
  # The demo stops its pair itself; this is for a demo killed by ctest's timeout.
  if [ -f "$DIR/db/env" ]; then "$SRC/scripts/mariadb-pair" stop "$DIR/db" >/dev/null 2>&1 || true; fi
  rm -rf "$DIR" "$DRY_BUILD"
}
trap cleanup EXIT

checks=0
ok() { checks=$((checks + 1)); }
fail() {
  echo "demo_test: FAIL: $*" >&2
  echo "demo_test: the demo's output:" >&2
  sed 's/^/    /' "$OUT" >&2 || true
  exit 1
}
has() {  # has FILE ERE WHAT: FILE has a line matching ERE, else fail naming WHAT
  grep -Eq -- "$2" "$1" || fail "$3 (no line matching $2 in ${1#"$DIR"/})"
  ok
}
free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
port_free() {
  /usr/bin/python3 -c 'import socket,sys; s=socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1])))' "$1" 2>/dev/null
}
# Three consecutive free ports for the agents.
agent_port=""
for _ in $(seq 20); do
  p=$(free_port)
  if [ "$p" -lt 65000 ] && port_free "$((p + 1))" && port_free "$((p + 2))"; then agent_port=$p; break; fi
done
[ -n "$agent_port" ] || fail "no three consecutive free ports"

# The demo's build step builds only what it runs (issue 8: the dashboard is up minutes after the
# start on a fresh machine): `scripts/demo --build-dry-run` configures a fresh build dir and
# prints every command its build line runs there (ninja -t commands, nothing compiled). The
# executables those commands link are exactly the three the demo runs: not the test binaries
# (most of a full build), and not without infralogs.
t_dry=$(date +%s)
dry_out=$DIR/build-dry-run.out
INFRALOGS_DEMO_BUILD_DIR="$DRY_BUILD" "$SRC/scripts/demo" --build-dry-run > "$dry_out" 2>&1 || {
  OUT=$dry_out fail "scripts/demo --build-dry-run exited $?"
}
linked=$(grep -oE '(^| )-o [^ ]+' "$dry_out" | awk '{print $2}' | grep -vE '\.(o|a)$' |
  xargs -r -n 1 basename | sort -u | tr '\n' ' ')
[ "$linked" = "infralogs make-journal test-vault " ] ||
  OUT=$dry_out fail "the demo's build step links [${linked% }], want [infralogs make-journal test-vault]"
ok
compiles=$(grep -c -- ' -c ' "$dry_out" || true)
[ "$compiles" -ge 10 ] || OUT=$dry_out fail "the demo's build step compiles $compiles files"
ok
rm -rf "$DRY_BUILD"
echo "demo_test: the demo's build step links $linked($compiles compiles; checked in $(( $(date +%s) - t_dry )) s)"

VMS=(demo-vm-01 demo-vm-02 demo-vm-03)
# A history an earlier run left two days ago, with the same sizes: the demo must not reuse it
# (nor the database of that run: the marker below goes with it).
mkdir -p "$DIR/vms/gen" "$DIR/db"
"$BUILD/make-journal" -o "$DIR/vms/gen" --split-hosts --hosts 3 --hostname demo-vm --entries 5 \
  --start "$(( ($(date +%s) - 2 * 86400) * 1000000 ))" >/dev/null 2>&1 || fail "make-journal failed"
for vm in "${VMS[@]}"; do mkdir -p "$DIR/vms/$vm" && mv "$DIR/vms/gen/$vm.journal" "$DIR/vms/$vm/"; done
mv "$DIR/vms/gen.manifest.json" "$DIR/vms/manifest.json" && rmdir "$DIR/vms/gen"
echo "entries=2000 hours=14" > "$DIR/vms/sizes"
touch "$DIR/db/from-an-earlier-run"

t0=$(date +%s)
rc=0
# 2000 entries per VM over 14 hours: few entries, and 12 hours of baseline for the anomalies.
# INFRALOGS_TEST_BINARY, as for the C++ suites: scripts/check-sanitizers runs the ASan binary.
env INFRALOGS_DEMO_DIR="$DIR" INFRALOGS_DEMO_BUILD_DIR="$BUILD" INFRALOGS_DEMO_SKIP_BUILD=1 \
  INFRALOGS_DEMO_BINARY="${INFRALOGS_TEST_BINARY:-$BUILD/infralogs}" \
  INFRALOGS_DEMO_ROTATE_EVERY=5 INFRALOGS_DEMO_ENTRIES=2000 INFRALOGS_DEMO_HOURS=14 \
  INFRALOGS_DEMO_VAULT_LOG_LEVEL=debug \
  INFRALOGS_DEMO_AGENT_PORT="$agent_port" INFRALOGS_DEMO_PRIMARY_PORT="$(free_port)" \
  INFRALOGS_DEMO_REPLICA_PORT="$(free_port)" INFRALOGS_DEMO_HTTP_PORT="$(free_port)" \
  INFRALOGS_DEMO_VAULT_PORT="$(free_port)" \
  "$SRC/scripts/demo" --no-wait > "$OUT" 2>&1 || rc=$?
echo "demo_test: scripts/demo --no-wait took $(( $(date +%s) - t0 )) s"
[ "$rc" = 0 ] || fail "scripts/demo --no-wait exited $rc"
ok

# Everything the demo started has stopped (agents, test-vault, the agent loop, collect, serve).
if pgrep -f -- "$DIR/" >/dev/null; then fail "processes of the demo still run: $(pgrep -af -- "$DIR/")"; fi
ok

# The agents: their API tokens from Vault KV v2 (rotate-creds --agent-tokens made the secret),
# through their own AppRole, not from a file.
for vm in demo-vm-01 demo-vm-02 demo-vm-03; do
  has "$DIR/agents/$vm.log" '"tokens_source":"vault secret/data/infralogs/agent-tokens"' \
    "the agent of $vm did not take its tokens from Vault"
done
has "$DIR/vault.log" '"msg":"login","role":"infralogs-agent"' "no AppRole login of infralogs-agent"
has "$DIR/rotate-agent-tokens.log" '"action":"create"' "rotate-creds did not create the agents' tokens"

# The collector: AppRole login and a dynamic writer, in both the --once run and the loop.
for log in "$DIR/collect-once.log" "$DIR/collect.log"; do
  has "$log" '"method":"approle","msg":"vault login"' "collect did not log in with AppRole"
  has "$log" '"msg":"vault credentials obtained","path":"database/creds/infralogs-collect","source":"vault-dynamic"' \
    "collect did not take database/creds/infralogs-collect"
done
if grep -q '"msg":"credentials file changed"' "$DIR/collect.log"; then fail "collect used a file"; fi
ok
# ... and test-vault saw it: the AppRole login of role infralogs-collect, users issued for it.
has "$DIR/vault.log" '"msg":"login","role":"infralogs-collect"' "no AppRole login of infralogs-collect"
has "$DIR/vault.log" '"msg":"database credentials issued","role":"infralogs-collect"' \
  "test-vault issued no writer"
has "$DIR/vault.log" '"method":"GET","ms":[0-9]+,"msg":"request","path":"/v1/database/creds/infralogs-collect","status":200' \
  "no successful read of database/creds/infralogs-collect"
has "$OUT" '^  credentials: vault-dynamic database/creds/infralogs-collect$' "the demo does not show the source"
has "$OUT" '^  demo-vm-01: [1-9][0-9]* entries, ok=true$' "collect --once stored nothing"

# The reader: the static role, rendered twice (at start and after the rotation), read by serve
# from that file, which serve followed without a restart.
renders=$(grep -c 'rendered .*/vault/read-credentials.json from database/static-creds/infralogs-read (user infralogs_read' \
  "$DIR/vault-agent.log" || true)
[ "$renders" -ge 2 ] || fail "the demo's Vault Agent rendered the reader $renders times, want 2 or more"
ok
first=$(grep -o 'last_vault_rotation [^)]*' "$DIR/vault-agent.log" | head -n 1)
last=$(grep -o 'last_vault_rotation [^)]*' "$DIR/vault-agent.log" | tail -n 1)
if [ -z "$first" ] || [ "$first" = "$last" ]; then
  fail "the rendered file did not follow a rotation ($first, $last)"
fi
ok
has "$DIR/vault.log" '"method":"GET","ms":[0-9]+,"msg":"request","path":"/v1/database/static-creds/infralogs-read","status":200' \
  "no successful read of database/static-creds/infralogs-read"
has "$DIR/serve.log" "\"generation\":2,\"level\":\"info\",\"msg\":\"credentials file changed\",\"path\":\"$DIR/vault/read-credentials.json\"" \
  "serve did not follow the re-rendered file"
has "$DIR/serve.log" '"generation":2,"level":"info","msg":"credential switch drained","role":"reader"' \
  "serve's reader did not switch to the new credentials"
# The file holds what Vault's static role serves: {"username", "password"}, mode 0600.
[ "$(stat -c %a "$DIR/vault/read-credentials.json")" = 600 ] || fail "the rendered file is not mode 0600"
ok
user=$(jq -r .username "$DIR/vault/read-credentials.json")
[ "$user" = infralogs_read ] || fail "the rendered file names user $user"
ok
# After the rotation the dashboard still answers from the replica with the new password.
has "$OUT" '^demo: after the rotation, the dashboard still answers:$' "no check after the rotation"
# (Within 12 lines: a background rotation's audit lines may land in between.)
grep -A 12 '^demo: after the rotation' "$OUT" | grep -Eq '^  [34] hosts, [1-9][0-9]* entries' ||
  fail "the dashboard did not answer /api/overview after the rotation"
ok

# The fleet looks live: history up to the demo's start, and the live writer's entries, written
# while the demo ran, reached the replica within seconds.
has "$OUT" "^demo: the journals in $DIR/vms are not live \\(newest entry 1[0-9]{5} s old, want < 600; " \
  "the demo did not see that the earlier run's history is two days old"
has "$OUT" "^demo: writing 2000 entries per VM over 14 hours up to now" "the history does not end now"
[ ! -e "$DIR/db/from-an-earlier-run" ] || fail "the earlier run's database was kept with new journals"
ok
for vm in "${VMS[@]}"; do
  # The oldest entry is 13 hours and a bit old (the first piece), none from two days ago.
  oldest=$(journalctl --file "$DIR/vms/$vm/*.journal" -q -o json | sed -n 1p | jq -r '.__REALTIME_TIMESTAMP')
  age=$(( $(date +%s) - oldest / 1000000 ))
  if [ "$age" -lt $((13 * 3600)) ] || [ "$age" -gt $((14 * 3600)) ]; then
    fail "the oldest entry of $vm is $age s old, want 13 to 14 hours"
  fi
  ok
done
has "$OUT" "^demo: the VMs' new entries reach the replica: the newest is [0-9]+ s old \\([1-9][0-9]* written" \
  "the live entries did not reach the replica"
written=$(jq -r .entries "$DIR/live-writer.json")
[ "$written" -ge 1 ] || fail "the live writer wrote $written entries"
ok
has "$DIR/live-writer.log" '"msg": "stopped"' "the live writer did not stop cleanly"
for vm in "${VMS[@]}"; do
  n=$(journalctl --file "$DIR/vms/$vm/*.journal" -q --since "-10min" -o cat | wc -l)
  [ "$n" -ge 1 ] || fail "no entry of the last 10 minutes in the journal of $vm"
  ok
done

# The line naming the agents, at the start: the three VMs on their ports, and this machine's
# journal when this user can read it (the demo's own rule, journalctl as the oracle).
agents="^demo: agents: demo-vm-01 on 127.0.0.1:$agent_port, demo-vm-02 on 127.0.0.1:$((agent_port + 1)), demo-vm-03 on 127.0.0.1:$((agent_port + 2)); "
if [ -n "$(journalctl -q -n 1 -o cat 2>/dev/null)" ]; then
  has "$OUT" "${agents}and this machine's journal \\($(hostname)\\) on 127.0.0.1:$((agent_port + 3))\$" \
    "no line naming the three VMs' agents and this machine's"
else
  has "$OUT" "${agents}not this machine's journal \\(not readable by $(id -un) here\\)\$" \
    "no line naming the three VMs' agents"
fi
[ "$(grep -n '^demo: agents: ' "$OUT" | cut -d: -f1)" -lt "$(grep -n '^demo: writing ' "$OUT" | cut -d: -f1)" ] ||
  fail "the agents are not named at the start (before the journals are written)"
ok

# collect --follow followed every agent.
has "$DIR/collect.log" '"msg":"follow status",.*"state":"following"' "collect --follow never reported a stream following"
has "$OUT" '^demo: collect --follow: the streams of demo-vm-01, demo-vm-02, demo-vm-03(, [^,]+)? are following$' \
  "the demo did not see every agent following"

# An anomaly: the live writer made a burst sized from the history, and /api/overview (saved by
# the demo while the dashboard ran) lists it as an errors anomaly of that VM and unit, in the
# burst's hour, at or above the threshold the writer computed from the dashboard's rule (or in
# the next hour, when the hour turned during the burst and it went on to that hour's threshold).
bursts=$(jq -r .bursts "$DIR/live-writer.json")
[ "$bursts" -ge 1 ] || fail "the live writer made $bursts error bursts"
ok
[ "$(jq -r .flaggable_bursts "$DIR/live-writer.json")" -ge 1 ] || fail "no burst had a baseline to be flagged against"
ok
burst=$(grep -m1 '"msg": "error burst"' "$DIR/live-writer.log") || fail "no error burst in live-writer.log"
ok
jq -e '.threshold >= 20 and .target > .threshold' <<< "$burst" >/dev/null || fail "the burst has no threshold: $burst"
ok
[ -s "$DIR/overview.json" ] || fail "the demo saved no /api/overview"
ok
jq -e '(.totals | (.hosts | type) == "number" and (.entries | type) == "number" and (.errors | type) == "number")
  and (.anomalies | type) == "array" and (.anomalies | length) >= 1
  and all(.anomalies[]; (.host | type) == "string" and ((.unit | type) == "string" or .unit == null)
          and (.hour | type) == "number" and (.kind == "errors" or .kind == "volume")
          and ([.value, .baseline, .score] | map(type) | unique) == ["number"])' \
  "$DIR/overview.json" >/dev/null || fail "/api/overview has not the documented shape with anomalies: $(head -c 600 "$DIR/overview.json")"
ok
match=$(jq -c --argjson b "$burst" '[.anomalies[] | select(.host == $b.host and .unit == $b.unit
  and .kind == "errors" and (.hour == $b.hour and .value >= $b.threshold or .hour == $b.hour + 3600000000))]
  | length' "$DIR/overview.json")
[ "$match" = 1 ] || fail "/api/overview has no errors anomaly for the burst $burst: $(jq -c .anomalies "$DIR/overview.json")"
ok
has "$OUT" '^demo: the dashboard flags [1-9][0-9]* anomalies \([0-9]+ s after it came up; the live writer made [1-9][0-9]* error bursts\)' \
  "the demo did not print the anomalies"

# Where the dashboard has the Credentials panel (/api/credentials), it names both sources.
if grep -q '^demo: /api/credentials' "$OUT"; then
  has "$OUT" "^  serve reader: file $DIR/vault/read-credentials.json, user infralogs_read, switches [1-9]" \
    "the Credentials panel does not show serve on the rendered file"
  has "$OUT" '^  collect writer: vault-dynamic database/creds/infralogs-collect, user v-' \
    "the Credentials panel does not show collect on Vault"
fi

# The rotation: rotate-creds through AppRole infralogs-rotate, every step ok, printed.
for action in rotate-role read verify-primary verify-replica; do
  has "$DIR/rotate.log" "\"action\":\"$action\",.*\"level\":\"info\",\"msg\":\"audit\",.*\"result\":\"ok\"" \
    "rotate-creds logged no $action"
  has "$OUT" "^  audit: $action database/(rotate-role|static-creds)/infralogs-read user=[-a-z_]+ result=ok$" \
    "the demo did not print the $action audit line"
done
if grep -q '"level":"error"' "$DIR/rotate.log"; then fail "rotate-creds logged an error"; fi
ok
has "$DIR/vault.log" '"msg":"login","role":"infralogs-rotate"' "rotate-creds did not log in with AppRole"
has "$DIR/vault.log" '"msg":"static role rotated","role":"infralogs-read"' "test-vault rotated nothing"
has "$OUT" '^  the dashboard switched to the new password' "the demo did not see the dashboard switch"

# No secret in the output or a log: first the ones the demo leaves in files...
mapfile -t logs < <(find "$DIR" -name '*.log' -o -name '*.prom' -o -name rotations | sort)
[ "${#logs[@]}" -ge 8 ] || fail "only ${#logs[@]} logs found"
secrets=("$(jq -r .password "$DIR/vault/read-credentials.json")"
         "$(jq -r .password "$DIR/db/admin.json")" "$(cat "$DIR/vault/root-token")" "$(cat "$DIR/token")")
for role in infralogs-collect infralogs-read infralogs-rotate; do
  secrets+=("$(cat "$DIR/vault/approle/$role/secret-id")")
done
for s in "${secrets[@]}"; do
  [ "${#s}" -ge 16 ] || fail "a secret of the demo is shorter than 16 characters"
  if grep -rlF -- "$s" "$OUT" "${logs[@]}"; then fail "a secret is in the file(s) above"; fi
  ok
done
# ... then any Vault-generated password (the first reader password and the writers' are gone
# with test-vault): 20 characters of [a-zA-Z0-9-] with each class, as Vault's default policy.
leaked=$(cat "$OUT" "${logs[@]}" | grep -oP '(?<![A-Za-z0-9-])[A-Za-z0-9-]{20}(?![A-Za-z0-9-])' |
  grep -- - | grep '[A-Z]' | grep '[a-z]' | grep '[0-9]' | head -n 1 || true)
[ -z "$leaked" ] || fail "something shaped like a Vault password is in the output or a log"
ok
# The pattern does find Vault's passwords (the rendered one), so the check above can fail.
jq -r .password "$DIR/vault/read-credentials.json" |
  grep -qP '^(?=.*-)(?=.*[A-Z])(?=.*[a-z])(?=.*[0-9])[A-Za-z0-9-]{20}$' ||
  fail "the password pattern does not match Vault's passwords"
ok

echo "demo_test: $checks checks passed in $(( $(date +%s) - t0 )) s"

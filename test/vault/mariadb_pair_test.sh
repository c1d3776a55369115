#!/usr/bin/env bash
# Tests of scripts/mariadb-pair's "start --tls --require-secure-transport" and "promote", on
# free loopback ports. Run by ctest as "vault: mariadb-pair tls and promote";
# usage: mariadb_pair_test.sh path/to/scripts/mariadb-pair
set -euo pipefail
PAIR=${1:?usage: mariadb_pair_test.sh path/to/scripts/mariadb-pair}
BASE=$(mktemp -d /tmp/mariadb-pair-test.XXXXXX)
DIR=$BASE/pair
CNF=$BASE/admin.cnf
cleanup() {
  "$PAIR" stop "$DIR" >/dev/null 2>&1 || true
  rm -rf "$BASE"
}
trap cleanup EXIT

checks=0
ok() { checks=$((checks + 1)); }
fail() { echo "mariadb_pair_test: FAIL: $*" >&2; exit 1; }
free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# mariadb over TCP as the pair's admin (password in a 0600 option file, never on a command line).
tcp() {  # tcp PORT [client options] -e SQL
  local port=$1; shift
  mariadb --defaults-file="$CNF" --port="$port" "$@"
}
socket_sql() {  # socket_sql SOCKET SQL
  mariadb --no-defaults -uroot --socket="$1" -N -B -e "$2"
}

t0=$(date +%s)
P=$(free_port)
R=$(free_port)
while [ "$R" = "$P" ]; do R=$(free_port); done

if "$PAIR" start "$BASE/bad" --require-secure-transport >/dev/null 2>&1; then
  fail "--require-secure-transport without --tls was accepted"
fi
ok

"$PAIR" start "$DIR" --primary-port "$P" --replica-port "$R" --tls --require-secure-transport >/dev/null
set -a
# shellcheck source=/dev/null
. "$DIR/env"
set +a
if [ "$TLS" != 1 ] || [ "$REQUIRE_SECURE_TRANSPORT" != 1 ]; then
  fail "env lacks TLS=1 / REQUIRE_SECURE_TRANSPORT=1"
fi
[ -s "$TLS_CA" ] || fail "TLS_CA ($TLS_CA) is missing"
[ "$(stat -c %a "$DIR/tls/server.key")" = 600 ] || fail "the server key is not mode 0600"
ok

user=$(sed -n 's/.*"username": *"\([^"]*\)".*/\1/p' "$ADMIN_CREDENTIALS")
pw=$(sed -n 's/.*"password": *"\([^"]*\)".*/\1/p' "$ADMIN_CREDENTIALS")
(umask 077 && printf '[client]\nuser=%s\npassword=%s\nhost=127.0.0.1\nprotocol=tcp\n' "$user" "$pw" > "$CNF")

for port in "$PRIMARY_PORT" "$REPLICA_PORT"; do
  if out=$(tcp "$port" --skip-ssl -N -e 'SELECT 1' 2>&1); then
    fail "a plain TCP login to $port worked despite --require-secure-transport"
  fi
  # MariaDB 10.11 refuses an insecure login under require_secure_transport as 1045.
  [[ $out == *"ERROR 1045"* ]] || fail "unexpected refusal on $port: $out"
  cipher=$(tcp "$port" --ssl-ca="$TLS_CA" --ssl-verify-server-cert -N -B \
    -e "SHOW SESSION STATUS LIKE 'Ssl_cipher'" | cut -f2)
  [ -n "$cipher" ] || fail "no TLS cipher on $port"
  ok
done

# Replication runs over TLS (start already proved it replicates).
ssl_allowed=$(mariadb --no-defaults -uroot --socket="$REPLICA_SOCKET" -e 'SHOW SLAVE STATUS\G' \
  | sed -n 's/^ *Master_SSL_Allowed: //p')
[ "$ssl_allowed" = Yes ] || fail "the replica does not use TLS (Master_SSL_Allowed=$ssl_allowed)"
"$PAIR" status "$DIR" >/dev/null || fail "status is not OK"
ok

# A second start and a primary restart keep TLS and replication.
"$PAIR" start "$DIR" >/dev/null
"$PAIR" restart-primary "$DIR" >/dev/null
tcp "$PRIMARY_PORT" --skip-ssl -e 'SELECT 1' >/dev/null 2>&1 && fail "TLS lost after restart"
ok

# promote: the replica becomes a writable primary, and stays one.
[ "$(socket_sql "$REPLICA_SOCKET" 'SELECT @@global.read_only')" = 1 ] || fail "replica not read-only"
"$PAIR" promote "$DIR" >/dev/null
[ "$(socket_sql "$REPLICA_SOCKET" 'SELECT @@global.read_only')" = 0 ] || fail "read_only still ON"
[ -z "$(socket_sql "$REPLICA_SOCKET" 'SHOW SLAVE STATUS')" ] || fail "replication still configured"
socket_sql "$REPLICA_SOCKET" "CREATE DATABASE promoted; CREATE USER 'writer'@'127.0.0.1' IDENTIFIED BY 'writer-pw'; GRANT ALL ON promoted.* TO 'writer'@'127.0.0.1'; CREATE TABLE promoted.t (i INT)" >/dev/null
(umask 077 && printf '[client]\nuser=writer\npassword=writer-pw\nhost=127.0.0.1\nprotocol=tcp\n' > "$BASE/writer.cnf")
mariadb --defaults-file="$BASE/writer.cnf" --port="$REPLICA_PORT" --ssl-ca="$TLS_CA" \
  -e 'INSERT INTO promoted.t VALUES (1)' || fail "a non-admin write on the promoted replica failed"
ok
out=$("$PAIR" promote "$DIR") || fail "a second promote failed"
[[ $out == *"already a writable primary"* ]] || fail "a second promote said: $out"
ok

# After the primary dies and the promoted replica restarts, it is still writable.
kill -KILL "$(cat "$DIR/primary.pid")"
"$PAIR" stop-replica "$DIR" >/dev/null
"$PAIR" start-replica "$DIR" >/dev/null
[ "$(socket_sql "$REPLICA_SOCKET" 'SELECT @@global.read_only')" = 0 ] || fail "read_only back ON after restart"
"$PAIR" status "$DIR" >/dev/null || fail "status of a promoted pair with a dead primary is not OK"
ok

echo "mariadb_pair_test: $checks checks passed in $(( $(date +%s) - t0 )) s"

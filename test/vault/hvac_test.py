#!/usr/bin/python3
"""test-vault driven by a real third-party Vault client: Debian's python3-hvac (0.11.2).

Starts its own MariaDB pair (scripts/mariadb-pair) and test-vault on free ports, then checks
KV v2 with cas, dynamic and static database credentials, renew, revoke, rotate-role and
rotate-root, AppRole login and Kubernetes login with a JWT signed here. Run by ctest as
"vault: hvac"; usage: hvac_test.py --vault build/test-vault --pair scripts/mariadb-pair
"""

import argparse
import datetime
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import hvac
import hvac.exceptions
import jwt
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

CHECKS = 0
# A login as a dropped user: 1045, or 1698 when MariaDB pretends the unknown user has another
# authentication plugin (it hides which users exist).
GONE = (1045, 1698)


def check(cond, what):
    global CHECKS
    CHECKS += 1
    if not cond:
        raise AssertionError(what)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(fn, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if fn():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


class Pair:
    """A MariaDB primary + replica from scripts/mariadb-pair."""

    def __init__(self, script, base):
        self.script = script
        self.dir = os.path.join(base, "pair")
        self.primary_port = free_port()
        self.replica_port = free_port()
        while self.replica_port == self.primary_port:
            self.replica_port = free_port()
        subprocess.run([script, "start", self.dir, "--primary-port", str(self.primary_port),
                        "--replica-port", str(self.replica_port)], check=True,
                       stdout=subprocess.DEVNULL)
        self.env = {}
        with open(os.path.join(self.dir, "env")) as f:
            for line in f:
                if "=" in line and not line.startswith("#"):
                    k, v = line.rstrip("\n").split("=", 1)
                    self.env[k] = v.strip("'")

    def sql(self, statement):
        out = subprocess.run(["mariadb", "--no-defaults", "-uroot",
                              "--socket=" + self.env["PRIMARY_SOCKET"], "-N", "-B", "-e", statement],
                             check=True, capture_output=True, text=True)
        return out.stdout

    def login(self, port, user, password):
        """0 when the login works, else the client's error number (1045, ...)."""
        fd, path = tempfile.mkstemp(prefix="hvac-login.")
        with os.fdopen(fd, "w") as f:  # the password never goes on a command line
            f.write("[client]\nuser=%s\npassword=%s\nhost=127.0.0.1\nport=%d\nprotocol=tcp\n"
                    % (user, password, port))
        try:
            r = subprocess.run(["mariadb", "--defaults-file=" + path, "-e", "SELECT 1"],
                               capture_output=True, text=True)
        finally:
            os.unlink(path)
        if r.returncode == 0:
            return 0
        return int(r.stderr.split("ERROR ", 1)[1].split(" ", 1)[0]) if "ERROR " in r.stderr else -1

    def sync_replica(self):
        pos = self.sql("SELECT @@gtid_binlog_pos").strip()
        out = subprocess.run(["mariadb", "--no-defaults", "-uroot",
                              "--socket=" + self.env["REPLICA_SOCKET"], "-N", "-B", "-e",
                              "SELECT MASTER_GTID_WAIT('%s', 30)" % pos],
                             check=True, capture_output=True, text=True)
        check(out.stdout.strip() == "0", "replica caught up")

    def stop(self):
        subprocess.run([self.script, "stop", self.dir], stdout=subprocess.DEVNULL)


class Vault:
    def __init__(self, binary, base):
        self.token = "root-" + os.urandom(12).hex()
        token_file = os.path.join(base, "root-token")
        with open(token_file, "w") as f:
            f.write(self.token + "\n")
        port_file = os.path.join(base, "port")
        self.log_path = os.path.join(base, "vault.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen([binary, "--listen", "127.0.0.1:0", "--port-file", port_file,
                                      "--root-token-file", token_file, "--log-level", "debug"],
                                     stdout=self.log, stderr=self.log)
        wait_for(lambda: os.path.exists(port_file) or self.proc.poll() is not None, 20, "test-vault")
        check(self.proc.poll() is None, "test-vault started")
        with open(port_file) as f:
            self.url = "http://127.0.0.1:%d" % int(f.read())

    def control(self, method, path, body=None):
        return requests.request(method, self.url + "/_test/" + path, json=body,
                                headers={"X-Vault-Token": self.token}, timeout=30)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=20)
        self.log.close()


def signing_material():
    """An RSA key and a self-signed certificate (hvac's configure wants certificates)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kubernetes-sa-signer")])
    now = datetime.datetime.utcnow()
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    return key, cert.public_bytes(serialization.Encoding.PEM).decode()


def sa_token(key, namespace, name):
    claims = {
        "iss": "kubernetes/serviceaccount",
        "kubernetes.io/serviceaccount/namespace": namespace,
        "kubernetes.io/serviceaccount/secret.name": name + "-token-abcde",
        "kubernetes.io/serviceaccount/service-account.name": name,
        "kubernetes.io/serviceaccount/service-account.uid": "2c8e3a1c-0000-4000-8000-00000000000a",
        "sub": "system:serviceaccount:%s:%s" % (namespace, name),
    }
    return jwt.encode(claims, key, algorithm="RS256")


def test_kv(client, vault):
    client.sys.enable_secrets_engine("kv", path="secret", options={"version": "2"})
    kv = client.secrets.kv.v2
    r = kv.create_or_update_secret(path="infralogs/agent", secret={"token": "one"}, cas=0)
    check(r["data"]["version"] == 1, "first version")
    try:
        kv.create_or_update_secret(path="infralogs/agent", secret={"token": "x"}, cas=0)
        check(False, "cas=0 on an existing key must fail")
    except hvac.exceptions.InvalidRequest as e:
        check("check-and-set parameter did not match the current version" in str(e), str(e))
    r = kv.create_or_update_secret(path="infralogs/agent", secret={"token": "two"}, cas=1)
    check(r["data"]["version"] == 2, "second version")
    kv.create_or_update_secret(path="infralogs/db", secret={"a": "b"})
    check(kv.read_secret_version(path="infralogs/agent")["data"]["data"] == {"token": "two"}, "latest")
    check(kv.read_secret_version(path="infralogs/agent", version=1)["data"]["data"] == {"token": "one"},
          "version 1")
    check(kv.read_secret_metadata(path="infralogs/agent")["data"]["current_version"] == 2, "metadata")
    check(kv.list_secrets(path="infralogs")["data"]["keys"] == ["agent", "db"], "LIST verb")
    strict = hvac.Client(url=vault.url, token=vault.token, strict_http=True)
    check(strict.secrets.kv.v2.list_secrets(path="infralogs")["data"]["keys"] == ["agent", "db"],
          "GET ?list=true")
    kv.delete_latest_version_of_secret(path="infralogs/agent")
    try:
        kv.read_secret_version(path="infralogs/agent")
        check(False, "reading a deleted version must fail")
    except hvac.exceptions.InvalidPath:
        pass
    kv.undelete_secret_versions(path="infralogs/agent", versions=[2])
    check(kv.read_secret_version(path="infralogs/agent")["data"]["data"] == {"token": "two"}, "undeleted")
    methods = [(r["method"], r["path"]) for r in vault.control("GET", "requests").json()["requests"]]
    check(("LIST", "/v1/secret/metadata/infralogs") in methods, "LIST logged")
    check(("GET", "/v1/secret/metadata/infralogs") not in methods, "LIST not logged as GET")


def test_database(client, vault, pair):
    pair.sql("CREATE USER 'vaultadmin'@'%' IDENTIFIED BY 'hvac-admin-pw'; "
             "GRANT ALL PRIVILEGES ON *.* TO 'vaultadmin'@'%' WITH GRANT OPTION; "
             "CREATE DATABASE hvac_test; CREATE OR REPLACE USER 'static_u'@'%' IDENTIFIED BY 'start-pw'")
    client.sys.enable_secrets_engine("database", path="database")
    db = client.secrets.database
    db.configure(name="pair", plugin_name="mysql-database-plugin",
                 connection_url="{{username}}:{{password}}@tcp(127.0.0.1:%d)/" % pair.primary_port,
                 allowed_roles=["*"], username="vaultadmin", password="hvac-admin-pw")
    db.create_role(name="reader", db_name="pair",
                   creation_statements=["CREATE USER '{{name}}'@'%' IDENTIFIED BY '{{password}}';"
                                        "GRANT SELECT ON hvac_test.* TO '{{name}}'@'%';"],
                   default_ttl="1h", max_ttl="24h")
    creds = db.generate_credentials(name="reader")
    user, pw, lease = creds["data"]["username"], creds["data"]["password"], creds["lease_id"]
    check(creds["lease_duration"] == 3600 and creds["renewable"], "creds lease")
    check(pair.login(pair.primary_port, user, pw) == 0, "dynamic user logs in on the primary")
    pair.sync_replica()
    check(pair.login(pair.replica_port, user, pw) == 0, "dynamic user logs in on the replica")
    renewed = client.sys.renew_lease(lease_id=lease)
    check(renewed["lease_id"] == lease and renewed["lease_duration"] == 3600, "renew_lease")
    check(client.sys.read_lease(lease_id=lease)["data"]["renewable"], "read_lease")
    r = client.sys.revoke_lease(lease_id=lease)
    check(r.status_code == 204, "revoke_lease is 204")
    check(pair.login(pair.primary_port, user, pw) in GONE, "revoked user refused")

    db.create_static_role(name="static", db_name="pair", username="static_u",
                          rotation_statements=["ALTER USER '{{name}}'@'%' IDENTIFIED BY '{{password}}';"],
                          rotation_period=86400)
    s1 = db.get_static_credentials(name="static")["data"]
    check(s1["username"] == "static_u" and 0 < s1["ttl"] <= 86400, "static creds")
    check(pair.login(pair.primary_port, "static_u", "start-pw") == 1045, "rotated at creation")
    check(pair.login(pair.primary_port, "static_u", s1["password"]) == 0, "static password works")
    r = client.write("database/rotate-role/static")
    check(r.status_code == 204, "rotate-role is 204")
    s2 = db.get_static_credentials(name="static")["data"]
    check(s2["password"] != s1["password"], "rotate-role changed the password")
    check(pair.login(pair.primary_port, "static_u", s1["password"]) == 1045, "old password refused")
    check(pair.login(pair.primary_port, "static_u", s2["password"]) == 0, "new password works")

    check(db.rotate_root_credentials(name="pair").status_code == 204, "rotate_root_credentials")
    check(pair.login(pair.primary_port, "vaultadmin", "hvac-admin-pw") == 1045, "old root password refused")
    after = db.generate_credentials(name="reader")["data"]
    check(pair.login(pair.primary_port, after["username"], after["password"]) == 0, "creds after rotate-root")
    try:
        db.generate_credentials(name="nope")
        check(False, "unknown role must fail")
    except hvac.exceptions.InvalidRequest as e:
        check("unknown role: nope" in str(e), str(e))


def test_approle(client, vault, pair):
    client.sys.create_or_update_policy(name="collect", policy='path "database/creds/reader" { capabilities = ["read"] }')
    client.sys.enable_auth_method("approle")
    client.write("auth/approle/role/collect", token_policies="collect", token_ttl="20m")
    role_id = client.auth.approle.read_role_id(role_name="collect")["data"]["role_id"]
    secret_id = client.auth.approle.generate_secret_id(role_name="collect")["data"]["secret_id"]
    app = hvac.Client(url=vault.url)
    auth = app.auth.approle.login(role_id=role_id, secret_id=secret_id)
    check(auth["auth"]["policies"] == ["collect", "default"], "approle policies")
    check(app.token == auth["auth"]["client_token"], "hvac keeps the token")
    check(app.auth.token.lookup_self()["data"]["display_name"] == "approle", "approle display name")
    creds = app.secrets.database.generate_credentials(name="reader")
    check(creds["data"]["username"].startswith("v-approle-reader-"), creds["data"]["username"])
    check(pair.login(pair.primary_port, creds["data"]["username"], creds["data"]["password"]) == 0,
          "approle creds log in")
    app.auth.token.revoke_self()
    check(pair.login(pair.primary_port, creds["data"]["username"], creds["data"]["password"]) in GONE,
          "revoking the token revoked its lease")
    try:
        hvac.Client(url=vault.url).auth.approle.login(role_id=role_id, secret_id="wrong")
        check(False, "a wrong secret_id must fail")
    except hvac.exceptions.InvalidRequest as e:
        check("invalid role or secret ID" in str(e), str(e))


def test_kubernetes(client, vault):
    key, cert = signing_material()
    client.sys.enable_auth_method("kubernetes")
    client.auth.kubernetes.configure(kubernetes_host="https://kubernetes.default.svc", pem_keys=[cert])
    client.auth.kubernetes.create_role(name="infralogs", bound_service_account_names=["infralogs"],
                                       bound_service_account_namespaces=["logging"],
                                       policies=["collect"], ttl="1h")
    k8s = hvac.Client(url=vault.url)
    auth = k8s.auth.kubernetes.login(role="infralogs", jwt=sa_token(key, "logging", "infralogs"))
    check(auth["auth"]["lease_duration"] == 3600, "kubernetes token ttl")
    check(auth["auth"]["metadata"]["service_account_namespace"] == "logging", "kubernetes metadata")
    check(k8s.auth.token.lookup_self()["data"]["display_name"] == "kubernetes-logging-infralogs",
          "kubernetes display name")
    check(k8s.auth.token.renew_self()["auth"]["lease_duration"] == 3600, "renew_self")
    other_key, _ = signing_material()
    try:
        hvac.Client(url=vault.url).auth.kubernetes.login(role="infralogs",
                                                         jwt=sa_token(other_key, "logging", "infralogs"))
        check(False, "a JWT signed by another key must fail")
    except hvac.exceptions.Forbidden as e:
        check("permission denied" in str(e), str(e))


def test_faults(client, vault):
    vault.control("POST", "faults", {"kind": "sealed", "path_prefix": "secret/", "count": 1})
    try:
        client.secrets.kv.v2.read_secret_version(path="infralogs/db")
        check(False, "sealed must fail")
    except hvac.exceptions.VaultDown as e:
        check("Vault is sealed" in str(e), str(e))
    vault.control("POST", "faults", {"kind": "rate_limit", "path_prefix": "secret/", "count": 1, "retry_after": 3})
    try:
        client.secrets.kv.v2.read_secret_version(path="infralogs/db")
        check(False, "rate limit must fail")
    except hvac.exceptions.RateLimitExceeded as e:
        check("rate limit quota exceeded" in str(e), str(e))
    check(client.secrets.kv.v2.read_secret_version(path="infralogs/db")["data"]["data"] == {"a": "b"},
          "faults limited to their count")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--vault", required=True)
    parser.add_argument("--pair", required=True)
    args = parser.parse_args()
    t0 = time.monotonic()
    base = tempfile.mkdtemp(prefix="hvac-test.")
    pair = vault = None
    try:
        pair = Pair(args.pair, base)
        vault = Vault(args.vault, base)
        client = hvac.Client(url=vault.url, token=vault.token)
        for name, fn in [("kv", lambda: test_kv(client, vault)),
                         ("database", lambda: test_database(client, vault, pair)),
                         ("approle", lambda: test_approle(client, vault, pair)),
                         ("kubernetes", lambda: test_kubernetes(client, vault)),
                         ("faults", lambda: test_faults(client, vault))]:
            fn()
            print("hvac_test: %s ok" % name)
        with open(vault.log_path) as f:
            log = f.read()
        check("hvac-admin-pw" not in log and vault.token not in log, "no secrets in the log")
        print("hvac_test: %d checks passed in %.1f s (hvac %s)"
              % (CHECKS, time.monotonic() - t0, getattr(hvac, "__version__", "0.11")))
        return 0
    except Exception:
        if vault is not None:
            vault.log.flush()
            with open(vault.log_path) as f:
                sys.stderr.write("--- test-vault log (tail) ---\n" + "".join(f.readlines()[-40:]))
        raise
    finally:
        if vault is not None:
            vault.stop()
        if pair is not None:
            pair.stop()
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

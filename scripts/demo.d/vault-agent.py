#!/usr/bin/python3
"""scripts/demo.d/vault-agent.py: the demo's stand-in for Vault Agent (auto-auth + template).

Logs in with AppRole, reads a database secret (static-creds or creds) every --interval seconds
and, when the username or password changed, renders
  --json-out FILE   {"username", "password"}, what infralogs serve/query take as
                    --db-credentials-file (a watched sidecar file), and
  --cnf-out FILE    a MariaDB client option file ([client] host, port, user, password),
each mode 0600 through a temporary file in the same directory and rename, so a reader sees the
old file or the new one, never half of one. Logs one line per render and per failure on stderr,
naming the path, the user and Vault's last_vault_rotation; never a password, token or secret
ID. While Vault cannot be read the files are left as they are. Stops on SIGTERM or SIGINT.
--once renders once and exits (1 when that fails).
"""

import argparse
import hashlib
import json
import os
import signal
import sys
import time

import hvac
import requests


def log(msg):
    print(f"vault-agent: {time.strftime('%H:%M:%S')} {msg}", file=sys.stderr, flush=True)


def read_file(path):
    with open(path, encoding="utf-8") as f:
        return f.read().strip()


def render(path, text):
    """Writes `text` to `path` (mode 0600) through `path`.tmp + fsync + rename."""
    tmp = os.path.join(os.path.dirname(os.path.abspath(path)), "." + os.path.basename(path) + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.rename(tmp, path)


def cnf_value(v):
    # Option-file values are read up to the end of the line; quotes keep '#' and spaces. Vault's
    # default passwords are [a-zA-Z0-9-], so this never has to escape.
    return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Agent:
    def __init__(self, a):
        self.a = a
        self.client = hvac.Client(url=a.addr, timeout=10)
        self.token_expires = 0.0
        self.rendered = None  # digest of the credentials last rendered

    def login(self):
        auth = self.client.auth.approle.login(role_id=read_file(self.a.role_id_file),
                                              secret_id=read_file(self.a.secret_id_file))
        # hvac keeps the token in the client; renew by logging in again at 2/3 of its TTL.
        self.token_expires = time.monotonic() + auth["auth"]["lease_duration"] * 2 / 3
        log(f"logged in with AppRole (token ttl {auth['auth']['lease_duration']} s)")

    def step(self):
        """One read and maybe a render. Returns True on success."""
        try:
            if time.monotonic() >= self.token_expires:
                self.login()
            data = self.client.read(self.a.path)["data"]
        except (hvac.exceptions.VaultError, requests.exceptions.RequestException, OSError,
                KeyError, TypeError) as e:
            # The exception's text is Vault's error list or a connection error, never a secret.
            if isinstance(e, hvac.exceptions.Forbidden):
                self.token_expires = 0.0  # log in again next time
            first_line = (str(e).splitlines() or [""])[0]
            log(f"cannot read {self.a.path}: {type(e).__name__}: {first_line}")
            return False
        user, password = data["username"], data["password"]
        digest = hashlib.sha256((user + "\0" + password).encode()).hexdigest()
        if digest == self.rendered:
            return True
        render(self.a.json_out, json.dumps({"username": user, "password": password}) + "\n")
        if self.a.cnf_out:
            render(self.a.cnf_out,
                   f"[client]\nhost=127.0.0.1\nport={self.a.cnf_port}\n"
                   f"user={cnf_value(user)}\npassword={cnf_value(password)}\n")
        self.rendered = digest
        log(f"rendered {self.a.json_out} from {self.a.path} (user {user}, last_vault_rotation "
            f"{data.get('last_vault_rotation', '-')})")
        return True


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--addr", required=True)
    ap.add_argument("--role-id-file", required=True)
    ap.add_argument("--secret-id-file", required=True)
    ap.add_argument("--path", required=True, help="e.g. database/static-creds/infralogs-read")
    ap.add_argument("--json-out", required=True)
    ap.add_argument("--cnf-out")
    ap.add_argument("--cnf-port", type=int, default=3306)
    ap.add_argument("--interval", type=float, default=2.0)
    ap.add_argument("--once", action="store_true")
    a = ap.parse_args()

    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
    signal.signal(signal.SIGINT, lambda *_: stopping.append(1))
    agent = Agent(a)
    if a.once:
        sys.exit(0 if agent.step() else 1)
    backoff = a.interval
    while not stopping:
        ok = agent.step()
        backoff = a.interval if ok else min(backoff * 2, 30.0)
        deadline = time.monotonic() + backoff
        while not stopping and time.monotonic() < deadline:
            time.sleep(0.1)
    log("stopped")


if __name__ == "__main__":
    main()

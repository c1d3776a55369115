#!/usr/bin/python3
"""scripts/demo.d/vault-setup.py: configure the demo's build/test-vault as docs/vault.md sets up
a real Vault for infralogs, with the root token, through python3-hvac (Debian).

  - the database engine at database/, connection infralogs-primary to the demo's MariaDB primary
    as the pair's admin account (DIR/admin.json of scripts/mariadb-pair);
  - infralogs-collect: a dynamic role, the collector's writer (grants from scripts/sql/grants.sql);
  - infralogs-read: a static role for the existing account infralogs_read (the dashboard's and
    query's reader, delivered as a rendered file by scripts/demo.d/vault-agent.py);
  - infralogs-rotate: a static role for the existing account infralogs_rotator, rotate-creds'
    own account (it records rotations in credential_events);
  - policies and AppRole roles infralogs-collect, infralogs-read (the demo's Vault Agent) and
    infralogs-rotate (rotate-creds --static-role infralogs-read);
  - each AppRole's role_id and secret_id in OUT/approle/ROLE/{role-id,secret-id}, mode 0600.

Secrets are read from files and written to files; nothing secret goes to stdout, stderr or a
command line. Usage:
  vault-setup.py --addr URL --root-token-file F --admin-credentials F --primary-port P
                 --grants scripts/sql/grants.sql --out DIR [--lease-ttl S] [--lease-max-ttl S]
"""

import argparse
import json
import os
import re
import sys

import hvac

DB_MOUNT = "database"
CONNECTION = "infralogs-primary"
COLLECT_ROLE = "infralogs-collect"
READ_ROLE = "infralogs-read"
READ_USER = "infralogs_read"
# rotate-creds' own database account (docs/vault.md: database/static-creds/infralogs-rotate),
# which records its rotations in credential_events where that table exists.
ROTATE_ROLE = "infralogs-rotate"
ROTATE_USER = "infralogs_rotator"
# The account scripts/demo creates for the reader, with grants.sql's reader grants. The static
# role's statements must name the same host part, or ALTER USER would miss the account.
READ_HOST = "127.0.0.1"

# The agents' API tokens (KV v2): rotate-creds --agent-tokens keeps {"current", "previous"}.
AGENT_TOKENS = "secret/data/infralogs/agent-tokens"

POLICIES = {
    "infralogs-collect": f"""
path "{DB_MOUNT}/creds/{COLLECT_ROLE}" {{ capabilities = ["read"] }}
path "sys/leases/renew"  {{ capabilities = ["update"] }}
path "sys/leases/revoke" {{ capabilities = ["update"] }}
""",
    "infralogs-read": f"""
path "{DB_MOUNT}/static-creds/{READ_ROLE}" {{ capabilities = ["read"] }}
""",
    # The agents read their API tokens; the demo's Vault Agent stand-in renders `current` for
    # the collector with the same role.
    "infralogs-agent": f"""
path "{AGENT_TOKENS}" {{ capabilities = ["read"] }}
""",
    "infralogs-rotate": f"""
path "{AGENT_TOKENS}" {{ capabilities = ["create", "read", "update"] }}
path "{DB_MOUNT}/rotate-role/{READ_ROLE}"  {{ capabilities = ["update"] }}
path "{DB_MOUNT}/static-creds/{READ_ROLE}" {{ capabilities = ["read"] }}
path "{DB_MOUNT}/static-creds/{ROTATE_ROLE}" {{ capabilities = ["read"] }}
""",
}


def read_secret(path):
    with open(path, encoding="utf-8") as f:
        value = f.read().strip()
    if not value:
        sys.exit(f"vault-setup: {path} is empty")
    return value


def write_secret(path, value):
    """Writes `value` to `path` with mode 0600 through a temporary file and rename."""
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(value + "\n")
    os.rename(tmp, path)


def collector_statements(grants_path, db):
    """CREATE USER plus every collector line of grants.sql, for {{name}}@'%'.

    Built from grants.sql rather than copied so that a new table's grant reaches the demo's
    dynamic users too. Comments are dropped: the engine splits statements on ';'."""
    who = "'{{name}}'@'%'"
    statements = ["CREATE USER " + who + " IDENTIFIED BY '{{password}}'"]
    with open(grants_path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("--") or "@COLLECTOR@" not in line:
                continue
            statements.append(line.rstrip(";").replace("@DB@", db).replace("@COLLECTOR@", who))
    if len(statements) == 1:
        sys.exit(f"vault-setup: no @COLLECTOR@ grants in {grants_path}")
    return statements


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--addr", required=True)
    ap.add_argument("--root-token-file", required=True)
    ap.add_argument("--admin-credentials", required=True)
    ap.add_argument("--primary-port", type=int, required=True)
    ap.add_argument("--grants", required=True)
    ap.add_argument("--database", default="infralogs")
    ap.add_argument("--out", required=True)
    ap.add_argument("--lease-ttl", type=int, default=600, help="collector lease default_ttl (s)")
    ap.add_argument("--lease-max-ttl", type=int, default=3600, help="collector lease max_ttl (s)")
    a = ap.parse_args()
    if not re.fullmatch(r"[A-Za-z0-9_]+", a.database):
        sys.exit(f"vault-setup: --database {a.database}: want letters, digits and _")

    client = hvac.Client(url=a.addr, token=read_secret(a.root_token_file))
    with open(a.admin_credentials, encoding="utf-8") as f:
        admin = json.load(f)

    client.sys.enable_secrets_engine("database", path=DB_MOUNT)
    client.sys.enable_secrets_engine("kv", path="secret", options={"version": "2"})
    client.write(f"{DB_MOUNT}/config/{CONNECTION}",
                 plugin_name="mysql-database-plugin",
                 connection_url=f"{{{{username}}}}:{{{{password}}}}@tcp(127.0.0.1:{a.primary_port})/",
                 username=admin["username"], password=admin["password"],
                 allowed_roles=f"{COLLECT_ROLE},{READ_ROLE},{ROTATE_ROLE}")
    client.write(f"{DB_MOUNT}/roles/{COLLECT_ROLE}", db_name=CONNECTION,
                 creation_statements=collector_statements(a.grants, a.database),
                 default_ttl=a.lease_ttl, max_ttl=a.lease_max_ttl)
    # The password is rotated when the role is created: from here on only Vault knows it. The
    # demo's rotate-creds loop rotates it again; the period is only a backstop.
    client.write(f"{DB_MOUNT}/static-roles/{READ_ROLE}", db_name=CONNECTION, username=READ_USER,
                 rotation_statements=[f"ALTER USER '{{{{username}}}}'@'{READ_HOST}' "
                                      "IDENTIFIED BY '{{password}}'"],
                 rotation_period="24h")
    client.write(f"{DB_MOUNT}/static-roles/{ROTATE_ROLE}", db_name=CONNECTION,
                 username=ROTATE_USER,
                 rotation_statements=[f"ALTER USER '{{{{username}}}}'@'{READ_HOST}' "
                                      "IDENTIFIED BY '{{password}}'"],
                 rotation_period="24h")

    for name, text in POLICIES.items():
        client.sys.create_or_update_policy(name=name, policy=text)
    client.sys.enable_auth_method("approle")
    ttls = {"infralogs-collect": ("20m", "2h"), "infralogs-read": ("20m", "2h"),
            "infralogs-rotate": ("5m", "15m"), "infralogs-agent": ("20m", "2h")}
    for name, (ttl, max_ttl) in ttls.items():
        client.write(f"auth/approle/role/{name}", token_policies=name, token_ttl=ttl,
                     token_max_ttl=max_ttl)
        role_id = client.auth.approle.read_role_id(role_name=name)["data"]["role_id"]
        secret_id = client.auth.approle.generate_secret_id(role_name=name)["data"]["secret_id"]
        d = os.path.join(a.out, "approle", name)
        os.makedirs(d, mode=0o700, exist_ok=True)
        write_secret(os.path.join(d, "role-id"), role_id)
        write_secret(os.path.join(d, "secret-id"), secret_id)
    print(f"vault-setup: {DB_MOUNT}/ -> 127.0.0.1:{a.primary_port} as {admin['username']}; "
          f"dynamic role {COLLECT_ROLE} (ttl {a.lease_ttl} s, max {a.lease_max_ttl} s), "
          f"static roles {READ_ROLE} (user {READ_USER}) and {ROTATE_ROLE} (user {ROTATE_USER}); "
          f"KV v2 at secret/ for the agents' tokens ({AGENT_TOKENS}); AppRole roles {', '.join(ttls)}")


if __name__ == "__main__":
    main()

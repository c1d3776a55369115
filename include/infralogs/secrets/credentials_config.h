#pragma once
// CredentialsConfig: what a mode's flags say about where its database credentials come from
// (docs/vault.md "infralogs client" lists the flags), and make_credential_source(), which
// builds and starts the matching source. modes/ fill the struct; this component does not see
// CLI11 (docs/architecture.md), so the flags are registered by the modes.

#include <chrono>
#include <memory>
#include <string>

#include "infralogs/core/status.h"
#include "infralogs/secrets/credential_source.h"
#include "infralogs/secrets/vault_auth.h"
#include "infralogs/secrets/vault_client.h"

namespace infralogs::secrets {

struct CredentialsConfig {
  // --db-credentials-file: a JSON file (Vault Agent sidecar), watched with inotify. Used when
  // vault_addr is empty.
  std::string credentials_file;
  // --vault-addr (env VAULT_ADDR): "http(s)://host:port"; set to read from Vault.
  std::string vault_addr;
  std::string vault_ca;         // --vault-ca: PEM of Vault's CA (https)
  std::string vault_namespace;  // --vault-namespace: X-Vault-Namespace
  // --vault-auth: "token" (vault_token_file), "approle" or "kubernetes".
  std::string vault_auth = "token";
  std::string vault_role;  // --vault-role: the Kubernetes auth role
  // --vault-token-file (Vault Agent's token sink or an operator's file).
  std::string vault_token_file;
  std::string approle_role_id_file;    // --vault-approle-role-id-file
  std::string approle_secret_id_file;  // --vault-approle-secret-id-file
  // The service account JWT for kubernetes auth.
  std::string kubernetes_jwt_file = "/var/run/secrets/kubernetes.io/serviceaccount/token";
  std::string approle_mount = "approle";
  std::string kubernetes_mount = "kubernetes";
  // --db-creds-path: "database/creds/ROLE" (dynamic), "database/static-creds/ROLE" (static) or
  // "kv:MOUNT/PATH" (KV v2 at MOUNT/data/PATH). Any database mount path works; the kind is
  // told by the "creds/" or "static-creds/" segment.
  std::string db_creds_path;
  // How often static and KV secrets are re-read without other reason.
  std::chrono::milliseconds poll_interval{30000};
};

// Ok when --vault-auth is token, approle or kubernetes and the material it needs is named;
// kInvalidArgument naming the flag otherwise.
Status check_vault_auth(const CredentialsConfig& config);

// Ok when `path` is database/.../creds/ROLE, database/.../static-creds/ROLE or kv:MOUNT/PATH;
// kInvalidArgument naming --db-creds-path otherwise.
Status check_db_creds_path(const std::string& path);

// A Vault client logged in with the config's auth, its token kept valid by `tokens` (renewed,
// re-acquired) until destroyed. For modes that talk to Vault beyond their database credentials
// (rotate-creds, the agent's KV tokens). `tokens` refers to `client`: it is destroyed first.
struct VaultSession {
  std::unique_ptr<VaultClient> client;
  std::unique_ptr<VaultTokenManager> tokens;
  ~VaultSession() { tokens.reset(); }
};

// Builds the client and the token manager without logging in: kInvalidArgument when
// vault_addr or the auth material is missing (check_vault_auth), or the address or CA file is
// bad. Call tokens->start() to log in (it starts the token thread).
Result<std::unique_ptr<VaultSession>> make_vault_session(const CredentialsConfig& config);

// Checks the config (kInvalidArgument naming the flag), builds the source, obtains the first
// credentials (kUnavailable / kPermissionDenied naming the Vault path when Vault is down,
// sealed or denies) and starts its refresh thread. `listener` may be null; it must outlive the
// source.
Result<std::unique_ptr<CredentialSource>> make_credential_source(const CredentialsConfig& config,
                                                                 RotationListener* listener);

}  // namespace infralogs::secrets

#include "credentials_options.h"

#include <pthread.h>
#include <signal.h>

namespace infralogs::modes {
namespace {

const char* const kGroup = "Credentials";

// The sources and the token manager start threads. SIGTERM and SIGINT must reach the mode's
// SignalWatcher, which may be constructed later (and blocks them only in threads started after
// it), so the threads started here are born with them blocked: a thread inherits its creator's
// mask. Restores the caller's mask when destroyed.
class BlockStopSignals {
 public:
  BlockStopSignals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, &saved_);
  }
  ~BlockStopSignals() { pthread_sigmask(SIG_SETMASK, &saved_, nullptr); }

 private:
  sigset_t saved_;
};

}  // namespace

void add_credentials_options(CLI::App* sub, secrets::CredentialsConfig* c,
                             const CredentialsFlagsOptions& o) {
  std::string role = o.role_help.empty() ? "" : " (" + o.role_help + ")";
  if (o.database_flags)
    sub->add_option("--db-credentials-file", c->credentials_file,
                    "JSON {\"username\", \"password\"} (or a Vault Agent's .Data / .Data.data "
                    "rendering), re-read when it is replaced" +
                        role + ". Used when --vault-addr is not set.")
        ->envname("INFRALOGS_DB_CREDENTIALS_FILE")
        ->group(kGroup);
  sub->add_option("--vault-addr", c->vault_addr,
                  std::string(o.database_flags ? "Read the database credentials" : "Read secrets") +
                      role + " from Vault at http(s)://HOST:PORT.")
      ->envname("VAULT_ADDR")
      ->group(kGroup);
  sub->add_option("--vault-ca", c->vault_ca, "PEM file of the CA of Vault's certificate.")
      ->envname("VAULT_CACERT")
      ->check(CLI::ExistingFile)
      ->group(kGroup);
  sub->add_option("--vault-namespace", c->vault_namespace, "Sent as X-Vault-Namespace.")
      ->envname("VAULT_NAMESPACE")
      ->group(kGroup);
  sub->add_option("--vault-auth", c->vault_auth,
                  "How to log in to Vault: token (--vault-token-file), approle or kubernetes.")
      ->capture_default_str()
      ->group(kGroup);
  sub->add_option("--vault-role", c->vault_role,
                  "Kubernetes auth role (the service account token is read from " +
                      c->kubernetes_jwt_file + ").")
      ->group(kGroup);
  sub->add_option("--vault-token-file", c->vault_token_file,
                  "File holding a Vault token (e.g. Vault Agent's sink), re-read when it changes.")
      ->envname("VAULT_TOKEN_FILE")
      ->group(kGroup);
  sub->add_option("--vault-approle-role-id-file", c->approle_role_id_file,
                  "AppRole role_id, read at each login.")
      ->group(kGroup);
  sub->add_option("--vault-approle-secret-id-file", c->approle_secret_id_file,
                  "AppRole secret_id, read at each login.")
      ->group(kGroup);
  if (!o.database_flags) return;
  sub->add_option("--db-creds-path", c->db_creds_path,
                  "With --vault-addr: database/creds/ROLE (dynamic), database/static-creds/ROLE "
                  "(static) or kv:MOUNT/PATH (KV v2), e.g. " +
                      o.example_creds_path + ".")
      ->group(kGroup);
}

Status check_credentials_config(const secrets::CredentialsConfig& c, bool database_required) {
  if (c.vault_addr.empty()) {
    bool vault_flags = !c.db_creds_path.empty() || !c.vault_token_file.empty() ||
                       !c.vault_role.empty() || !c.approle_role_id_file.empty() ||
                       !c.approle_secret_id_file.empty() || !c.vault_ca.empty() ||
                       !c.vault_namespace.empty();
    if (vault_flags)
      return Status::invalid_argument("the --vault-* and --db-creds-path flags need --vault-addr");
    if (database_required && c.credentials_file.empty())
      return Status::invalid_argument("set --db-credentials-file or --vault-addr");
    return Status::ok();
  }
  if (!c.credentials_file.empty())
    return Status::invalid_argument(
        "--db-credentials-file and --vault-addr are exclusive: pick one source");
  if (c.vault_addr.rfind("http://", 0) != 0 && c.vault_addr.rfind("https://", 0) != 0)
    return Status::invalid_argument("--vault-addr " + c.vault_addr + ": want http(s)://HOST:PORT");
  Status s = secrets::check_vault_auth(c);
  if (!s.is_ok()) return s;
  if (c.db_creds_path.empty()) {
    if (database_required) return Status::invalid_argument("--vault-addr needs --db-creds-path");
    return Status::ok();
  }
  return secrets::check_db_creds_path(c.db_creds_path);
}

Result<std::unique_ptr<secrets::CredentialSource>> open_credentials(
    const secrets::CredentialsConfig& config, secrets::RotationListener* listener) {
  Status s = check_credentials_config(config, true);
  if (!s.is_ok()) return s;
  BlockStopSignals blocked;
  Result<std::unique_ptr<secrets::CredentialSource>> src =
      secrets::make_credential_source(config, listener);
  // A file that is missing or malformed is kInvalidArgument from the source; Vault being down,
  // sealed or denying is not. Both keep their codes.
  return src;
}

Result<std::unique_ptr<VaultSession>> open_vault_session(const secrets::CredentialsConfig& c) {
  Result<std::unique_ptr<VaultSession>> session = secrets::make_vault_session(c);
  if (!session) return session;
  BlockStopSignals blocked;
  Status s = (*session)->tokens->start();
  // A login refused is not a usage error: report it as a runtime failure.
  if (!s.is_ok())
    return s.code() == StatusCode::kInvalidArgument ? Status::permission_denied(s.message()) : s;
  return session;
}

int credentials_exit_code(const Status& status) {
  return status.code() == StatusCode::kInvalidArgument ? 2 : 1;
}

}  // namespace infralogs::modes

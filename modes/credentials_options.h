#pragma once
// The database-credential flags every mode shares (docs/modes.md "Credential flags",
// docs/vault.md "infralogs client"): a sidecar file (--db-credentials-file) or Vault
// (--vault-addr, auth, --db-creds-path). add_credentials_options() registers them on a
// subcommand and fills a secrets::CredentialsConfig at parse time; open_credentials() checks the
// result and builds the started source. A mode calls the two and nothing else.

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "infralogs/core/status.h"
#include "infralogs/secrets/credential_source.h"
#include "infralogs/secrets/credentials_config.h"

namespace infralogs::modes {

struct CredentialsFlagsOptions {
  // Shown in --help: which role this mode's credentials are (e.g. "the writer on the primary").
  std::string role_help;
  // The --db-creds-path shown as an example in --help.
  std::string example_creds_path = "database/creds/ROLE";
  // Whether the mode needs database credentials at all (rotate-creds with --static-role does
  // not: it only needs Vault).
  bool database_required = true;
  // Whether to register --db-credentials-file and --db-creds-path (the agent uses Vault only
  // for its API tokens: false).
  bool database_flags = true;
};

// Registers --db-credentials-file (env INFRALOGS_DB_CREDENTIALS_FILE), --vault-addr (env
// VAULT_ADDR), --vault-ca (env VAULT_CACERT), --vault-namespace (env VAULT_NAMESPACE),
// --vault-auth, --vault-role, --vault-token-file (env VAULT_TOKEN_FILE),
// --vault-approle-role-id-file, --vault-approle-secret-id-file and --db-creds-path in the group
// "Credentials". `config` must outlive the parse.
void add_credentials_options(CLI::App* sub, secrets::CredentialsConfig* config,
                             const CredentialsFlagsOptions& options = {});

// The usage checks (kInvalidArgument naming the flag): one of --db-credentials-file and
// --vault-addr (not both) when `database_required`; with --vault-addr, --db-creds-path of a known
// shape and the material --vault-auth needs; the Vault flags only with --vault-addr.
Status check_credentials_config(const secrets::CredentialsConfig& config, bool database_required);

// check_credentials_config, then secrets::make_credential_source. kInvalidArgument is a usage
// error (exit 2, see credentials_exit_code); anything else a runtime failure (Vault down: exit 1).
Result<std::unique_ptr<secrets::CredentialSource>> open_credentials(
    const secrets::CredentialsConfig& config, secrets::RotationListener* listener = nullptr);

// secrets::make_vault_session, then the login, with SIGTERM/SIGINT blocked in the threads it starts
// (so they reach the mode's SignalWatcher). A login refused is kPermissionDenied, not a usage
// error.
using VaultSession = secrets::VaultSession;
// kInvalidArgument (usage) when --vault-addr or the auth material is missing; the login's error
// otherwise.
Result<std::unique_ptr<VaultSession>> open_vault_session(const secrets::CredentialsConfig& config);

// 2 for kInvalidArgument (bad usage), 1 otherwise.
int credentials_exit_code(const Status& status);

}  // namespace infralogs::modes

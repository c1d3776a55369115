#include "infralogs/secrets/credentials_config.h"

#include "infralogs/secrets/vault_auth.h"
#include "infralogs/secrets/vault_client.h"
#include "infralogs/secrets/vault_credential_source.h"
#include "infralogs/secrets/watched_file_credential_source.h"

namespace infralogs::secrets {
namespace {

// Owns the client and the token manager the source uses; destroyed source first.
class OwningVaultSource : public CredentialSource {
 public:
  std::unique_ptr<VaultClient> client;
  std::unique_ptr<VaultTokenManager> tokens;
  std::unique_ptr<VaultCredentialSource> source;

  ~OwningVaultSource() override {
    source.reset();
    tokens.reset();
  }
  Result<Credentials> current() override { return source->current(); }
  Result<Credentials> refresh_after_auth_failure() override {
    return source->refresh_after_auth_failure();
  }
  CredentialInfo info() const override { return source->info(); }
};

Status parse_creds_path(const std::string& p, VaultSourceOptions* out) {
  if (p.rfind("kv:", 0) == 0) {
    std::string rest = p.substr(3);
    size_t slash = rest.find('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 == rest.size())
      return Status::invalid_argument("--db-creds-path " + p + ": want kv:MOUNT/PATH");
    out->kind = VaultSecretKind::kKv;
    out->path = rest.substr(0, slash) + "/data/" + rest.substr(slash + 1);
    return Status::ok();
  }
  if (p.find("/static-creds/") != std::string::npos) {
    out->kind = VaultSecretKind::kStatic;
  } else if (p.find("/creds/") != std::string::npos) {
    out->kind = VaultSecretKind::kDynamic;
  } else {
    return Status::invalid_argument(
        "--db-creds-path " + p +
        ": want database/creds/ROLE, database/static-creds/ROLE or kv:MOUNT/PATH");
  }
  out->path = p;
  return Status::ok();
}

}  // namespace

Result<std::unique_ptr<CredentialSource>> make_credential_source(const CredentialsConfig& config,
                                                                 RotationListener* listener) {
  if (config.vault_addr.empty()) {
    if (config.credentials_file.empty())
      return Status::invalid_argument("set --db-credentials-file or --vault-addr");
    auto src = std::make_unique<WatchedFileCredentialSource>(config.credentials_file, listener);
    Status s = src->start();
    if (!s.is_ok()) return s;
    return std::unique_ptr<CredentialSource>(std::move(src));
  }
  VaultSourceOptions so;
  if (config.db_creds_path.empty())
    return Status::invalid_argument("--vault-addr needs --db-creds-path");
  Status s = parse_creds_path(config.db_creds_path, &so);
  if (!s.is_ok()) return s;
  so.poll_interval = config.poll_interval;

  std::unique_ptr<VaultAuth> auth;
  if (config.vault_auth == "token") {
    if (config.vault_token_file.empty())
      return Status::invalid_argument("--vault-auth token needs --vault-token-file");
    auth = make_token_file_auth(config.vault_token_file);
  } else if (config.vault_auth == "approle") {
    if (config.approle_role_id_file.empty() || config.approle_secret_id_file.empty())
      return Status::invalid_argument(
          "--vault-auth approle needs --vault-approle-role-id-file and "
          "--vault-approle-secret-id-file");
    auth = make_approle_auth(config.approle_role_id_file, config.approle_secret_id_file,
                             config.approle_mount);
  } else if (config.vault_auth == "kubernetes") {
    if (config.vault_role.empty())
      return Status::invalid_argument("--vault-auth kubernetes needs --vault-role");
    auth = make_kubernetes_auth(config.vault_role, config.kubernetes_jwt_file,
                                config.kubernetes_mount);
  } else {
    return Status::invalid_argument("--vault-auth " + config.vault_auth +
                                    ": want token, approle or kubernetes");
  }

  VaultClientOptions co;
  co.address = config.vault_addr;
  co.ca_file = config.vault_ca;
  co.vault_namespace = config.vault_namespace;
  Result<std::unique_ptr<VaultClient>> client = VaultClient::create(co);
  if (!client) return client.status();

  auto owner = std::make_unique<OwningVaultSource>();
  owner->client = std::move(*client);
  owner->tokens = std::make_unique<VaultTokenManager>(*owner->client, std::move(auth));
  s = owner->tokens->start();
  if (!s.is_ok()) return s;
  owner->source =
      std::make_unique<VaultCredentialSource>(*owner->client, owner->tokens.get(), so, listener);
  s = owner->source->start();
  if (!s.is_ok()) return s;
  return std::unique_ptr<CredentialSource>(std::move(owner));
}

}  // namespace infralogs::secrets

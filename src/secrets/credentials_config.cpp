#include "infralogs/secrets/credentials_config.h"

#include "infralogs/secrets/vault_auth.h"
#include "infralogs/secrets/vault_client.h"
#include "infralogs/secrets/vault_credential_source.h"
#include "infralogs/secrets/watched_file_credential_source.h"

namespace infralogs::secrets {
namespace {

// Owns the Vault session the source uses; the source is destroyed first.
class OwningVaultSource : public CredentialSource {
 public:
  std::unique_ptr<VaultSession> session;
  std::unique_ptr<VaultCredentialSource> source;

  ~OwningVaultSource() override { source.reset(); }
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

Status check_vault_auth(const CredentialsConfig& c) {
  if (c.vault_auth == "token") {
    if (c.vault_token_file.empty())
      return Status::invalid_argument("--vault-auth token needs --vault-token-file");
  } else if (c.vault_auth == "approle") {
    if (c.approle_role_id_file.empty() || c.approle_secret_id_file.empty())
      return Status::invalid_argument(
          "--vault-auth approle needs --vault-approle-role-id-file and "
          "--vault-approle-secret-id-file");
  } else if (c.vault_auth == "kubernetes") {
    if (c.vault_role.empty())
      return Status::invalid_argument("--vault-auth kubernetes needs --vault-role");
  } else {
    return Status::invalid_argument("--vault-auth " + c.vault_auth +
                                    ": want token, approle or kubernetes");
  }
  return Status::ok();
}

Status check_db_creds_path(const std::string& path) {
  VaultSourceOptions unused;
  return parse_creds_path(path, &unused);
}

Result<std::unique_ptr<VaultSession>> make_vault_session(const CredentialsConfig& c) {
  if (c.vault_addr.empty()) return Status::invalid_argument("this needs --vault-addr");
  Status s = check_vault_auth(c);
  if (!s.is_ok()) return s;
  std::unique_ptr<VaultAuth> auth;
  if (c.vault_auth == "token") {
    auth = make_token_file_auth(c.vault_token_file);
  } else if (c.vault_auth == "approle") {
    auth = make_approle_auth(c.approle_role_id_file, c.approle_secret_id_file, c.approle_mount);
  } else {
    auth = make_kubernetes_auth(c.vault_role, c.kubernetes_jwt_file, c.kubernetes_mount);
  }
  VaultClientOptions co;
  co.address = c.vault_addr;
  co.ca_file = c.vault_ca;
  co.vault_namespace = c.vault_namespace;
  Result<std::unique_ptr<VaultClient>> client = VaultClient::create(co);
  if (!client) return client.status();
  auto session = std::make_unique<VaultSession>();
  session->client = std::move(*client);
  session->tokens = std::make_unique<VaultTokenManager>(*session->client, std::move(auth));
  return session;
}

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

  auto session = make_vault_session(config);
  if (!session) return session.status();
  s = (*session)->tokens->start();
  if (!s.is_ok()) return s;
  auto owner = std::make_unique<OwningVaultSource>();
  owner->session = std::move(*session);
  owner->source = std::make_unique<VaultCredentialSource>(
      *owner->session->client, owner->session->tokens.get(), so, listener);
  s = owner->source->start();
  if (!s.is_ok()) return s;
  return std::unique_ptr<CredentialSource>(std::move(owner));
}

}  // namespace infralogs::secrets

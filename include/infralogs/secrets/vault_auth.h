#pragma once
// How infralogs obtains its Vault token (docs/vault.md "infralogs client"), and VaultTokenManager,
// which keeps one valid: it renews the token at ~2/3 of its TTL (auth/token/renew-self) and
// logs in again when renewal fails or comes back capped by the token's max_ttl.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>

#include "infralogs/core/mutex.h"
#include "infralogs/core/status.h"
#include "infralogs/secrets/vault_client.h"

namespace infralogs::secrets {

struct VaultToken {
  std::string token;            // secret
  std::chrono::seconds ttl{0};  // 0: does not expire (root)
  bool renewable = false;
};

class VaultAuth {
 public:
  virtual ~VaultAuth() = default;
  // Obtains a fresh token. Errors name the method and path, never a credential.
  virtual Result<VaultToken> login(VaultClient& client) = 0;
  // "token", "approle", "kubernetes".
  virtual std::string method() const = 0;
  // Whether the material login() reads changed since the last login (e.g. the token file was
  // rewritten): the manager then logs in again at once.
  virtual bool changed() { return false; }
};

// A token from a file (Vault Agent's sink, or an operator's file); its TTL from
// auth/token/lookup-self. "Logging in again" re-reads the file.
std::unique_ptr<VaultAuth> make_token_file_auth(std::string path);
// auth/<mount>/login with role_id and secret_id read from files at each login.
std::unique_ptr<VaultAuth> make_approle_auth(std::string role_id_file, std::string secret_id_file,
                                             std::string mount = "approle");
// auth/<mount>/login with the service account JWT read from `jwt_file` at each login (the
// kubelet rotates projected tokens).
std::unique_ptr<VaultAuth> make_kubernetes_auth(
    std::string role, std::string jwt_file = "/var/run/secrets/kubernetes.io/serviceaccount/token",
    std::string mount = "kubernetes");

struct VaultTokenManagerOptions {
  // Renew when this fraction of the token's TTL has passed (Vault Agent uses about 2/3).
  double renew_fraction = 2.0 / 3.0;
  // Back-off after a failed login or renewal: doubles from min_retry up to max_retry.
  std::chrono::milliseconds min_retry{500};
  std::chrono::milliseconds max_retry{30000};
};

// Keeps `client`'s token valid on its own thread. Thread-safe.
class VaultTokenManager {
 public:
  VaultTokenManager(VaultClient& client, std::unique_ptr<VaultAuth> auth,
                    VaultTokenManagerOptions options = {});
  ~VaultTokenManager();  // stops the thread
  VaultTokenManager(const VaultTokenManager&) = delete;
  VaultTokenManager& operator=(const VaultTokenManager&) = delete;

  // Logs in once (the error as login() gives it, e.g. Vault down at startup) and starts the
  // renewal thread.
  Status start();
  void stop();
  // +1 at every new token (a login that gave another token, not a renewal). Leases belong to the
  // token that obtained them and die with it, so sources re-issue theirs when this changes.
  uint64_t generation() const;
  // Logs in again now (a source was told "invalid token").
  void relogin_soon();
  const std::string& method() const { return method_; }

 private:
  void run(std::stop_token stop);
  Status login_locked_out();

  VaultClient& client_;
  std::unique_ptr<VaultAuth> auth_;
  const VaultTokenManagerOptions options_;
  const std::string method_;
  mutable Mutex mu_;
  CondVar cv_;
  uint64_t generation_ GUARDED_BY(mu_) = 0;
  VaultToken token_ GUARDED_BY(mu_);
  std::chrono::steady_clock::time_point issued_ GUARDED_BY(mu_);
  bool relogin_ GUARDED_BY(mu_) = false;
  std::jthread thread_;
};

}  // namespace infralogs::secrets

#pragma once
// Database credentials from Vault (docs/vault.md "infralogs client"):
//   kDynamic  database/creds/ROLE: the lease is renewed at ~2/3 of its TTL (sys/leases/renew);
//             when a renewal is capped by max_ttl, refused, or the Vault token that owns the
//             lease was replaced, a new user is fetched, verified by the listener, switched to,
//             and the old lease revoked (sys/leases/revoke).
//   kStatic   database/static-creds/ROLE: re-read when `ttl` runs out (right after Vault's
//             rotation) and every poll_interval; a new last_vault_rotation or password switches.
//   kKv       MOUNT/data/PATH (KV v2, fields username and password): polled; a new version
//             switches.
// Each source runs one refresh thread. While Vault cannot be read (down, sealed, 403, 429) it
// logs one line per failure naming the path and status, backs off (at least Retry-After), and
// keeps serving the last good credentials.

#include <chrono>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>

#include "infralogs/core/mutex.h"
#include "infralogs/secrets/credential_source.h"
#include "infralogs/secrets/vault_auth.h"
#include "infralogs/secrets/vault_client.h"

namespace infralogs::secrets {

enum class VaultSecretKind { kDynamic, kStatic, kKv };

struct VaultSourceOptions {
  VaultSecretKind kind = VaultSecretKind::kDynamic;
  // API path under /v1/: "database/creds/ROLE", "database/static-creds/ROLE", "MOUNT/data/PATH".
  std::string path;
  // Renew (dynamic) at this fraction of the lease's TTL.
  double renew_fraction = 2.0 / 3.0;
  // Static and KV: re-read at least this often (an out-of-band rotate-role or KV write).
  std::chrono::milliseconds poll_interval{30000};
  // Back-off after a failed read: doubles from min_retry to max_retry (never below Retry-After).
  std::chrono::milliseconds min_retry{500};
  std::chrono::milliseconds max_retry{30000};
  // A listener's kUnavailable (the replica has not the new user yet) is asked again after this.
  std::chrono::milliseconds verify_retry{500};
  // How long switched() may wait for old connections to be returned.
  std::chrono::milliseconds drain_timeout{30000};
  // refresh_after_auth_failure() fetches at most once per this interval, unless the previous
  // forced read switched to new credentials: a refusal of those (verified) ones is news, e.g.
  // a second rotation soon after the first.
  std::chrono::milliseconds auth_failure_min_interval{5000};
};

class VaultCredentialSource : public CredentialSource {
 public:
  // `tokens` may be null (a fixed token set on the client). `listener` may be null (nothing to
  // verify or drain). All three must outlive the source.
  VaultCredentialSource(VaultClient& client, VaultTokenManager* tokens, VaultSourceOptions options,
                        RotationListener* listener = nullptr);
  ~VaultCredentialSource() override;  // stops the thread and revokes nothing (leases expire)
  VaultCredentialSource(const VaultCredentialSource&) = delete;
  VaultCredentialSource& operator=(const VaultCredentialSource&) = delete;

  // Reads the credentials once (a clear error when Vault is down, sealed or denies at startup)
  // and starts the refresh thread. The first credentials are not passed to verify().
  Status start();
  void stop();

  Result<Credentials> current() override;
  Result<Credentials> refresh_after_auth_failure() override;
  CredentialInfo info() const override;

 private:
  struct Secret {
    Credentials creds;
    std::string lease_id;
    std::chrono::seconds ttl{0};
    bool renewable = false;
    std::string version;  // KV version or static last_vault_rotation
    uint64_t token_generation = 0;
  };
  Result<Secret> fetch(std::optional<std::chrono::seconds>* retry_after);
  void run(std::stop_token stop);
  // Verifies `next` with the listener, then makes it current and drains the old. False when the
  // listener refused it for good or stop was requested.
  bool switch_to(Secret next, std::stop_token stop);
  void note_failure(const Status& s);
  void note_success();
  void revoke(const std::string& lease_id);
  uint64_t token_generation() const;

  VaultClient& client_;
  VaultTokenManager* const tokens_;
  const VaultSourceOptions options_;
  RotationListener* const listener_;
  const std::string source_name_;

  mutable Mutex mu_;
  CondVar cv_;
  std::optional<Secret> secret_ GUARDED_BY(mu_);
  CredentialInfo info_ GUARDED_BY(mu_);
  bool force_ GUARDED_BY(mu_) = false;
  uint64_t forced_done_ GUARDED_BY(mu_) = 0;
  std::optional<std::chrono::steady_clock::time_point> last_forced_ GUARDED_BY(mu_);
  bool last_forced_switched_ GUARDED_BY(mu_) = false;  // the last forced read switched
  std::jthread thread_;
};

}  // namespace infralogs::secrets

#pragma once
// VaultKvTokens: the agents' API tokens from a KV v2 secret, polled so a rotation reaches the
// readers without a restart. The secret's data is a map of strings: the agents' tokens
// (`secret/data/infralogs/agent-tokens`: {"current": new, "previous": old} during rotate-creds
// --agent-tokens' overlap window, so the agents accept both; modes/vault_token_source.h). Like the
// credential sources: one refresh thread, one log line per failed read naming path and status,
// back-off (at least Retry-After), and the last good values kept while Vault cannot be read.

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>

#include "infralogs/core/mutex.h"
#include "infralogs/secrets/vault_auth.h"
#include "infralogs/secrets/vault_client.h"

namespace infralogs::secrets {

struct VaultKvTokensOptions {
  // API path under /v1/ of the KV v2 secret: "secret/data/infralogs/agent-tokens".
  std::string path;
  // How often the secret is re-read.
  std::chrono::milliseconds poll_interval{30000};
  // Back-off after a failed read: doubles from min_retry to max_retry.
  std::chrono::milliseconds min_retry{500};
  std::chrono::milliseconds max_retry{30000};
};

// What is in use, never a token: for /healthz and /metrics.
struct VaultKvTokensInfo {
  std::string location;
  int64_t version = 0;  // KV version of the values in use
  uint64_t changes = 0;
  uint64_t failures = 0;
  std::string last_error;
  bool source_reachable = true;
};

class VaultKvTokens {
 public:
  // `tokens` may be null. `on_change` (may be empty) is called from the refresh thread with the
  // new values after a new version was read.
  VaultKvTokens(VaultClient& client, VaultTokenManager* tokens, VaultKvTokensOptions options,
                std::function<void(const std::map<std::string, std::string>&)> on_change = {});
  ~VaultKvTokens();
  VaultKvTokens(const VaultKvTokens&) = delete;
  VaultKvTokens& operator=(const VaultKvTokens&) = delete;

  // Reads the secret once (the Vault error when it cannot; kCorruption when a value is not a
  // string or there is none) and starts polling.
  Status start();
  void stop();
  // The values of the version in use, by key. Thread-safe.
  std::map<std::string, std::string> values() const;
  VaultKvTokensInfo info() const;

 private:
  struct Read {
    std::map<std::string, std::string> values;
    int64_t version = 0;
  };
  Result<Read> read(std::optional<std::chrono::seconds>* retry_after);
  void run(std::stop_token stop);

  VaultClient& client_;
  VaultTokenManager* const tokens_;
  const VaultKvTokensOptions options_;
  const std::function<void(const std::map<std::string, std::string>&)> on_change_;
  mutable Mutex mu_;
  CondVar cv_;
  std::map<std::string, std::string> values_ GUARDED_BY(mu_);
  VaultKvTokensInfo info_ GUARDED_BY(mu_);
  std::jthread thread_;
};

}  // namespace infralogs::secrets

#pragma once
// The agent's API tokens from Vault: secrets::VaultKvTokens (which polls the KV v2 secret in
// its own thread) seen through http::TokenSource, so http never depends on secrets
// (docs/architecture.md). The secret is what rotate-creds --agent-tokens writes:
// {"current": token, "previous": token during the overlap window, "rotated_at": ...}; the agent
// accepts "current" and, when set, "previous"; other keys are not tokens.

#include <cstdint>
#include <string>
#include <vector>

#include "infralogs/http/token_auth.h"
#include "infralogs/secrets/vault_kv_tokens.h"

namespace infralogs::modes {

// The keys of the agent-tokens secret that hold tokens.
inline constexpr const char* kCurrentTokenKey = "current";
inline constexpr const char* kPreviousTokenKey = "previous";

// The tokens in a secret's values: "current" (required) and "previous" (when not empty).
// kCorruption naming `path` when there is no "current".
Status tokens_from_secret(const std::map<std::string, std::string>& values, const std::string& path,
                          std::vector<std::string>* tokens);

class VaultTokenSource : public http::TokenSource {
 public:
  // `kv` must be started and outlive this.
  VaultTokenSource(secrets::VaultKvTokens& kv, std::string path)
      : kv_(kv), path_(std::move(path)) {}
  std::string name() const override { return "vault " + path_; }
  // Reports each failed Vault read once (kUnavailable with its message: path and status), a new
  // version as changed, and a recovery after failures as changed too (the set is no longer
  // stale). Only reads what VaultKvTokens already has: no network I/O.
  Status poll(std::vector<std::string>* tokens, bool* changed) override;

 private:
  secrets::VaultKvTokens& kv_;
  const std::string path_;
  bool first_ = true;
  uint64_t changes_seen_ = 0;
  uint64_t failures_seen_ = 0;
  bool failing_ = false;
};

}  // namespace infralogs::modes

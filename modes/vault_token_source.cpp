#include "vault_token_source.h"

namespace infralogs::modes {

Status tokens_from_secret(const std::map<std::string, std::string>& values, const std::string& path,
                          std::vector<std::string>* tokens) {
  auto current = values.find(kCurrentTokenKey);
  if (current == values.end() || current->second.empty())
    return Status::corruption("vault " + path + ": no \"current\" token in the secret");
  tokens->assign({current->second});
  auto previous = values.find(kPreviousTokenKey);
  if (previous != values.end() && !previous->second.empty()) tokens->push_back(previous->second);
  return Status::ok();
}

Status VaultTokenSource::poll(std::vector<std::string>* tokens, bool* changed) {
  *changed = false;
  secrets::VaultKvTokensInfo info = kv_.info();
  if (!info.source_reachable) {
    if (!first_ && info.failures == failures_seen_) return Status::ok();
    failures_seen_ = info.failures;
    failing_ = true;
    first_ = false;
    return Status::unavailable(info.last_error);
  }
  const bool recovered = failing_;
  if (!first_ && !recovered && info.changes == changes_seen_) return Status::ok();
  first_ = false;
  failing_ = false;
  changes_seen_ = info.changes;
  failures_seen_ = info.failures;
  Status s = tokens_from_secret(kv_.values(), path_, tokens);
  if (!s.is_ok()) return s;
  *changed = true;
  return Status::ok();
}

}  // namespace infralogs::modes

#include "infralogs/secrets/vault_kv_tokens.h"

#include <algorithm>

#include "infralogs/core/log.h"
#include "vault_responses.h"

namespace infralogs::secrets {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

VaultKvTokens::VaultKvTokens(
    VaultClient& client, VaultTokenManager* tokens, VaultKvTokensOptions options,
    std::function<void(const std::map<std::string, std::string>&)> on_change)
    : client_(client),
      tokens_(tokens),
      options_(std::move(options)),
      on_change_(std::move(on_change)) {
  info_.location = options_.path;
}

VaultKvTokens::~VaultKvTokens() { stop(); }

void VaultKvTokens::stop() {
  if (thread_.joinable()) {
    thread_.request_stop();
    thread_.join();
  }
}

Result<VaultKvTokens::Read> VaultKvTokens::read(std::optional<std::chrono::seconds>* retry_after) {
  VaultResponse r;
  Status s = client_.read(options_.path, &r);
  *retry_after = r.retry_after;
  if (!s.is_ok()) {
    if (s.code() == StatusCode::kPermissionDenied && tokens_) tokens_->relogin_soon();
    return s;
  }
  Result<KvTokens> kv = kv_tokens_from_response(options_.path, r);
  if (!kv) return kv.status();
  Read out;
  out.values = std::move(kv->values);
  out.version = kv->version;
  return out;
}

Status VaultKvTokens::start() {
  std::optional<std::chrono::seconds> retry_after;
  Result<Read> first = read(&retry_after);
  if (!first) return first.status();
  {
    MutexLock lock(mu_);
    values_ = first->values;
    info_.version = first->version;
  }
  thread_ = std::jthread([this](std::stop_token st) { run(st); });
  return Status::ok();
}

void VaultKvTokens::run(std::stop_token stop) {
  std::chrono::milliseconds backoff = options_.min_retry;
  Clock::duration wait = options_.poll_interval;
  while (true) {
    {
      MutexLock lock(mu_);
      cv_.wait_for(mu_, stop, wait, [] { return false; });
      if (stop.stop_requested()) return;
    }
    std::optional<std::chrono::seconds> retry_after;
    Result<Read> next = read(&retry_after);
    if (!next) {
      log::warn("secrets", "vault tokens refresh failed",
                {{"path", options_.path}, {"error", next.status().to_string()}});
      {
        MutexLock lock(mu_);
        ++info_.failures;
        info_.last_error = next.status().message();
        info_.source_reachable = false;
      }
      wait = backoff;
      if (retry_after) wait = std::max<Clock::duration>(wait, *retry_after);
      backoff = std::min(backoff * 2, options_.max_retry);
      continue;
    }
    backoff = options_.min_retry;
    wait = options_.poll_interval;
    bool changed;
    {
      MutexLock lock(mu_);
      info_.source_reachable = true;
      changed = next->version != info_.version || next->values != values_;
      if (changed) {
        values_ = next->values;
        info_.version = next->version;
        ++info_.changes;
      }
    }
    if (changed) {
      log::info("secrets", "vault tokens changed",
                {{"path", options_.path}, {"version", next->version}});
      if (on_change_) on_change_(next->values);
    }
  }
}

std::map<std::string, std::string> VaultKvTokens::values() const {
  MutexLock lock(mu_);
  return values_;
}

VaultKvTokensInfo VaultKvTokens::info() const {
  MutexLock lock(mu_);
  return info_;
}

}  // namespace infralogs::secrets

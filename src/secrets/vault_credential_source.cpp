#include "infralogs/secrets/vault_credential_source.h"

#include <algorithm>

#include "infralogs/core/log.h"
#include "vault_responses.h"

namespace infralogs::secrets {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

uint64_t wall_usec(std::chrono::system_clock::time_point t = std::chrono::system_clock::now()) {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count());
}

const char* kind_name(VaultSecretKind k) {
  switch (k) {
    case VaultSecretKind::kDynamic:
      return "vault-dynamic";
    case VaultSecretKind::kStatic:
      return "vault-static";
    case VaultSecretKind::kKv:
      return "vault-kv";
  }
  return "vault";
}

Clock::duration frac(std::chrono::seconds ttl, double f) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(ttl) * f);
}

}  // namespace

VaultCredentialSource::VaultCredentialSource(VaultClient& client, VaultTokenManager* tokens,
                                             VaultSourceOptions options, RotationListener* listener)
    : client_(client),
      tokens_(tokens),
      options_(std::move(options)),
      listener_(listener),
      source_name_(kind_name(options_.kind)) {
  info_.source = source_name_;
  info_.location = options_.path;
}

VaultCredentialSource::~VaultCredentialSource() { stop(); }

void VaultCredentialSource::stop() {
  if (thread_.joinable()) {
    thread_.request_stop();
    thread_.join();
  }
}

uint64_t VaultCredentialSource::token_generation() const {
  return tokens_ ? tokens_->generation() : 0;
}

Result<VaultCredentialSource::Secret> VaultCredentialSource::fetch(
    std::optional<std::chrono::seconds>* retry_after) {
  uint64_t token_gen = token_generation();
  VaultResponse r;
  Status s = client_.read(options_.path, &r);
  *retry_after = r.retry_after;
  if (!s.is_ok()) {
    if (s.code() == StatusCode::kPermissionDenied && tokens_) tokens_->relogin_soon();
    return s;
  }
  Result<VaultSecret> secret = secret_from_response(options_.kind, options_.path, r);
  if (!secret) return secret.status();
  Secret out;
  out.creds = std::move(secret->creds);
  out.lease_id = std::move(secret->lease_id);
  out.ttl = secret->ttl;
  out.renewable = secret->renewable;
  out.version = std::move(secret->version);
  out.token_generation = token_gen;
  return out;
}

void VaultCredentialSource::note_failure(const Status& s) {
  log::warn("secrets", "vault credentials refresh failed",
            {{"source", source_name_}, {"path", options_.path}, {"error", s.to_string()}});
  MutexLock lock(mu_);
  ++info_.failures;
  info_.last_error = s.message();
  info_.source_reachable = false;
}

void VaultCredentialSource::note_success() {
  MutexLock lock(mu_);
  info_.source_reachable = true;
}

void VaultCredentialSource::revoke(const std::string& lease_id) {
  if (lease_id.empty()) return;
  VaultResponse r;
  Status s = client_.write("sys/leases/revoke", {{"lease_id", lease_id}}, &r);
  if (!s.is_ok()) {
    // The lease still ends at its TTL; Vault drops the user then.
    log::warn("secrets", "vault lease revocation failed",
              {{"lease_id", lease_id}, {"error", s.to_string()}});
  }
}

Status VaultCredentialSource::start() {
  std::optional<std::chrono::seconds> retry_after;
  Result<Secret> first = fetch(&retry_after);
  if (!first) {
    note_failure(first.status());
    return first.status();
  }
  {
    MutexLock lock(mu_);
    info_.username = first->creds.username;
    info_.generation = 1;
    info_.obtained_usec = wall_usec();
    if (first->ttl.count() > 0)
      info_.expires_usec = wall_usec(std::chrono::system_clock::now() + first->ttl);
    secret_ = std::move(*first);
  }
  log::info("secrets", "vault credentials obtained",
            {{"source", source_name_}, {"path", options_.path}});
  thread_ = std::jthread([this](std::stop_token st) { run(st); });
  return Status::ok();
}

bool VaultCredentialSource::switch_to(Secret next, std::stop_token stop) {
  if (listener_) {
    Clock::time_point give_up = Clock::now() + options_.drain_timeout;
    while (true) {
      Status v = listener_->verify(next.creds);
      if (v.is_ok()) break;
      bool retry = v.code() == StatusCode::kUnavailable && Clock::now() < give_up;
      if (!retry) {
        note_failure(
            Status(v.code() == StatusCode::kUnavailable
                       ? Status::unavailable("verify of new credentials from " + options_.path +
                                             " timed out: " + v.message())
                       : Status::permission_denied("new credentials from " + options_.path +
                                                   " refused: " + v.message())));
        if (options_.kind == VaultSecretKind::kDynamic) revoke(next.lease_id);
        return false;
      }
      MutexLock lock(mu_);
      cv_.wait_for(mu_, stop, options_.verify_retry, [] { return false; });
      if (stop.stop_requested()) return false;
    }
  }
  uint64_t gen;
  {
    MutexLock lock(mu_);
    gen = ++info_.generation;
    ++info_.switches;
    info_.username = next.creds.username;
    info_.obtained_usec = info_.last_switch_usec = wall_usec();
    info_.expires_usec.reset();
    if (next.ttl.count() > 0)
      info_.expires_usec = wall_usec(std::chrono::system_clock::now() + next.ttl);
    info_.source_reachable = true;
    secret_ = std::move(next);
  }
  log::info("secrets", "vault credentials switched",
            {{"source", source_name_}, {"path", options_.path}, {"generation", gen}});
  if (listener_) listener_->switched(gen, Clock::now() + options_.drain_timeout);
  return true;
}

void VaultCredentialSource::run(std::stop_token stop) {
  Clock::time_point obtained = Clock::now();
  std::chrono::seconds ttl, initial_ttl;
  bool renewable;
  uint64_t lease_token_gen;
  {
    MutexLock lock(mu_);
    ttl = initial_ttl = secret_->ttl;
    renewable = secret_->renewable;
    lease_token_gen = secret_->token_generation;
  }
  bool reissue = false;
  std::chrono::milliseconds backoff = options_.min_retry;
  std::optional<Clock::time_point> retry_at;
  const bool dynamic = options_.kind == VaultSecretKind::kDynamic;

  auto fail = [&](const Status& s, std::optional<std::chrono::seconds> retry_after) {
    note_failure(s);
    auto wait = backoff;
    if (retry_after) wait = std::max<std::chrono::milliseconds>(wait, *retry_after);
    retry_at = Clock::now() + wait;
    backoff = std::min(backoff * 2, options_.max_retry);
  };
  auto succeeded = [&] {
    note_success();
    retry_at.reset();
    backoff = options_.min_retry;
  };

  while (!stop.stop_requested()) {
    Clock::time_point due;
    if (retry_at) {
      due = *retry_at;
    } else if (reissue) {
      due = Clock::now();
    } else if (dynamic) {
      due = ttl.count() > 0 ? obtained + frac(ttl, options_.renew_fraction)
                            : obtained + options_.poll_interval;
    } else if (options_.kind == VaultSecretKind::kStatic) {
      // Just after Vault's rotation, or the poll, whichever comes first. A ttl of 0 means the
      // rotation is due now: look again in half a second.
      due = std::min<Clock::time_point>(obtained + ttl + std::chrono::milliseconds(500),
                                        obtained + options_.poll_interval);
    } else {
      due = obtained + options_.poll_interval;
    }
    bool forced;
    {
      MutexLock lock(mu_);
      // Wake often to notice a new Vault token soon: the old one, and the leases it owns, may
      // end a moment after it was replaced (a re-login close to max_ttl).
      auto wait = std::min<Clock::duration>(due - std::min(due, Clock::now()),
                                            std::chrono::milliseconds(250));
      cv_.wait_for(mu_, stop, wait, [&] {
        mu_.assert_held();  // the predicate runs with mu_ held
        return force_;
      });
      if (stop.stop_requested()) return;
      forced = force_;
    }
    bool token_changed = dynamic && tokens_ && tokens_->generation() != lease_token_gen;
    // A new token re-issues at once, except while backing off after a failure.
    if (!forced && Clock::now() < due && (!token_changed || retry_at)) continue;

    std::optional<std::chrono::seconds> retry_after;
    if (dynamic && !forced && !token_changed && !reissue && renewable) {
      std::string lease_id;
      {
        MutexLock lock(mu_);
        lease_id = secret_->lease_id;
      }
      VaultResponse r;
      Status s = client_.write("sys/leases/renew",
                               {{"lease_id", lease_id}, {"increment", initial_ttl.count()}}, &r);
      if (s.is_ok()) {
        succeeded();
        obtained = Clock::now();
        ttl = std::chrono::seconds(r.lease_duration);
        {
          MutexLock lock(mu_);
          info_.expires_usec = wall_usec(std::chrono::system_clock::now() + ttl);
        }
        // Capped by max_ttl: this user ends soon; get the next one while this one works.
        if (ttl < initial_ttl) reissue = true;
        continue;
      }
      if (s.code() == StatusCode::kPermissionDenied && tokens_) tokens_->relogin_soon();
      fail(s, r.retry_after);
      // "lease not found", "past the max TTL", "lease expired": renewing again cannot help.
      if (s.code() == StatusCode::kInvalidArgument) {
        reissue = true;
        retry_at.reset();
      }
      continue;
    }

    Result<Secret> next = fetch(&retry_after);
    bool switched = false;
    if (!next) {
      fail(next.status(), retry_after);
    } else {
      succeeded();
      std::string old_lease;
      bool changed;
      {
        MutexLock lock(mu_);
        old_lease = secret_->lease_id;
        changed = dynamic || next->version != secret_->version || next->creds != secret_->creds;
      }
      Secret fetched = *next;
      bool ok = true;
      if (changed) {
        ok = switch_to(std::move(*next), stop);
        switched = ok;
        if (ok && dynamic) revoke(old_lease);
      }
      if (ok) {
        obtained = Clock::now();
        ttl = fetched.ttl;
        if (changed) {
          initial_ttl = fetched.ttl;
          renewable = fetched.renewable;
          lease_token_gen = fetched.token_generation;
          reissue = false;
        }
      } else {
        retry_at = Clock::now() + backoff;
        backoff = std::min(backoff * 2, options_.max_retry);
      }
    }
    if (forced) {
      MutexLock lock(mu_);
      last_forced_switched_ = switched;
      force_ = false;
      ++forced_done_;
      cv_.notify_all();
    }
  }
}

Result<Credentials> VaultCredentialSource::current() {
  MutexLock lock(mu_);
  if (!secret_) {
    return Status::unavailable("no credentials from vault " + options_.path +
                               " yet: " + info_.last_error);
  }
  return secret_->creds;
}

Result<Credentials> VaultCredentialSource::refresh_after_auth_failure() {
  {
    MutexLock lock(mu_);
    Clock::time_point now = Clock::now();
    bool wait = false;
    if (!force_ && (!last_forced_ || now - *last_forced_ >= options_.auth_failure_min_interval ||
                    last_forced_switched_)) {
      last_forced_ = now;
      last_forced_switched_ = false;
      force_ = true;
      wait = true;
      cv_.notify_all();
    } else if (force_) {
      // Another caller's read is under way (several connections refused at once after a
      // rotation): its result is what this caller needs too. Returning current() now would
      // give the refused credentials back and fail the caller's retry.
      wait = true;
    }
    if (wait) {
      uint64_t target = forced_done_ + 1;
      auto limit = client_.options().request_timeout * 2 + options_.drain_timeout;
      cv_.wait_for(mu_, limit, [&] {
        mu_.assert_held();  // the predicate runs with mu_ held
        return forced_done_ >= target;
      });
    }
  }
  return current();
}

CredentialInfo VaultCredentialSource::info() const {
  MutexLock lock(mu_);
  return info_;
}

}  // namespace infralogs::secrets

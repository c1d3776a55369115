#include "infralogs/http/token_auth.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "infralogs/core/log.h"

namespace infralogs::http {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

std::array<unsigned char, 32> sha256(std::string_view s) {
  std::array<unsigned char, 32> d{};
  SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), d.data());
  return d;
}

}  // namespace

Status TokenFileSource::poll(std::vector<std::string>* tokens, bool* changed) {
  *changed = false;
  struct stat st {};
  Stamp now;
  int stat_errno = 0;
  if (stat(path_.c_str(), &st) == 0) {
    now.exists = true;
    now.mtime_ns = static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
    now.ctime_ns = static_cast<long long>(st.st_ctim.tv_sec) * 1000000000LL + st.st_ctim.tv_nsec;
    now.size = st.st_size;
    now.inode = st.st_ino;
  } else {
    stat_errno = errno;
  }
  if (seen_ && *seen_ == now) return Status::ok();
  seen_ = now;
  if (!now.exists) {
    std::string msg = "token file " + path_ + ": " + std::strerror(stat_errno);
    return stat_errno == ENOENT ? Status::not_found(msg) : Status::unavailable(msg);
  }
  std::ifstream in(path_);
  if (!in) return Status::unavailable("token file " + path_ + ": " + std::strerror(errno));
  std::vector<std::string> fresh;
  std::string line;
  while (std::getline(in, line)) {
    std::string_view t = trim(line);
    if (t.empty() || t.front() == '#') continue;
    fresh.emplace_back(t);
  }
  if (fresh.empty()) return Status::corruption("token file " + path_ + " holds no token");
  *tokens = std::move(fresh);
  *changed = true;
  return Status::ok();
}

TokenSet::TokenSet(std::unique_ptr<TokenSource> source, TokenSetOptions options)
    : source_(std::move(source)), source_name_(source_->name()), options_(std::move(options)) {}

Result<std::unique_ptr<TokenSet>> TokenSet::create(std::unique_ptr<TokenSource> source,
                                                   TokenSetOptions options) {
  std::unique_ptr<TokenSet> set(new TokenSet(std::move(source), std::move(options)));
  std::vector<std::string> tokens;
  bool changed = false;
  Status s = set->source_->poll(&tokens, &changed);
  if (s.is_ok() && !changed)
    s = Status::corruption(set->source_name_ + ": no tokens on the first read");
  if (!s.is_ok()) {
    // A missing or empty source is the operator's to fix: a usage error, not an outage.
    if (s.code() == StatusCode::kNotFound || s.code() == StatusCode::kCorruption)
      return Status::invalid_argument(s.message());
    return s;
  }
  MutexLock lock(set->mutex_);
  set->take(tokens);
  set->next_check_ = set->options_.clock() + set->options_.recheck_every;
  set->export_count();
  // Every result exported from the start (at 0), so a rate() over it has a baseline.
  for (const char* result : {"ok", "missing", "empty", "error"}) set->count_reload(result, 0);
  return set;
}

Result<std::unique_ptr<TokenSet>> TokenSet::load(std::string path,
                                                 std::chrono::milliseconds recheck_every,
                                                 ClockFn clock) {
  return create(std::make_unique<TokenFileSource>(std::move(path)),
                {.recheck_every = recheck_every, .clock = std::move(clock)});
}

void TokenSet::take(const std::vector<std::string>& tokens) {
  digests_.clear();
  for (const std::string& t : tokens) digests_.push_back(sha256(t));
}

void TokenSet::export_count() {
  if (!options_.metrics) return;
  options_.metrics->gauge("infralogs_agent_tokens", "API tokens the agent accepts now.")
      .set(static_cast<double>(digests_.size()));
}

void TokenSet::count_reload(const char* result, uint64_t n) {
  if (!options_.metrics) return;
  options_.metrics
      ->counter("infralogs_agent_token_reloads_total",
                "Re-reads of the API tokens' source by result: ok (new set in use), missing, "
                "empty or error (last good set kept).",
                {{"result", result}})
      .inc(n);
}

void TokenSet::maybe_reload() {
  auto now = options_.clock();
  if (now < next_check_) return;
  next_check_ = now + options_.recheck_every;
  std::vector<std::string> tokens;
  bool changed = false;
  Status s = source_->poll(&tokens, &changed);
  if (s.is_ok() && !changed) return;
  ++reloads_;
  const char* result = "ok";
  if (s.code() == StatusCode::kNotFound)
    result = "missing";
  else if (s.code() == StatusCode::kCorruption)
    result = "empty";
  else if (!s.is_ok())
    result = "error";
  count_reload(result, 1);
  if (!s.is_ok()) {
    // One line per failure the source reports (it reports a state once, not on every check).
    log::warn("auth", "API tokens reload failed; the last good set stays valid",
              {{"source", source_name_},
               {"result", result},
               {"tokens", digests_.size()},
               {"error", s.message()}});
    reload_error_ = s.message();
    return;
  }
  std::vector<Digest> before = std::move(digests_);
  take(tokens);
  const bool recovered = !reload_error_.empty();
  reload_error_.clear();
  export_count();
  if (before != digests_ || recovered) {
    log::info("auth", "API tokens reloaded",
              {{"source", source_name_}, {"tokens", digests_.size()}, {"recovered", recovered}});
  }
}

bool TokenSet::verify(std::string_view presented) {
  Digest d = sha256(presented);
  MutexLock lock(mutex_);
  maybe_reload();
  // Compare with every token, without an early exit, so timing says nothing about which (or
  // whether one) matched.
  int match = 0;
  for (const Digest& t : digests_) match |= (CRYPTO_memcmp(t.data(), d.data(), d.size()) == 0);
  return match != 0;
}

TokenSetStatus TokenSet::status() {
  MutexLock lock(mutex_);
  maybe_reload();
  return {.source = source_name_,
          .tokens = digests_.size(),
          .reloads = reloads_,
          .stale = !reload_error_.empty(),
          .error = reload_error_};
}

size_t TokenSet::token_count() const {
  MutexLock lock(mutex_);
  return digests_.size();
}

size_t TokenSet::reload_count() const {
  MutexLock lock(mutex_);
  return reloads_;
}

std::string TokenSet::last_reload_error() const {
  MutexLock lock(mutex_);
  return reload_error_;
}

AuthRateLimiter::AuthRateLimiter(size_t max_failures, std::chrono::seconds window, ClockFn clock)
    : max_failures_(max_failures), window_(window), clock_(std::move(clock)) {}

bool AuthRateLimiter::allowed(const std::string& address, long* retry_after) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = windows_.find(address);
  if (it == windows_.end()) return true;
  auto now = clock_();
  auto end = it->second.start + window_;
  if (now >= end) {
    windows_.erase(it);
    return true;
  }
  if (it->second.failures < max_failures_) return true;
  auto wait = std::chrono::ceil<std::chrono::seconds>(end - now).count();
  *retry_after = wait < 1 ? 1 : static_cast<long>(wait);
  return false;
}

void AuthRateLimiter::record_failure(const std::string& address) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto now = clock_();
  // Bound memory under a flood from many addresses: drop windows that have ended.
  if (windows_.size() > 10000) {
    for (auto it = windows_.begin(); it != windows_.end();) {
      it = (now >= it->second.start + window_) ? windows_.erase(it) : std::next(it);
    }
  }
  auto [it, inserted] = windows_.try_emplace(address, Window{now, 0});
  if (!inserted && now >= it->second.start + window_) it->second = Window{now, 0};
  ++it->second.failures;
}

std::optional<std::string> base64_decode(std::string_view in) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  while (!in.empty() && in.back() == '=') in.remove_suffix(1);
  if (in.size() % 4 == 1) return std::nullopt;
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v = value(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return out;
}

std::optional<std::string> token_from_authorization(std::string_view header) {
  header = trim(header);
  auto starts = [&](std::string_view scheme) {
    if (header.size() <= scheme.size()) return false;
    for (size_t i = 0; i < scheme.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(header[i])) != scheme[i]) return false;
    }
    return header[scheme.size()] == ' ';
  };
  if (starts("bearer")) {
    std::string_view t = trim(header.substr(7));
    if (t.empty()) return std::nullopt;
    return std::string(t);
  }
  if (starts("basic")) {
    auto decoded = base64_decode(trim(header.substr(6)));
    if (!decoded) return std::nullopt;
    size_t colon = decoded->find(':');
    if (colon == std::string::npos) return std::nullopt;
    return decoded->substr(colon + 1);
  }
  return std::nullopt;
}

}  // namespace infralogs::http

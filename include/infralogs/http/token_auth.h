#pragma once
// Token authentication for the agent's endpoints.
//  - TokenSet: the valid tokens from a TokenSource (the token file, or the agent's Vault KV v2
//    secret), all valid at once so a rotation can overlap; re-read when the source changes.
//    Tokens are kept only as SHA-256 digests and compared in constant time.
//  - AuthRateLimiter: failed attempts per client address; past the limit the address gets 429
//    until its window ends.
// Both are thread-safe.

#include <array>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "infralogs/core/metrics.h"
#include "infralogs/core/mutex.h"
#include "infralogs/core/status.h"

namespace infralogs::http {

using Clock = std::chrono::steady_clock;
using ClockFn = std::function<Clock::time_point()>;

// Where the valid tokens come from. TokenFileSource reads a file; the agent adapts the Vault KV v2
// secret to this interface in modes/agent.cpp (http must not depend on secrets).
class TokenSource {
 public:
  virtual ~TokenSource() = default;
  // Names the source for logs, metrics and /healthz ("file /etc/infralogs/tokens",
  // "vault secret/data/infralogs/agent-tokens"). Never a token.
  virtual std::string name() const = 0;
  // Asks whether the tokens changed since the last call. Called under TokenSet's lock at most
  // once per recheck interval, so it must be quick (no network I/O: a remote source polls in its
  // own thread and hands over what it has).
  //   ok, *changed false: nothing new since the last call (also after a failure: not retried);
  //   ok, *changed true:  *tokens is the new set, non-empty;
  //   kNotFound:          the source is gone (file deleted);
  //   kCorruption:        it holds no usable token (empty file, secret without "current");
  //   anything else:      it cannot be read now (Vault down, permission denied).
  // Error messages name the source and the reason, never a token.
  virtual Status poll(std::vector<std::string>* tokens, bool* changed) = 0;
};

// The token file: one token per line; lines are trimmed; empty lines and lines starting with
// '#' are ignored. Re-read when its mtime, ctime, size or inode changes. Not thread-safe (TokenSet
// calls it under its lock).
class TokenFileSource : public TokenSource {
 public:
  explicit TokenFileSource(std::string path) : path_(std::move(path)) {}
  std::string name() const override { return "file " + path_; }
  Status poll(std::vector<std::string>* tokens, bool* changed) override;

 private:
  struct Stamp {
    long long mtime_ns = 0;
    long long ctime_ns = 0;
    long long size = 0;
    unsigned long long inode = 0;
    bool exists = false;
    bool operator==(const Stamp&) const = default;
  };
  const std::string path_;
  // What the last poll saw, good or bad: the same state is not read (nor reported) again.
  std::optional<Stamp> seen_;
};

struct TokenSetOptions {
  // How often verify() (and status()) ask the source whether the tokens changed.
  std::chrono::milliseconds recheck_every{1000};
  ClockFn clock = Clock::now;
  // Where reloads are exported: infralogs_agent_token_reloads_total{result} ("ok", "missing",
  // "empty", "error") and the gauge infralogs_agent_tokens. Null: not exported.
  MetricsRegistry* metrics = nullptr;
};

// What the set in use is, for /healthz; never a token.
struct TokenSetStatus {
  std::string source;
  size_t tokens = 0;
  size_t reloads = 0;  // reloads after the first read, good or bad
  // The last reload failed: the tokens in use are the last good set, and `error` says why.
  bool stale = false;
  std::string error;
};

// The valid tokens, all valid at once so a rotation can overlap, from a TokenSource. Tokens are
// kept only as SHA-256 digests and compared in constant time. When the source fails (file
// emptied or deleted, Vault down) the last good set stays valid; each reload is logged once
// (component "auth": source, count of tokens, result, never a token) and exported.
// Thread-safe.
class TokenSet {
 public:
  // Takes the first set from `source`. kInvalidArgument when it is missing or holds no token;
  // other errors as the source gives them.
  static Result<std::unique_ptr<TokenSet>> create(std::unique_ptr<TokenSource> source,
                                                  TokenSetOptions options = {});
  // create() with a TokenFileSource for `path`.
  static Result<std::unique_ptr<TokenSet>> load(
      std::string path, std::chrono::milliseconds recheck_every = std::chrono::milliseconds(1000),
      ClockFn clock = Clock::now);

  // Whether `presented` is one of the tokens. Checks first whether the source changed (at most
  // once per recheck interval).
  bool verify(std::string_view presented);
  // The same check, then what is in use.
  TokenSetStatus status();

  size_t token_count() const;
  // How often the source was re-read after the first read.
  size_t reload_count() const;
  // Why the last reload failed; empty when it did not.
  std::string last_reload_error() const;

 private:
  using Digest = std::array<unsigned char, 32>;

  TokenSet(std::unique_ptr<TokenSource> source, TokenSetOptions options);
  void maybe_reload() REQUIRES(mutex_);
  void take(const std::vector<std::string>& tokens) REQUIRES(mutex_);
  void export_count() REQUIRES(mutex_);
  void count_reload(const char* result, uint64_t n) REQUIRES(mutex_);

  const std::unique_ptr<TokenSource> source_;
  const std::string source_name_;
  const TokenSetOptions options_;
  mutable Mutex mutex_;
  std::vector<Digest> digests_ GUARDED_BY(mutex_);
  Clock::time_point next_check_ GUARDED_BY(mutex_);
  size_t reloads_ GUARDED_BY(mutex_) = 0;
  std::string reload_error_ GUARDED_BY(mutex_);
};

// The name agent_routes.h uses, from when the file was the only source.
using TokenFile = TokenSet;

class AuthRateLimiter {
 public:
  // An address may fail `max_failures` times within `window`; then it is refused until the
  // window that began with its first failure ends.
  AuthRateLimiter(size_t max_failures, std::chrono::seconds window, ClockFn clock = Clock::now);

  // Whether `address` may attempt now; when not, *retry_after is the wait in seconds (>= 1).
  bool allowed(const std::string& address, long* retry_after);
  void record_failure(const std::string& address);

 private:
  struct Window {
    Clock::time_point start;
    size_t failures = 0;
  };

  const size_t max_failures_;
  const std::chrono::seconds window_;
  const ClockFn clock_;
  std::mutex mutex_;
  std::unordered_map<std::string, Window> windows_;  // guarded by mutex_
};

// The token in an Authorization header: "Bearer TOKEN", or the password of "Basic
// base64(user:TOKEN)" (so gatewayd-style http://user:TOKEN@host URLs work). nullopt when the
// header has neither form.
std::optional<std::string> token_from_authorization(std::string_view header);

// RFC 4648 base64 decoding; nullopt on invalid input.
std::optional<std::string> base64_decode(std::string_view in);

}  // namespace infralogs::http

#pragma once
// Token authentication for the agent's endpoints.
//  - TokenFile: the valid tokens, one per line of a file, all valid at once so a rotation can
//    overlap; re-read when the file changes. Tokens are kept only as SHA-256 digests and
//    compared in constant time.
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

#include "infralogs/core/status.h"

namespace infralogs::http {

using Clock = std::chrono::steady_clock;
using ClockFn = std::function<Clock::time_point()>;

class TokenFile {
 public:
  // Reads `path`. Lines are trimmed; empty lines and lines starting with '#' are ignored.
  // kInvalidArgument when the file cannot be read or holds no token.
  static Result<std::unique_ptr<TokenFile>> load(
      std::string path, std::chrono::milliseconds recheck_every = std::chrono::milliseconds(1000),
      ClockFn clock = Clock::now);

  // Whether `presented` is one of the tokens. Checks first whether the file changed (at most
  // once per recheck interval) and re-reads it; if the new file cannot be read or is empty,
  // the old tokens stay valid and last_reload_error() says why.
  bool verify(std::string_view presented);

  size_t token_count() const;
  // How often the file was re-read after load.
  size_t reload_count() const;
  std::string last_reload_error() const;

 private:
  struct Stamp {
    long long mtime_ns = 0;
    long long size = 0;
    unsigned long long inode = 0;
    bool operator==(const Stamp&) const = default;
  };
  using Digest = std::array<unsigned char, 32>;

  TokenFile(std::string path, std::chrono::milliseconds recheck_every, ClockFn clock)
      : path_(std::move(path)), recheck_every_(recheck_every), clock_(std::move(clock)) {}
  static Status read_digests(const std::string& path, std::vector<Digest>* out, Stamp* stamp);
  void maybe_reload();

  const std::string path_;
  const std::chrono::milliseconds recheck_every_;
  const ClockFn clock_;
  mutable std::mutex mutex_;
  std::vector<Digest> digests_;   // guarded by mutex_
  Stamp stamp_;                   // guarded by mutex_
  Clock::time_point next_check_;  // guarded by mutex_
  size_t reloads_ = 0;            // guarded by mutex_
  std::string reload_error_;      // guarded by mutex_
};

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

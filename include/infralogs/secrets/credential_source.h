#pragma once
// CredentialSource: where a mode's database credentials come from, and how a consumer follows
// their rotation without failing a request (docs/vault.md). Storage asks current() at every new
// connection; a source with a refresh thread tells its RotationListener about new credentials
// before current() returns them, so the consumer can verify them where it connects and drain
// its old connections afterwards.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "infralogs/core/credentials.h"
#include "infralogs/core/status.h"

namespace infralogs::secrets {

// What a source knows about the credentials in use, never the password: for /healthz,
// /metrics, logs and the dashboard's Credentials panel.
struct CredentialInfo {
  std::string source;                        // "file", "vault-dynamic", "vault-static", "vault-kv"
  std::string location;                      // file path or Vault path ("database/creds/ro")
  std::string username;                      // current user; "" before the first success
  uint64_t generation = 0;                   // 1 for the first credentials, +1 at every switch
  std::optional<uint64_t> obtained_usec;     // when the current ones were obtained
  std::optional<uint64_t> expires_usec;      // lease end (capped by max_ttl), or next rotation
  std::optional<uint64_t> last_switch_usec;  // when the last switch happened
  uint64_t switches = 0;                     // rotations followed since start
  uint64_t failures = 0;                     // refresh or verify failures since start
  std::string last_error;                    // the last failure: path and status, never a secret
  bool source_reachable = true;              // false while Vault (or the file) cannot be read
};

class CredentialSource {
 public:
  virtual ~CredentialSource() = default;
  // The credentials new connections use now. Thread-safe; never blocks on the network once the
  // source has started (refreshes run on the source's own thread, if it has one).
  virtual Result<Credentials> current() = 0;
  // The server refused current(): fetch again now (at most once per a source-defined minimum
  // interval, so a wrong password cannot cause a storm) and return what current() returns then.
  // Thread-safe; may block on the network.
  virtual Result<Credentials> refresh_after_auth_failure() = 0;
  // What is in use now. Thread-safe.
  virtual CredentialInfo info() const = 0;
};

// What a consumer of a source (a connection pool) does when the source has new credentials.
// Both calls come from the source's refresh thread, never concurrently.
class RotationListener {
 public:
  virtual ~RotationListener() = default;
  // Whether `candidate` logs in where the consumer connects. Ok; kUnavailable to be asked again
  // later (e.g. a new user has not reached the replica yet); any other code gives them up.
  virtual Status verify(const Credentials& candidate) = 0;
  // current() now returns generation `generation`: stop using older connections (let leased
  // ones finish and close them when returned, close idle ones now) and return once no older
  // connection is in use, or at `deadline`.
  virtual void switched(uint64_t generation, std::chrono::steady_clock::time_point deadline) = 0;
};

// Reads a JSON file {"username": ..., "password": ...} (the shape a Vault Agent sidecar renders)
// at every call, so a re-rendered file is picked up. kInvalidArgument naming the file (never its
// content) when it is missing, not JSON, or lacks either key.
class FileCredentialSource : public CredentialSource {
 public:
  explicit FileCredentialSource(std::string path) : path_(std::move(path)) {}
  Result<Credentials> current() override;
  Result<Credentials> refresh_after_auth_failure() override { return current(); }
  CredentialInfo info() const override;

 private:
  std::string path_;
};

}  // namespace infralogs::secrets

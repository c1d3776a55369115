#pragma once
// WatchedFileCredentialSource: the Vault Agent sidecar pattern. The agent renders the
// credentials into a file by writing a temporary file and renaming it over the old one, so the
// source watches the file's directory with inotify (a watch on the file itself would follow
// the old inode), re-opens the file by path on any event in the directory, and follows the new
// content like the Vault sources: verify(), then current() returns it, then switched().
// Content that does not parse, or a missing file, keeps the last good credentials and is logged
// (never the content). The accepted shapes are those of FileCredentialSource, plus KV v2's
// {"data": {"data": {...}}}.

#include <chrono>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>

#include "infralogs/core/mutex.h"
#include "infralogs/secrets/credential_source.h"

namespace infralogs::secrets {

struct WatchedFileOptions {
  // Re-read this often even without an inotify event (a missed event, a network file system).
  std::chrono::milliseconds poll_interval{10000};
  // A listener's kUnavailable is asked again after this.
  std::chrono::milliseconds verify_retry{500};
  // Give up verifying new content after this (it is tried again at the next change or poll).
  std::chrono::milliseconds verify_timeout{30000};
  // How long switched() may wait for old connections to be returned.
  std::chrono::milliseconds drain_timeout{30000};
};

class WatchedFileCredentialSource : public CredentialSource {
 public:
  WatchedFileCredentialSource(std::string path, RotationListener* listener = nullptr,
                              WatchedFileOptions options = {});
  ~WatchedFileCredentialSource() override;
  WatchedFileCredentialSource(const WatchedFileCredentialSource&) = delete;
  WatchedFileCredentialSource& operator=(const WatchedFileCredentialSource&) = delete;

  // Reads the file once (kInvalidArgument naming it when it is missing or malformed), sets up the
  // inotify watch and starts the watcher thread.
  Status start();
  void stop();

  Result<Credentials> current() override;
  // Re-reads the file now (cheap: no network), following the change as the watcher would.
  Result<Credentials> refresh_after_auth_failure() override;
  CredentialInfo info() const override;

 private:
  void run(std::stop_token stop);
  // Reads the file and, when it holds new credentials, verifies and switches. Only the watcher
  // thread (or start) calls it, or a caller holding check_mu_.
  void check(std::stop_token stop);

  const std::string path_;
  RotationListener* const listener_;
  const WatchedFileOptions options_;
  std::string dir_, name_;
  int inotify_fd_ = -1;
  int wake_pipe_[2] = {-1, -1};

  Mutex check_mu_;  // one check() at a time (watcher vs refresh_after_auth_failure)
  mutable Mutex mu_;
  CondVar cv_;
  std::optional<Credentials> creds_ GUARDED_BY(mu_);
  CredentialInfo info_ GUARDED_BY(mu_);
  std::string last_bad_ GUARDED_BY(mu_);  // the last error logged, to log a bad file once
  std::jthread thread_;
};

}  // namespace infralogs::secrets

#include "infralogs/secrets/watched_file_credential_source.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "credentials_json.h"
#include "infralogs/core/log.h"

namespace infralogs::secrets {
namespace {

using Clock = std::chrono::steady_clock;

uint64_t wall_usec() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

}  // namespace

WatchedFileCredentialSource::WatchedFileCredentialSource(std::string path,
                                                         RotationListener* listener,
                                                         WatchedFileOptions options)
    : path_(std::move(path)), listener_(listener), options_(options) {
  size_t slash = path_.rfind('/');
  dir_ = slash == std::string::npos ? "." : (slash == 0 ? "/" : path_.substr(0, slash));
  name_ = slash == std::string::npos ? path_ : path_.substr(slash + 1);
  info_.source = "file";
  info_.location = path_;
}

WatchedFileCredentialSource::~WatchedFileCredentialSource() {
  stop();
  if (inotify_fd_ >= 0) ::close(inotify_fd_);
  for (int fd : wake_pipe_) {
    if (fd >= 0) ::close(fd);
  }
}

void WatchedFileCredentialSource::stop() {
  if (thread_.joinable()) {
    thread_.request_stop();
    char c = 0;
    // The watcher sleeps in poll(): a byte on the pipe wakes it at once.
    [[maybe_unused]] ssize_t n = ::write(wake_pipe_[1], &c, 1);
    thread_.join();
  }
}

Status WatchedFileCredentialSource::start() {
  Result<Credentials> first = read_credentials_file(path_);
  if (!first) {
    MutexLock lock(mu_);
    info_.source_reachable = false;
    info_.last_error = first.status().message();
    ++info_.failures;
    return first.status();
  }
  {
    MutexLock lock(mu_);
    creds_ = *first;
    info_.username = first->username;
    info_.generation = 1;
    info_.obtained_usec = wall_usec();
  }
  if (::pipe2(wake_pipe_, O_CLOEXEC | O_NONBLOCK) != 0)
    return Status::internal(std::string("pipe: ") + std::strerror(errno));
  inotify_fd_ = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (inotify_fd_ < 0)
    return Status::internal(std::string("inotify_init1: ") + std::strerror(errno));
  // Renames into the directory (Vault Agent, kubelet's ..data swap), in-place writes, deletes.
  if (::inotify_add_watch(
          inotify_fd_, dir_.c_str(),
          IN_MOVED_TO | IN_CLOSE_WRITE | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_ATTRIB) < 0) {
    return Status::invalid_argument("cannot watch directory " + dir_ + ": " + std::strerror(errno));
  }
  thread_ = std::jthread([this](std::stop_token st) { run(st); });
  return Status::ok();
}

void WatchedFileCredentialSource::check(std::stop_token stop) {
  Result<Credentials> next = read_credentials_file(path_);
  if (!next) {
    MutexLock lock(mu_);
    // A rename leaves no window without the file, but an editor or a half-written file can:
    // log each distinct problem once, keep the last good credentials.
    if (last_bad_ != next.status().message()) {
      last_bad_ = next.status().message();
      log::warn("secrets", "credentials file unusable, keeping the last good credentials",
                {{"path", path_}, {"error", last_bad_}});
      ++info_.failures;
      info_.last_error = last_bad_;
    }
    info_.source_reachable = false;
    return;
  }
  {
    MutexLock lock(mu_);
    last_bad_.clear();
    info_.source_reachable = true;
    if (creds_ && *creds_ == *next) return;
  }
  if (listener_) {
    Clock::time_point give_up = Clock::now() + options_.verify_timeout;
    while (true) {
      Status v = listener_->verify(*next);
      if (v.is_ok()) break;
      if (v.code() != StatusCode::kUnavailable || Clock::now() >= give_up ||
          stop.stop_requested()) {
        log::warn("secrets", "new credentials from file refused",
                  {{"path", path_}, {"error", v.to_string()}});
        MutexLock lock(mu_);
        ++info_.failures;
        info_.last_error = "new credentials from " + path_ + " refused: " + v.message();
        return;
      }
      MutexLock lock(mu_);
      cv_.wait_for(mu_, stop, options_.verify_retry, [] { return false; });
    }
  }
  uint64_t gen;
  {
    MutexLock lock(mu_);
    creds_ = *next;
    gen = ++info_.generation;
    ++info_.switches;
    info_.username = next->username;
    info_.obtained_usec = info_.last_switch_usec = wall_usec();
  }
  log::info("secrets", "credentials file changed", {{"path", path_}, {"generation", gen}});
  if (listener_) listener_->switched(gen, Clock::now() + options_.drain_timeout);
}

void WatchedFileCredentialSource::run(std::stop_token stop) {
  alignas(inotify_event) char buf[4096];
  Clock::time_point last_check = Clock::now();
  while (!stop.stop_requested()) {
    pollfd fds[2] = {{inotify_fd_, POLLIN, 0}, {wake_pipe_[0], POLLIN, 0}};
    auto left = options_.poll_interval -
                std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - last_check);
    int timeout = static_cast<int>(std::max<int64_t>(0, left.count()));
    int n = ::poll(fds, 2, timeout);
    if (stop.stop_requested()) return;
    if (n < 0 && errno != EINTR) {
      log::error("secrets", "poll on inotify failed", {{"error", std::strerror(errno)}});
      return;
    }
    bool relevant = n == 0;  // the periodic re-read
    if (n > 0 && (fds[0].revents & POLLIN)) {
      ssize_t len;
      while ((len = ::read(inotify_fd_, buf, sizeof buf)) > 0) {
        for (char* p = buf; p < buf + len;) {
          auto* ev = reinterpret_cast<inotify_event*>(p);
          std::string name = ev->len ? ev->name : "";
          // Our name, or kubelet's atomic ..data symlink swap of a projected volume.
          if (name == name_ || name == "..data" || (ev->mask & IN_Q_OVERFLOW)) relevant = true;
          p += sizeof(inotify_event) + ev->len;
        }
      }
    }
    if (!relevant) continue;
    last_check = Clock::now();
    MutexLock lock(check_mu_);
    check(stop);
  }
}

Result<Credentials> WatchedFileCredentialSource::current() {
  MutexLock lock(mu_);
  if (!creds_) return Status::unavailable("no credentials from " + path_ + " yet");
  return *creds_;
}

Result<Credentials> WatchedFileCredentialSource::refresh_after_auth_failure() {
  {
    MutexLock lock(check_mu_);
    check(std::stop_token());
  }
  return current();
}

CredentialInfo WatchedFileCredentialSource::info() const {
  MutexLock lock(mu_);
  return info_;
}

}  // namespace infralogs::secrets

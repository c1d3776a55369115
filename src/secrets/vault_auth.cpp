#include "infralogs/secrets/vault_auth.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "infralogs/core/log.h"
#include "vault_responses.h"

namespace infralogs::secrets {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

// The whole file less trailing whitespace (files written by `echo` end in a newline).
Result<std::string> read_secret_file(const std::string& path, const std::string& what) {
  std::ifstream in(path);
  if (!in) return Status::invalid_argument(what + " file " + path + ": " + std::strerror(errno));
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  if (s.empty()) return Status::invalid_argument(what + " file " + path + " is empty");
  return s;
}

class TokenFileAuth : public VaultAuth {
 public:
  explicit TokenFileAuth(std::string path) : path_(std::move(path)) {}
  Result<VaultToken> login(VaultClient& client) override {
    stamp_ = file_stamp();
    Result<std::string> token = read_secret_file(path_, "vault token");
    if (!token) return token.status();
    // lookup-self with this token says its TTL; the client keeps its current token until the
    // manager installs this one, so a bad file does not replace a good token.
    VaultResponse r;
    Status s = client.read_with_token("auth/token/lookup-self", *token, &r);
    if (!s.is_ok()) return s;
    VaultToken t;
    t.token = *token;
    token_from_lookup(r, &t);
    return t;
  }
  std::string method() const override { return "token"; }
  bool changed() override { return file_stamp() != stamp_; }

 private:
  std::string file_stamp() const {
    struct stat st {};
    if (::stat(path_.c_str(), &st) != 0) return "";
    return std::to_string(st.st_ino) + ":" + std::to_string(st.st_size) + ":" +
           std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
  }
  std::string path_;
  std::string stamp_;
};

class AppRoleAuth : public VaultAuth {
 public:
  AppRoleAuth(std::string role_id_file, std::string secret_id_file, std::string mount)
      : role_id_file_(std::move(role_id_file)),
        secret_id_file_(std::move(secret_id_file)),
        mount_(std::move(mount)) {}
  Result<VaultToken> login(VaultClient& client) override {
    Result<std::string> role_id = read_secret_file(role_id_file_, "approle role_id");
    if (!role_id) return role_id.status();
    Result<std::string> secret_id = read_secret_file(secret_id_file_, "approle secret_id");
    if (!secret_id) return secret_id.status();
    std::string path = "auth/" + mount_ + "/login";
    VaultResponse r;
    Status s =
        client.write_with_token(path, {{"role_id", *role_id}, {"secret_id", *secret_id}}, "", &r);
    if (!s.is_ok()) return s;
    return token_from_login(path, r);
  }
  std::string method() const override { return "approle"; }

 private:
  std::string role_id_file_, secret_id_file_, mount_;
};

class KubernetesAuth : public VaultAuth {
 public:
  KubernetesAuth(std::string role, std::string jwt_file, std::string mount)
      : role_(std::move(role)), jwt_file_(std::move(jwt_file)), mount_(std::move(mount)) {}
  Result<VaultToken> login(VaultClient& client) override {
    Result<std::string> jwt = read_secret_file(jwt_file_, "kubernetes service account token");
    if (!jwt) return jwt.status();
    std::string path = "auth/" + mount_ + "/login";
    VaultResponse r;
    Status s = client.write_with_token(path, {{"role", role_}, {"jwt", *jwt}}, "", &r);
    if (!s.is_ok()) return s;
    return token_from_login(path, r);
  }
  std::string method() const override { return "kubernetes"; }

 private:
  std::string role_, jwt_file_, mount_;
};

}  // namespace

std::unique_ptr<VaultAuth> make_token_file_auth(std::string path) {
  return std::make_unique<TokenFileAuth>(std::move(path));
}
std::unique_ptr<VaultAuth> make_approle_auth(std::string role_id_file, std::string secret_id_file,
                                             std::string mount) {
  return std::make_unique<AppRoleAuth>(std::move(role_id_file), std::move(secret_id_file),
                                       std::move(mount));
}
std::unique_ptr<VaultAuth> make_kubernetes_auth(std::string role, std::string jwt_file,
                                                std::string mount) {
  return std::make_unique<KubernetesAuth>(std::move(role), std::move(jwt_file), std::move(mount));
}

VaultTokenManager::VaultTokenManager(VaultClient& client, std::unique_ptr<VaultAuth> auth,
                                     VaultTokenManagerOptions options)
    : client_(client), auth_(std::move(auth)), options_(options), method_(auth_->method()) {}

VaultTokenManager::~VaultTokenManager() { stop(); }

void VaultTokenManager::stop() {
  if (thread_.joinable()) {
    thread_.request_stop();
    thread_.join();
  }
}

uint64_t VaultTokenManager::generation() const {
  MutexLock lock(mu_);
  return generation_;
}

void VaultTokenManager::relogin_soon() {
  MutexLock lock(mu_);
  relogin_ = true;
  cv_.notify_all();
}

// Only the manager's thread (and start(), before it runs) calls this.
Status VaultTokenManager::login_locked_out() {
  Result<VaultToken> t = auth_->login(client_);
  if (!t) return t.status();
  client_.set_token(t->token);
  MutexLock lock(mu_);
  // The same token again (a token file rewritten unchanged) owns the same leases: nothing for
  // the sources to re-issue.
  if (t->token != token_.token) ++generation_;
  token_ = std::move(*t);
  issued_ = Clock::now();
  relogin_ = false;
  return Status::ok();
}

Status VaultTokenManager::start() {
  Status s = login_locked_out();
  if (!s.is_ok()) return s;
  log::info("secrets", "vault login", {{"method", method_}});
  thread_ = std::jthread([this](std::stop_token st) { run(st); });
  return Status::ok();
}

void VaultTokenManager::run(std::stop_token stop) {
  std::chrono::seconds requested_ttl;
  {
    MutexLock lock(mu_);
    requested_ttl = token_.ttl;
  }
  Clock::time_point renewed = Clock::now();
  std::chrono::seconds ttl = requested_ttl;
  bool capped = false;  // the last renewal hit max_ttl: the next step is a new login
  std::chrono::milliseconds backoff = options_.min_retry;
  std::optional<Clock::time_point> retry_at;
  while (!stop.stop_requested()) {
    Clock::time_point due;
    bool renewable;
    {
      MutexLock lock(mu_);
      renewable = token_.renewable;
      if (retry_at) {
        due = *retry_at;
      } else if (ttl.count() == 0) {
        due = Clock::time_point::max();  // never expires (root token)
      } else {
        due = renewed + std::chrono::duration_cast<Clock::duration>(ttl * options_.renew_fraction);
      }
      // Wake every second to notice a rewritten token file.
      auto wait =
          std::min<Clock::duration>(due - std::min(due, Clock::now()), std::chrono::seconds(1));
      cv_.wait_for(mu_, stop, wait, [&] {
        mu_.assert_held();  // the predicate runs with mu_ held
        return relogin_;
      });
      if (stop.stop_requested()) return;
    }
    bool relogin;
    {
      MutexLock lock(mu_);
      relogin = relogin_;
    }
    if (!relogin && auth_->changed()) relogin = true;
    if (!relogin && Clock::now() < due) continue;
    Status s;
    if (!relogin && renewable && !capped) {
      VaultResponse r;
      s = client_.write("auth/token/renew-self", {{"increment", requested_ttl.count()}}, &r);
      if (s.is_ok()) {
        Result<VaultToken> t = token_from_login("auth/token/renew-self", r);
        if (t) {
          renewed = Clock::now();
          ttl = t->ttl;
          // Capped by max_ttl: this token ends at a fixed time, and the leases it obtained
          // with it. Log in now, so the sources have all of what is left to re-issue theirs.
          capped = ttl < requested_ttl;
          retry_at.reset();
          if (capped) retry_at = Clock::now();
          backoff = options_.min_retry;
          continue;
        }
        s = t.status();
      }
      log::warn("secrets", "vault token renewal failed",
                {{"path", "auth/token/renew-self"}, {"error", s.to_string()}});
      // A token Vault still knows is worth another renewal; an unknown or expired one is not.
      if (s.code() == StatusCode::kUnavailable && Clock::now() < renewed + ttl) {
        retry_at = Clock::now() + backoff;
        backoff = std::min(backoff * 2, options_.max_retry);
        continue;
      }
    }
    s = login_locked_out();
    if (s.is_ok()) {
      MutexLock lock(mu_);
      requested_ttl = ttl = token_.ttl;
      renewed = issued_;
      capped = false;
      retry_at.reset();
      backoff = options_.min_retry;
      log::info("secrets", "vault login", {{"method", method_}});
      continue;
    }
    log::warn("secrets", "vault login failed", {{"method", method_}, {"error", s.to_string()}});
    retry_at = Clock::now() + backoff;
    backoff = std::min(backoff * 2, options_.max_retry);
    MutexLock lock(mu_);
    relogin_ = false;
  }
}

}  // namespace infralogs::secrets

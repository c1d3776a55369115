// The Vault database credential sources against test-vault and a real MariaDB pair: a dynamic
// lease renewed, re-issued before max_ttl and the old user revoked; a Vault token that expires
// before the lease; a static role followed across rotations. A consumer keeps logging in with
// current() throughout. Run by ctest as "vault: sources database".

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <set>
#include <thread>

#include "fakes/fake_rotation_listener.h"
#include "infralogs/secrets/vault_auth.h"
#include "infralogs/secrets/vault_client.h"
#include "infralogs/secrets/vault_credential_source.h"
#include "vault_fixture.h"

namespace infralogs::vtest {
namespace {

using nlohmann::json;
using secrets::VaultClient;
using secrets::VaultCredentialSource;
using secrets::VaultSecretKind;
using secrets::VaultSourceOptions;
using std::chrono::milliseconds;

const std::string kCreate =
    "CREATE USER '{{name}}'@'%' IDENTIFIED BY '{{password}}'; "
    "GRANT SELECT ON sources_test.* TO '{{name}}'@'%';";

MariaDbPair& pair_with_schema() {
  MariaDbPair& pair = MariaDbPair::shared();
  static bool once = [&] {
    pair.primary("CREATE DATABASE IF NOT EXISTS sources_test");
    return true;
  }();
  (void)once;
  return pair;
}

std::unique_ptr<VaultClient> client_for(const VaultProcess& v) {
  secrets::VaultClientOptions o;
  o.address = "http://127.0.0.1:" + std::to_string(v.port());
  auto c = VaultClient::create(o);
  REQUIRE(c);
  return std::move(*c);
}

// Verifies candidates by logging in on the primary, as a pool would.
fakes::FakeRotationListener& login_listener(fakes::FakeRotationListener& l, MariaDbPair& pair) {
  l.set_check([&pair](const Credentials& c) {
    unsigned int e = try_login(pair.primary_port(), c.username, c.password);
    return e == 0 ? Status::ok() : Status::unavailable("login " + std::to_string(e));
  });
  return l;
}

// A consumer: logs in with current() every 100 ms; counts logins that failed while current()
// still returned the credentials that failed (a failure a pool would have seen). Collects every
// password it saw.
class Consumer {
 public:
  Consumer(secrets::CredentialSource& src, int port)
      : thread_([this, &src, port](std::stop_token st) {
          while (!st.stop_requested()) {
            Result<Credentials> c = src.current();
            if (c) {
              {
                MutexLock lock(mu_);
                passwords_.insert(c->password);
                users_.insert(c->username);
              }
              if (try_login(port, c->username, c->password) != 0) {
                Result<Credentials> again = src.current();
                if (again && *again == *c) ++failed_;
              }
              ++logins_;
            }
            std::this_thread::sleep_for(milliseconds(100));
          }
        }) {}
  ~Consumer() { stop(); }
  void stop() {
    thread_.request_stop();
    if (thread_.joinable()) thread_.join();
  }
  int failed() const { return failed_; }
  int logins() const { return logins_; }
  std::set<std::string> passwords() const {
    MutexLock lock(mu_);
    return passwords_;
  }
  std::set<std::string> users() const {
    MutexLock lock(mu_);
    return users_;
  }

 private:
  std::atomic<int> failed_{0}, logins_{0};
  mutable Mutex mu_;
  std::set<std::string> passwords_, users_;
  std::jthread thread_;
};

// stderr to a file while alive (see sources_test.cpp); text() restores and reads it.
class LogCapture {
 public:
  explicit LogCapture(const TempDir& dir) : path_(dir.path() + "/stderr.log") {
    std::fflush(stderr);
    saved_ = ::dup(2);
    int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    ::dup2(fd, 2);
    ::close(fd);
  }
  ~LogCapture() { restore(); }
  std::string text() {
    restore();
    return read_file(path_);
  }

 private:
  void restore() {
    if (saved_ < 0) return;
    std::fflush(stderr);
    ::dup2(saved_, 2);
    ::close(saved_);
    saved_ = -1;
  }
  std::string path_;
  int saved_ = -1;
};

void check_no_secret(const std::string& log, const std::set<std::string>& secrets) {
  CHECK(log.find("hvs.") == std::string::npos);
  for (const std::string& s : secrets) {
    INFO("a password is in the log");
    CHECK(log.find(s) == std::string::npos);
  }
}

VaultSourceOptions quick(VaultSecretKind kind, std::string path) {
  VaultSourceOptions o;
  o.kind = kind;
  o.path = std::move(path);
  o.poll_interval = milliseconds(2000);
  o.min_retry = milliseconds(100);
  o.max_retry = milliseconds(500);
  o.verify_retry = milliseconds(100);
  o.drain_timeout = milliseconds(200);
  return o;
}

int requests_to(const VaultProcess& v, const std::string& path) {
  int n = 0;
  json all = v.root("GET", "/_test/requests").json();  // kept: the loop refers into it
  for (const json& r : all["requests"]) {
    if (r["path"] == "/v1/" + path) ++n;
  }
  return n;
}

}  // namespace

TEST_CASE("dynamic: the lease is renewed, re-issued before max_ttl, and the old one revoked",
          "[sources-db]") {
  MariaDbPair& pair = pair_with_schema();
  TempDir dir;
  LogCapture cap(dir);
  VaultProcess v;
  configure_database(v, pair);
  REQUIRE(v.root("POST", "/v1/database/roles/reader",
                 {{"db_name", "pair"},
                  {"creation_statements", kCreate},
                  {"default_ttl", 3},
                  {"max_ttl", 6}})
              .status == 204);
  auto c = client_for(v);
  c->set_token(v.root_token());
  fakes::FakeRotationListener listener;
  VaultCredentialSource src(*c, nullptr, quick(VaultSecretKind::kDynamic, "database/creds/reader"),
                            &login_listener(listener, pair));
  REQUIRE(src.start().is_ok());
  std::string first_user = src.current()->username;
  CHECK(src.info().source == "vault-dynamic");
  REQUIRE(src.info().expires_usec);
  Consumer consumer(src, pair.primary_port());
  // 3 s leases, 6 s max: renewals at ~2 s and ~4 s (capped), a new user right then.
  REQUIRE(wait_until([&] { return src.info().switches >= 1; }, milliseconds(8000)));
  CHECK(requests_to(v, "sys/leases/renew") >= 2);
  CHECK(src.current()->username != first_user);
  REQUIRE(wait_until([&] { return !listener.switched().empty(); }, milliseconds(2000)));
  CHECK(listener.switched().front() == 2);
  // The old lease was revoked by the source (not expired), and its user is gone. The revoke
  // follows the switch once the old user's sessions drained: wait for it (it once came after
  // the switch was seen, on a loaded machine).
  json revs;
  REQUIRE(wait_until(
      [&] {
        revs = v.root("GET", "/_test/revocations").json()["revocations"];
        return !revs.empty();
      },
      milliseconds(3000)));
  CHECK(revs[0]["username"] == first_user);
  CHECK(revs[0]["reason"] == "revoked through sys/leases/revoke");
  CHECK(!user_exists(pair, first_user));
  std::this_thread::sleep_for(milliseconds(1000));
  consumer.stop();
  CHECK(consumer.logins() > 10);
  CHECK(consumer.failed() == 0);
  CHECK(src.info().failures == 0);
  src.stop();
  std::set<std::string> secrets = consumer.passwords();
  secrets.insert(v.root_token());
  check_no_secret(cap.text(), secrets);
}

TEST_CASE("dynamic: a Vault token that expires before the lease is replaced, and so is the user",
          "[sources-db]") {
  MariaDbPair& pair = pair_with_schema();
  TempDir dir;
  LogCapture cap(dir);
  VaultProcess v;
  configure_database(v, pair);
  REQUIRE(v.root("POST", "/v1/database/roles/reader",
                 {{"db_name", "pair"},
                  {"creation_statements", kCreate},
                  {"default_ttl", 60},
                  {"max_ttl", 600}})
              .status == 204);
  REQUIRE(v.root("PUT", "/v1/sys/policies/acl/db",
                 {{"policy", R"(path "database/creds/*" { capabilities = ["read"] }
path "sys/leases/*" { capabilities = ["update"] })"}})
              .status == 204);
  REQUIRE(v.root("POST", "/v1/sys/auth/approle", {{"type", "approle"}}).status == 204);
  REQUIRE(v.root("POST", "/v1/auth/approle/role/infralogs",
                 {{"token_policies", "db"}, {"token_ttl", 4}, {"token_max_ttl", 6}})
              .status == 204);
  std::string role_id =
      v.root("GET", "/v1/auth/approle/role/infralogs/role-id").json()["data"]["role_id"];
  std::string secret_id =
      v.root("POST", "/v1/auth/approle/role/infralogs/secret-id").json()["data"]["secret_id"];
  dir.write("role-id", role_id);
  dir.write("secret-id", secret_id);

  auto c = client_for(v);
  secrets::VaultTokenManager tokens(
      *c, secrets::make_approle_auth(dir.path() + "/role-id", dir.path() + "/secret-id"),
      {2.0 / 3.0, milliseconds(100), milliseconds(500)});
  REQUIRE(tokens.start().is_ok());
  fakes::FakeRotationListener listener;
  VaultCredentialSource src(*c, &tokens, quick(VaultSecretKind::kDynamic, "database/creds/reader"),
                            &login_listener(listener, pair));
  REQUIRE(src.start().is_ok());
  std::string first_user = src.current()->username;
  Consumer consumer(src, pair.primary_port());
  // The token ends at 6 s, long before the 60 s lease; its renewal at ~2.7 s is capped, so a
  // new login and a new user follow.
  REQUIRE(wait_until([&] { return src.info().switches >= 1; }, milliseconds(7000)));
  CHECK(tokens.generation() >= 2);
  CHECK(src.current()->username != first_user);
  // Past the first token's end (6 s): its user is gone, and the consumer never noticed.
  std::this_thread::sleep_for(milliseconds(3500));
  CHECK(!user_exists(pair, first_user));
  consumer.stop();
  CHECK(consumer.failed() == 0);
  CHECK(try_login(pair.primary_port(), src.current()->username, src.current()->password) == 0);
  src.stop();
  tokens.stop();
  std::set<std::string> secrets = consumer.passwords();
  secrets.insert(v.root_token());
  secrets.insert(secret_id);
  check_no_secret(cap.text(), secrets);
}

TEST_CASE("static: the source re-reads right after each rotation", "[sources-db]") {
  MariaDbPair& pair = pair_with_schema();
  TempDir dir;
  LogCapture cap(dir);
  VaultProcess v;
  configure_database(v, pair);
  pair.primary("CREATE OR REPLACE USER 'sources_static'@'%' IDENTIFIED BY 'initial-pw'");
  REQUIRE(v.root("POST", "/v1/database/static-roles/st",
                 {{"db_name", "pair"}, {"username", "sources_static"}, {"rotation_period", "5s"}})
              .status == 204);
  auto c = client_for(v);
  c->set_token(v.root_token());
  fakes::FakeRotationListener listener;
  VaultSourceOptions o = quick(VaultSecretKind::kStatic, "database/static-creds/st");
  o.poll_interval = milliseconds(60000);  // only the ttl brings the re-read
  VaultCredentialSource src(*c, nullptr, o, &login_listener(listener, pair));
  REQUIRE(src.start().is_ok());
  std::string pw1 = src.current()->password;
  CHECK(src.info().source == "vault-static");
  REQUIRE(wait_until([&] { return src.info().switches >= 1; }, milliseconds(8000)));
  Credentials now = *src.current();
  CHECK(now.username == "sources_static");
  CHECK(now.password != pw1);
  CHECK(try_login(pair.primary_port(), now.username, now.password) == 0);
  CHECK(try_login(pair.primary_port(), now.username, pw1) != 0);
  // A rotate-role out of band is picked up by refresh_after_auth_failure.
  REQUIRE(v.root("POST", "/v1/database/rotate-role/st").status == 204);
  Credentials after = *src.refresh_after_auth_failure();
  CHECK(after.password != now.password);
  CHECK(try_login(pair.primary_port(), after.username, after.password) == 0);
  src.stop();
  check_no_secret(cap.text(), {pw1, now.password, after.password, v.root_token()});
}

}  // namespace infralogs::vtest

// The Credentials panel end to end (issue 10): the real binary against test-vault and a real
// MariaDB pair. serve on a dynamic Vault credential shows its user and expiry in
// /api/credentials, /healthz and /metrics; a rotate-creds run's events reach the panel through
// credential_events; no answer carries a password. Run by ctest as "vault: credentials".

#include <fcntl.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "support/binaries.h"
#include "vault_fixture.h"

namespace infralogs::vtest {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

// The binary in the background, output to a file; SIGTERM and reap on destruction.
class Child {
 public:
  explicit Child(const std::vector<std::string>& argv) : log_(dir_.path() + "/log") {
    pid_ = fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      int fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      std::vector<char*> a;
      for (const std::string& s : argv) a.push_back(const_cast<char*>(s.c_str()));
      a.push_back(nullptr);
      ::execv(a[0], a.data());
      _exit(127);
    }
  }
  ~Child() {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }
  std::string log() const { return read_file(log_); }

 private:
  TempDir dir_;
  std::string log_;
  pid_t pid_ = -1;
};

TEST_CASE("serve on Vault credentials shows its user and expiry; rotate-creds' events appear",
          "[credentials]") {
  MariaDbPair& pair = MariaDbPair::shared();
  pair.primary("CREATE DATABASE IF NOT EXISTS cred_test");
  VaultProcess v;
  configure_database(v, pair);
  REQUIRE(v.root("POST", "/v1/database/roles/read",
                 {{"db_name", "pair"},
                  {"creation_statements",
                   "CREATE USER '{{name}}'@'%' IDENTIFIED BY '{{password}}'; GRANT SELECT ON "
                   "cred_test.* TO '{{name}}'@'%';"},
                  {"default_ttl", "3600s"},
                  {"max_ttl", "7200s"}})
              .status == 204);
  pair.primary(
      "CREATE OR REPLACE USER 'st_cred'@'%' IDENTIFIED BY 'initial'; "
      "GRANT SELECT ON cred_test.* TO 'st_cred'@'%'");
  REQUIRE(v.root("POST", "/v1/database/static-roles/cred",
                 {{"db_name", "pair"}, {"username", "st_cred"}, {"rotation_period", "3600s"}})
              .status == 204);
  TempDir dir;
  const std::string token_file = dir.write("token", v.root_token() + "\n");
  const std::string addr = "http://127.0.0.1:" + std::to_string(v.port());
  const std::string primary =
      "mysql://127.0.0.1:" + std::to_string(pair.primary_port()) + "/cred_test";
  const std::string replica =
      "mysql://127.0.0.1:" + std::to_string(pair.replica_port()) + "/cred_test";
  const std::string admin = pair.dir() + "/admin.json";
  CommandResult m = run({test::infralogs_binary(), "collect", "--migrate", "--db", primary,
                         "--db-credentials-file", admin});
  INFO(m.err);
  REQUIRE(m.exit_code == 0);
  pair.sync_replica();

  // Port 0 and the port from its "listening" line: a port picked in advance may be taken by
  // another process meanwhile.
  Child serve({test::infralogs_binary(), "serve", "--listen", "127.0.0.1:0", "--db", replica,
               "--vault-addr", addr, "--vault-token-file", token_file, "--db-creds-path",
               "database/creds/read", "--log-level", "debug"});
  int port = 0;
  wait_until(
      [&] {
        std::string log = serve.log();
        for (size_t b = 0, e; b < log.size(); b = e + 1) {
          e = log.find('\n', b);
          if (e == std::string::npos) e = log.size();
          json line = json::parse(log.substr(b, e - b), nullptr, false);
          if (line.is_object() && line.value("msg", "") == "listening")
            port = line.value("port", 0);
        }
        return port > 0;
      },
      milliseconds(20000));
  INFO(serve.log());
  REQUIRE(port > 0);
  httplib::Client c("127.0.0.1", port);
  bool healthy = wait_until(
      [&] {
        auto r = c.Get("/healthz");
        return r && r->status == 200;
      },
      milliseconds(20000));
  INFO(serve.log());
  REQUIRE(healthy);

  // The reader's user, as Vault made it, in all three answers; the expiry about an hour away.
  auto h = c.Get("/healthz");
  REQUIRE(h);
  json hj = json::parse(h->body);
  const std::string user = hj["credentials"]["user"];
  CHECK(user.rfind("v-", 0) == 0);
  CHECK(user_exists(pair, user));
  CHECK(hj["credentials"]["source"] == "vault-dynamic");
  CHECK(!hj["credentials"].contains("location"));  // unauthenticated: no paths
  CHECK(!hj["credentials"].contains("last_error"));
  double expires_in = hj["credentials"]["expires_in_s"];
  CHECK(expires_in > 3000);
  CHECK(expires_in <= 3600);

  auto a = c.Get("/api/credentials");
  REQUIRE(a);
  REQUIRE(a->status == 200);
  json aj = json::parse(a->body);
  REQUIRE(aj["modes"].size() >= 1);
  CHECK(aj["modes"][0]["mode"] == "serve");
  CHECK(aj["modes"][0]["user"] == user);
  CHECK(aj["modes"][0]["expires"].is_number());
  CHECK(aj["warnings"] == json::array());
  CHECK(aj["rotations"] == 0);

  auto metrics = c.Get("/metrics");
  REQUIRE(metrics);
  CHECK(metrics->body.find("infralogs_db_credential_expires_in_seconds{role=\"reader\"} ") !=
        std::string::npos);
  CHECK(metrics->body.find("infralogs_db_credential_age_seconds{role=\"reader\"} ") !=
        std::string::npos);

  // rotate-creds, as the pair's admin (the rotation account), records each audit line.
  CommandResult r = run({test::infralogs_binary(), "rotate-creds", "--primary", primary,
                         "--replica", replica, "--vault-addr", addr, "--vault-token-file",
                         token_file, "--static-role", "cred", "--db-credentials-file", admin});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.err.find("cannot record") == std::string::npos);
  pair.sync_replica();
  auto a2 = c.Get("/api/credentials");
  REQUIRE(a2);
  REQUIRE(a2->status == 200);
  json ej = json::parse(a2->body);
  CHECK(ej["rotations"] == 1);
  CHECK(ej["failures"] == 0);
  REQUIRE(ej["events"].size() == 4);  // rotate-role, read, verify-primary, verify-replica
  CHECK(ej["events"][0]["action"] == "verify-replica");
  CHECK(ej["events"][0]["user"] == "st_cred");
  CHECK(ej["events"][0]["mode"] == "rotate-creds");
  CHECK(ej["events"][3]["action"] == "rotate-role");
  CHECK(ej["last_rotation"]["time"].is_number());

  // Never a password or token: the static role's current one, and no "password" key at all
  // (serve's dynamic password is nowhere else to be read).
  const std::string pw = v.root("GET", "/v1/database/static-creds/cred").json()["data"]["password"];
  auto h2 = c.Get("/healthz");
  REQUIRE(h2);
  for (const std::string& body : {h->body, h2->body, a->body, a2->body, metrics->body}) {
    CHECK(body.find(pw) == std::string::npos);
    CHECK(body.find(v.root_token()) == std::string::npos);
    CHECK(body.find("password") == std::string::npos);
  }
  CHECK(r.err.find(pw) == std::string::npos);
}

}  // namespace
}  // namespace infralogs::vtest

// infralogs rotate-creds (the real binary) against test-vault and a real MariaDB pair: a static
// role rotated and verified on both servers; the KV v2 A/B swap twice (A->B->A) while a
// consumer that follows the secret logs in throughout; a run SIGKILLed after each step (the
// --pause-after-step test hook) and rerun; --dry-run; usage errors; and no password or token
// in any output. Run by ctest as "vault: rotate-creds", less the SIGKILL case ([kill]), which
// is the fault suite's "faults: rotate-creds killed with SIGKILL after each step".

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <mutex>
#include <set>
#include <thread>

#include "support/binaries.h"
#include "support/process.h"
#include "vault_fixture.h"

namespace infralogs::vtest {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr unsigned int kAccessDenied = 1045;

MariaDbPair& pair_with_schema() {
  MariaDbPair& pair = MariaDbPair::shared();
  static bool once = [&] {
    pair.primary("CREATE DATABASE IF NOT EXISTS rotate_test");
    return true;
  }();
  (void)once;
  return pair;
}

// Everything a run of the binary needs: Vault with the root token in a file, the pair's URLs,
// and the rotation account (the pair's admin) as a credentials file.
struct Env {
  MariaDbPair& pair;
  VaultProcess& vault;
  TempDir dir;
  std::string token_file;
  std::vector<std::string> base() const {
    return {test::infralogs_binary(),
            "rotate-creds",
            "--primary",
            "mysql://127.0.0.1:" + std::to_string(pair.primary_port()) + "/rotate_test",
            "--replica",
            "mysql://127.0.0.1:" + std::to_string(pair.replica_port()) + "/rotate_test",
            "--vault-addr",
            "http://127.0.0.1:" + std::to_string(vault.port()),
            "--vault-token-file",
            token_file};
  }
  std::vector<std::string> kv(std::vector<std::string> extra = {}) const {
    std::vector<std::string> a = base();
    for (const std::string& s :
         std::vector<std::string>{"--kv-path", "kv:kv/infralogs/db", "--users", "ab_a,ab_b",
                                  "--db-credentials-file", pair.dir() + "/admin.json"})
      a.push_back(s);
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  Env(MariaDbPair& p, VaultProcess& v) : pair(p), vault(v) {
    token_file = dir.write("token", v.root_token() + "\n");
  }
};

// Everything the binary wrote, for the secret check at the end.
struct Outputs {
  std::mutex mu;
  std::string all;
  void add(const CommandResult& r) {
    std::lock_guard<std::mutex> l(mu);
    all += r.out + r.err;
  }
  void add(const std::string& s) {
    std::lock_guard<std::mutex> l(mu);
    all += s;
  }
};

void check_no_secret(const std::string& out, const std::set<std::string>& secrets) {
  for (const std::string& s : secrets) {
    INFO("a password or token is in the output");
    CHECK(out.find(s) == std::string::npos);
  }
}

// The KV secret as test-vault has it: version and data; version 0 when it could not be read.
// No Catch macros: the Consumer calls it from its own thread.
struct Kv {
  int64_t version = 0;
  json data;
};
Kv read_kv(const VaultProcess& v) {
  std::optional<Reply> r = v.try_root("GET", "/v1/kv/data/infralogs/db");
  Kv k;
  if (!r || r->status != 200) return k;
  json j = r->json();
  k.version = j["data"]["metadata"]["version"].get<int64_t>();
  k.data = j["data"]["data"];
  return k;
}

// A consumer that follows the KV secret: every 50 ms it reads the secret and logs in with it on
// the primary and the replica. Counts failed logins and collects every password.
class Consumer {
 public:
  Consumer(const VaultProcess& v, MariaDbPair& pair)
      : thread_([this, &v, &pair](std::stop_token st) {
          while (!st.stop_requested()) {
            Kv k = read_kv(v);
            if (k.version > 0) {
              std::string u = k.data["username"], p = k.data["password"];
              {
                std::lock_guard<std::mutex> l(mu_);
                passwords_.insert(p);
              }
              if (try_login(pair.primary_port(), u, p) != 0) ++failed_;
              if (try_login(pair.replica_port(), u, p) != 0) ++failed_;
              ++logins_;
            }
            std::this_thread::sleep_for(milliseconds(50));
          }
        }) {}
  ~Consumer() { stop(); }
  void stop() {
    thread_.request_stop();
    if (thread_.joinable()) thread_.join();
  }
  int failed() const { return failed_; }
  int logins() const { return logins_; }
  std::set<std::string> passwords() {
    std::lock_guard<std::mutex> l(mu_);
    return passwords_;
  }

 private:
  std::atomic<int> failed_{0}, logins_{0};
  std::mutex mu_;
  std::set<std::string> passwords_;
  std::jthread thread_;
};

// Two users with the consumers' grants, the KV mount, and the secret naming ab_a.
void setup_ab(MariaDbPair& pair, VaultProcess& v) {
  pair.primary(
      "CREATE OR REPLACE USER 'ab_a'@'%' IDENTIFIED BY 'initialA1'; "
      "CREATE OR REPLACE USER 'ab_b'@'%' IDENTIFIED BY 'initialB1'; "
      "GRANT SELECT ON rotate_test.* TO 'ab_a'@'%'; GRANT SELECT ON rotate_test.* TO 'ab_b'@'%'");
  pair.sync_replica();
  REQUIRE(v.root("POST", "/v1/sys/mounts/kv", {{"type", "kv"}, {"options", {{"version", "2"}}}})
              .status == 204);
  REQUIRE(v.root("POST", "/v1/kv/data/infralogs/db",
                 {{"options", {{"cas", 0}}},
                  {"data", {{"username", "ab_a"}, {"password", "initialA1"}}}})
              .status == 200);
}

int count(const std::string& hay, const std::string& needle) {
  int n = 0;
  for (size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

TEST_CASE("rotate-creds --static-role rotates and verifies on the primary and the replica",
          "[rotate]") {
  MariaDbPair& pair = pair_with_schema();
  VaultProcess v;
  configure_database(v, pair);
  pair.primary(
      "CREATE OR REPLACE USER 'st_rot'@'%' IDENTIFIED BY 'initial'; "
      "GRANT SELECT ON rotate_test.* TO 'st_rot'@'%'");
  REQUIRE(v.root("POST", "/v1/database/static-roles/rot",
                 {{"db_name", "pair"}, {"username", "st_rot"}, {"rotation_period", "3600s"}})
              .status == 204);
  std::string pw1 = v.root("GET", "/v1/database/static-creds/rot").json()["data"]["password"];
  Env env(pair, v);
  std::vector<std::string> args = env.base();
  args.insert(args.end(), {"--static-role", "rot"});

  std::vector<std::string> dry = args;
  dry.push_back("--dry-run");
  CommandResult d = run(dry);
  INFO(d.err);
  REQUIRE(d.exit_code == 0);
  CHECK(d.out.find("dry run: would rotate database/rotate-role/rot (user st_rot)") !=
        std::string::npos);
  CHECK(v.root("GET", "/v1/database/static-creds/rot").json()["data"]["password"] == pw1);
  CHECK(try_login(pair.primary_port(), "st_rot", pw1) == 0);

  CommandResult r = run(args);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  std::string pw2 = v.root("GET", "/v1/database/static-creds/rot").json()["data"]["password"];
  CHECK(pw2 != pw1);
  CHECK(try_login(pair.primary_port(), "st_rot", pw1) == kAccessDenied);
  CHECK(try_login(pair.primary_port(), "st_rot", pw2) == 0);
  CHECK(try_login(pair.replica_port(), "st_rot", pw2) == 0);
  CHECK(r.out.find("rotated database/rotate-role/rot (user st_rot)") != std::string::npos);
  for (std::string action : {"rotate-role", "read", "verify-primary", "verify-replica"})
    CHECK(count(r.err, "\"action\":\"" + action + "\"") == 1);
  CHECK(count(r.err, "\"msg\":\"audit\"") == 4);
  check_no_secret(d.out + d.err + r.out + r.err, {pw1, pw2, v.root_token()});
}

TEST_CASE("rotate-creds --kv-path swaps A->B->A while a consumer keeps logging in", "[rotate]") {
  MariaDbPair& pair = pair_with_schema();
  VaultProcess v;
  setup_ab(pair, v);
  Env env(pair, v);
  Outputs outputs;
  Consumer consumer(v, pair);
  REQUIRE(wait_until([&] { return consumer.logins() >= 3; }, seconds(10)));

  // A dry run changes nothing: same version, both old passwords still work.
  CommandResult d = run(env.kv({"--min-interval", "0", "--dry-run"}));
  outputs.add(d);
  INFO(d.err);
  REQUIRE(d.exit_code == 0);
  CHECK(d.out.find("would set a new password for ab_b") != std::string::npos);
  CHECK(read_kv(v).version == 1);
  CHECK(try_login(pair.primary_port(), "ab_b", "initialB1") == 0);
  CHECK(count(d.err, "\"result\":\"dry-run\"") == 2);

  CommandResult r1 = run(env.kv({"--min-interval", "0"}));
  outputs.add(r1);
  INFO(r1.err);
  REQUIRE(r1.exit_code == 0);
  Kv k1 = read_kv(v);
  CHECK(k1.version == 2);
  CHECK(k1.data["username"] == "ab_b");
  CHECK(k1.data["previous_username"] == "ab_a");
  std::string pb = k1.data["password"];
  CHECK(pb.size() == 32);
  CHECK(try_login(pair.replica_port(), "ab_b", pb) == 0);
  CHECK(try_login(pair.primary_port(), "ab_b", "initialB1") == kAccessDenied);
  // Only one user per run: A keeps its password.
  CHECK(try_login(pair.primary_port(), "ab_a", "initialA1") == 0);
  REQUIRE(
      wait_until([&, n = consumer.logins()] { return consumer.logins() >= n + 3; }, seconds(10)));

  // Right after a swap the next one is not due (default --min-interval 1 h): nothing changes.
  CommandResult nd = run(env.kv());
  outputs.add(nd);
  REQUIRE(nd.exit_code == 0);
  CHECK(nd.out.find("not due") != std::string::npos);
  CHECK(read_kv(v).version == 2);
  CHECK(try_login(pair.primary_port(), "ab_a", "initialA1") == 0);

  CommandResult r2 = run(env.kv({"--min-interval", "0"}));
  outputs.add(r2);
  INFO(r2.err);
  REQUIRE(r2.exit_code == 0);
  Kv k2 = read_kv(v);
  CHECK(k2.version == 3);
  CHECK(k2.data["username"] == "ab_a");
  std::string pa = k2.data["password"];
  CHECK(pa != pb);
  CHECK(try_login(pair.replica_port(), "ab_a", pa) == 0);
  CHECK(try_login(pair.primary_port(), "ab_a", "initialA1") == kAccessDenied);
  CHECK(try_login(pair.primary_port(), "ab_b", pb) == 0);
  REQUIRE(
      wait_until([&, n = consumer.logins()] { return consumer.logins() >= n + 3; }, seconds(10)));
  consumer.stop();
  CHECK(consumer.failed() == 0);
  CHECK(consumer.passwords().count(pa) == 1);
  std::set<std::string> secrets = consumer.passwords();
  secrets.insert({pa, pb, v.root_token(), pair.admin_password()});
  check_no_secret(outputs.all, secrets);
  // One audit line per action: read, set-password, verify-primary, verify-replica, write.
  CHECK(count(r1.err, "\"msg\":\"audit\"") == 5);
}

TEST_CASE("rotate-creds --kv-path killed after each step converges on rerun", "[rotate][kill]") {
  MariaDbPair& pair = pair_with_schema();
  VaultProcess v;
  setup_ab(pair, v);
  Env env(pair, v);
  Outputs outputs;
  Consumer consumer(v, pair);
  REQUIRE(wait_until([&] { return consumer.logins() >= 3; }, seconds(10)));

  for (int step = 1; step <= 5; ++step) {
    INFO("killed after step " << step);
    Kv before = read_kv(v);
    std::string active = before.data["username"];
    std::string inactive = active == "ab_a" ? "ab_b" : "ab_a";
    {
      test::BackgroundProcess b(
          env.kv({"--min-interval", "0", "--pause-after-step", std::to_string(step)}));
      REQUIRE(wait_until([&] { return b.log().find("paused (test hook") != std::string::npos; },
                         seconds(30)));
      b.signal(SIGKILL);
      b.wait();
      CHECK(b.term_signal() == SIGKILL);  // it was still paused, not exited
      outputs.add(b.log());
    }
    Kv after_kill = read_kv(v);
    if (step < 5) {
      // Nothing published: the consumers still use the active user, which still works.
      CHECK(after_kill.version == before.version);
    } else {
      CHECK(after_kill.version == before.version + 1);
      CHECK(after_kill.data["username"] == inactive);
    }
    std::string u = after_kill.data["username"], p = after_kill.data["password"];
    CHECK(try_login(pair.primary_port(), u, p) == 0);

    // The rerun: after a crash before the write it finishes the swap; after the write the swap
    // is done and the rerun (default --min-interval) leaves it alone.
    CommandResult r = run(env.kv());
    outputs.add(r);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    Kv k = read_kv(v);
    CHECK(k.version == before.version + 1);
    CHECK(k.data["username"] == inactive);
    std::string np = k.data["password"];
    CHECK(try_login(pair.primary_port(), inactive, np) == 0);
    CHECK(try_login(pair.replica_port(), inactive, np) == 0);
    // The previously active user is left working.
    CHECK(try_login(pair.primary_port(), active, before.data["password"].get<std::string>()) == 0);
    if (step == 5) CHECK(r.out.find("not due") != std::string::npos);
    // The next iteration starts from a swap that is due.
    REQUIRE(v.root("POST", "/v1/kv/data/infralogs/db",
                   {{"options", {{"cas", k.version}}},
                    {"data", {{"username", inactive}, {"password", np}, {"rotated_at", 0}}}})
                .status == 200);
  }
  REQUIRE(
      wait_until([&, n = consumer.logins()] { return consumer.logins() >= n + 3; }, seconds(10)));
  consumer.stop();
  CHECK(consumer.failed() == 0);
  std::set<std::string> secrets = consumer.passwords();
  secrets.insert({v.root_token(), pair.admin_password()});
  check_no_secret(outputs.all, secrets);
}

TEST_CASE("rotate-creds usage errors exit 2", "[rotate]") {
  const std::string b = test::infralogs_binary();
  const std::vector<std::string> db = {"rotate-creds", "--primary", "mysql://127.0.0.1:1/x",
                                       "--replica", "mysql://127.0.0.1:2/x"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> a = {b};
    a.insert(a.end(), db.begin(), db.end());
    a.insert(a.end(), extra.begin(), extra.end());
    return run(a);
  };
  const std::vector<std::string> vault = {"--vault-addr", "http://127.0.0.1:1",
                                          "--vault-token-file", "/nonexistent"};
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  std::vector<std::string> kv = vault;
  kv.insert(kv.end(), {"--kv-path", "kv:kv/x"});
  const Case cases[] = {
      {vault, "give one of --static-role and --kv-path"},
      {{"--static-role", "r", "--kv-path", "kv:kv/x"}, "give one of --static-role and --kv-path"},
      {{"--static-role", "r"}, "rotate-creds needs --vault-addr"},
      {{"--kv-path", "kv/x", "--users", "a,b"}, "--kv-path kv/x: want kv:MOUNT/PATH"},
      {kv, "--kv-path needs --users A,B"},
      {{"--static-role", "r", "--users", "a,b"}, "--users goes with --kv-path"},
      {{"--static-role", "r", "--vault-addr", "http://127.0.0.1:1", "--vault-auth", "ldap"},
       "--vault-auth ldap: want token, approle or kubernetes"},
      {{"--static-role", "r", "--vault-addr", "http://127.0.0.1:1"},
       "--vault-auth token needs --vault-token-file"},
      {{"--static-role", "r", "--vault-addr", "http://127.0.0.1:1", "--vault-auth", "approle"},
       "--vault-auth approle needs"},
      {{"--static-role", "r", "--vault-addr", "127.0.0.1:1", "--vault-token-file", "/t"},
       "want http(s)://HOST:PORT"},
      {{"--static-role", "r", "--vault-addr", "http://127.0.0.1:1", "--vault-token-file", "/t",
        "--db-creds-path", "secret/x"},
       "--db-creds-path secret/x: want database/creds/ROLE"},
      {{"--static-role", "r", "--db-creds-path", "database/creds/r"},
       "rotate-creds needs --vault-addr"},
  };
  for (const Case& c : cases) {
    CommandResult r = with(c.args);
    INFO(r.err);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find(c.message) != std::string::npos);
  }
  // KV with Vault but no rotation account.
  std::vector<std::string> no_admin = kv;
  no_admin.insert(no_admin.end(), {"--users", "a,b"});
  CommandResult r = with(no_admin);
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("--kv-path needs the rotation account") != std::string::npos);
  // Vault down is a runtime failure, not a usage error.
  TempDir dir;
  std::string tf = dir.write("token", "hvs.x\n");
  CommandResult down =
      with({"--static-role", "r", "--vault-addr", "http://127.0.0.1:" + std::to_string(free_port()),
            "--vault-token-file", tf});
  INFO(down.err);
  CHECK(down.exit_code == 1);
}

}  // namespace
}  // namespace infralogs::vtest

namespace infralogs::vtest {
namespace {

// The modes' credential flags (modes/credentials_options): collect --migrate as the writer on
// the primary and query as a reader on the replica, both from Vault static roles, and the same
// through rotate-creds --static-role in between.
TEST_CASE("collect and query take their credentials from Vault", "[rotate]") {
  MariaDbPair& pair = pair_with_schema();
  pair.primary("CREATE DATABASE IF NOT EXISTS modes_vault");
  VaultProcess v;
  configure_database(v, pair);
  pair.primary(
      "CREATE OR REPLACE USER 'mv_writer'@'%' IDENTIFIED BY 'initial'; "
      "GRANT ALL ON modes_vault.* TO 'mv_writer'@'%'; "
      "CREATE OR REPLACE USER 'mv_reader'@'%' IDENTIFIED BY 'initial'; "
      "GRANT SELECT ON modes_vault.* TO 'mv_reader'@'%'");
  for (std::string role : {"writer", "reader"})
    REQUIRE(v.root("POST", "/v1/database/static-roles/" + role,
                   {{"db_name", "pair"}, {"username", "mv_" + role}, {"rotation_period", "3600s"}})
                .status == 204);
  Env env(pair, v);
  const std::string addr = "http://127.0.0.1:" + std::to_string(v.port());
  const std::string primary =
      "mysql://127.0.0.1:" + std::to_string(pair.primary_port()) + "/modes_vault";
  const std::string replica =
      "mysql://127.0.0.1:" + std::to_string(pair.replica_port()) + "/modes_vault";
  CommandResult m = run({test::infralogs_binary(), "collect", "--migrate", "--db", primary,
                         "--vault-addr", addr, "--vault-token-file", env.token_file,
                         "--db-creds-path", "database/static-creds/writer"});
  INFO(m.err);
  REQUIRE(m.exit_code == 0);
  pair.sync_replica();
  auto query = [&] {
    return run({test::infralogs_binary(), "query", "--no-pager", "--db", replica, "--vault-addr",
                addr, "--vault-token-file", env.token_file, "--db-creds-path",
                "database/static-creds/reader", "-o", "json"});
  };
  CommandResult q = query();
  INFO(q.err);
  CHECK(q.exit_code == 0);
  std::vector<std::string> rot = env.base();
  rot.insert(rot.end(), {"--static-role", "reader"});
  // Verify in modes_vault, the only database the reader may use.
  rot[3] = primary;
  rot[5] = replica;
  CommandResult r = run(rot);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CommandResult q2 = query();
  INFO(q2.err);
  CHECK(q2.exit_code == 0);
  // Vault flags without --vault-addr, and both sources at once, are usage errors.
  CommandResult u1 = run({test::infralogs_binary(), "query", "--db", replica, "--db-creds-path",
                          "database/static-creds/reader"});
  CHECK(u1.exit_code == 2);
  CHECK(u1.err.find("need --vault-addr") != std::string::npos);
  CommandResult u2 = run({test::infralogs_binary(), "serve", "--db", replica, "--vault-addr", addr,
                          "--vault-token-file", env.token_file, "--db-credentials-file",
                          env.token_file, "--db-creds-path", "database/static-creds/reader"});
  CHECK(u2.exit_code == 2);
  CHECK(u2.err.find("exclusive") != std::string::npos);
  std::string pw = v.root("GET", "/v1/database/static-creds/reader").json()["data"]["password"];
  check_no_secret(m.out + m.err + q.out + q.err + r.out + r.err + q2.out + q2.err,
                  {pw, v.root_token()});
}

}  // namespace
}  // namespace infralogs::vtest

// Credential rotation under load (issue 10, "Done when"): real agents on generated journals that
// keep growing, one `infralogs collect --interval 1` and one `infralogs serve` per kind of
// rotation, each pair on its own database of a real MariaDB primary and replica, and 4 client
// threads looping over /api/overview, /api/search and /api/hosts of every serve. Meanwhile 10
// rotations of each kind run:
//   dynamic  database/creds roles with max_ttl 8 s: serve and collect re-issue users themselves;
//   static   `infralogs rotate-creds --static-role` (the writer's and the reader's role);
//   kv       `infralogs rotate-creds --kv-path ... --users A,B` (writer and reader secrets);
//   sidecar  the credentials file replaced as Vault Agent does (temp file + rename) with a user
//            made for it, the previous user dropped once the consumers moved.
// Then: 0 failed requests, every host's stored entries equal journalctl's count with no
// duplicate (seqnum_id, seqnum), every retired user gone from mysql.user and without a session
// in PROCESSLIST on the primary or the replica, and no password or token test-vault handed out
// (GET /_test/issued), written to a sidecar file or kept in a KV version appears in any log of
// the run, in serve's answers and metrics, in the agents' metrics or in the stored host labels. The
// figures are printed ("load: ...") and recorded in docs/reliability.md. Run by ctest as "vault:
// rotation under load".

#include <httplib.h>
#include <signal.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "support/binaries.h"
#include "support/files.h"
#include "support/journal.h"
#include "support/mariadb_pair.h"
#include "support/process.h"
#include "support/server_process.h"
#include "vault_fixture.h"

namespace infralogs::vtest {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

constexpr int kHosts = 2;
constexpr int kInitialEntries = 3000;  // per host; then kAppendEntries per host every second
constexpr int kAppendEntries = 20;
constexpr int kRotations = 10;
constexpr auto kRoundEvery = seconds(6);  // the cadence of the static, KV and sidecar rotations
constexpr int kClients = 4;

std::string random_string(size_t n) {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  static const char* kChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string s;
  for (size_t i = 0; i < n; ++i) s.push_back(kChars[rng() % 62]);
  return s;
}

int count(const std::string& hay, const std::string& needle) {
  int n = 0;
  for (size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// scripts/sql/grants.sql's statements for one account: the collector's (writer) or the
// reader's, on `db`.
std::string grants(const std::string& db, const std::string& account, bool writer) {
  if (!writer) return "GRANT SELECT ON " + db + ".* TO " + account + ";";
  std::istringstream in(test::read_file(test::source_dir() + "/scripts/sql/grants.sql"));
  std::string out;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("GRANT", 0) != 0 || line.find("@COLLECTOR@") == std::string::npos) continue;
    for (auto [from, to] :
         {std::pair<std::string, std::string>{"@DB@", db}, {"@COLLECTOR@", account}}) {
      for (size_t p = line.find(from); p != std::string::npos; p = line.find(from))
        line.replace(p, from.size(), to);
    }
    out += line + " ";
  }
  return out;
}

// Replaces `path` as consul-template does: a temporary file in the same directory, then rename.
void atomic_write(const std::string& path, const std::string& content) {
  std::string tmp = path + ".tmp" + random_string(6);
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << content;
  }
  std::filesystem::rename(tmp, path);
}

// One kind of rotation: its database, a collector and a serve following it, and what the
// clients saw of that serve.
struct Kind {
  std::string name;
  test::MariaDbPair::Database db;
  std::vector<std::string> collect_creds, serve_creds;
  std::unique_ptr<test::BackgroundProcess> collect;
  std::unique_ptr<test::ServerProcess> serve;
  int port = 0;
  std::atomic<int> requests{0}, failures{0};
  int rotations = 0;
};

// The dashboard clients: each loops over every serve and the three endpoints; any answer but
// 200, or a transport error, is a failure (the first ones are kept to show).
class Clients {
 public:
  explicit Clients(const std::vector<std::unique_ptr<Kind>>& kinds) {
    for (int c = 0; c < kClients; ++c) {
      threads_.emplace_back([this, &kinds](std::stop_token st) {
        const char* paths[] = {"/api/overview", "/api/search?limit=50", "/api/hosts",
                               "/api/search?q=session&limit=20"};
        while (!st.stop_requested()) {
          for (const auto& k : kinds) {
            for (const char* p : paths) {
              httplib::Client cli("127.0.0.1", k->port);
              cli.set_read_timeout(30, 0);
              auto res = cli.Get(p);
              ++k->requests;
              if (!res || res->status != 200) {
                ++k->failures;
                std::lock_guard<std::mutex> l(mu_);
                if (errors_.size() < 20) {
                  errors_.push_back(
                      std::to_string(std::chrono::duration_cast<milliseconds>(
                                         std::chrono::system_clock::now().time_since_epoch())
                                         .count()) +
                      " " + k->name + " " + p + ": " +
                      (res ? std::to_string(res->status) + " " + res->body.substr(0, 300)
                           : httplib::to_string(res.error())));
                }
              }
            }
          }
        }
      });
    }
  }
  void stop() {
    for (auto& t : threads_) t.request_stop();
    threads_.clear();  // joins
  }
  std::string errors() {
    std::lock_guard<std::mutex> l(mu_);
    std::string s;
    for (const auto& e : errors_) s += e + "\n";
    return s;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> errors_;
  std::vector<std::jthread> threads_;
};

// Appends kAppendEntries entries to every host's journal each second, continuing the hosts'
// sequences (make-journal --skip), so that the collectors keep ingesting during the rotations.
// No Catch macros here: it runs on its own thread.
class Appender {
 public:
  Appender(std::vector<std::string> dirs, std::string start)
      : thread_([this, dirs, start](std::stop_token st) {
          while (!st.stop_requested()) {
            for (size_t i = 0; i < dirs.size(); ++i) {
              CommandResult r = run({test::make_journal_binary(), "-o", dirs[i] + "/host.journal",
                                     "--hostname", std::string(1, static_cast<char>('a' + i)),
                                     "--entries", std::to_string(kAppendEntries), "--skip",
                                     std::to_string(next_), "--boots", "1", "--start", start});
              if (r.exit_code != 0) {
                std::lock_guard<std::mutex> l(mu_);
                error_ = r.err;
                return;
              }
            }
            next_ += kAppendEntries;
            ++appends_;
            std::this_thread::sleep_for(seconds(1));
          }
        }) {}
  void stop() {
    thread_.request_stop();
    if (thread_.joinable()) thread_.join();
  }
  int appends() const { return appends_; }
  std::string error() {
    std::lock_guard<std::mutex> l(mu_);
    return error_;
  }

 private:
  std::atomic<int> next_{kInitialEntries}, appends_{0};
  std::mutex mu_;
  std::string error_;
  std::jthread thread_;
};

int sessions_of(test::MariaDbPair& pair, bool replica, const std::set<std::string>& users) {
  if (users.empty()) return 0;
  std::string in;
  for (const auto& u : users) in += (in.empty() ? "'" : ",'") + u + "'";
  std::string sql =
      "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER IN (" + in + ")";
  return std::stoi((replica ? pair.replica(sql) : pair.primary(sql))[0][0]);
}

int users_left(test::MariaDbPair& pair, bool replica, const std::set<std::string>& users) {
  if (users.empty()) return 0;
  std::string in;
  for (const auto& u : users) in += (in.empty() ? "'" : ",'") + u + "'";
  std::string sql = "SELECT COUNT(*) FROM mysql.user WHERE User IN (" + in + ")";
  return std::stoi((replica ? pair.replica(sql) : pair.primary(sql))[0][0]);
}

std::string log_of(Kind& k) {
  return (k.collect ? k.collect->err() + k.collect->out() : "") + (k.serve ? k.serve->log() : "");
}

// The log's error lines, each whole with the line before it: what a failure of the check below
// shows (the first 4000 bytes of a minute of logs cut off before the error, in a CI run that
// failed once this way).
std::string error_lines(const std::string& log) {
  std::string out, previous;
  size_t start = 0;
  while (start < log.size()) {
    size_t end = log.find('\n', start);
    if (end == std::string::npos) end = log.size();
    std::string line = log.substr(start, end - start);
    if (line.find("\"level\":\"error\"") != std::string::npos) out += previous + "\n" + line + "\n";
    previous = std::move(line);
    start = end + 1;
  }
  return out;
}

TEST_CASE(
    "10 rotations of each kind under load: 0 failed requests, nothing lost or duplicated, "
    "old users gone, no secret logged",
    "[load]") {
  Clock::time_point t0 = Clock::now();
  test::MariaDbPair pair;
  TempDir work;
  std::vector<std::unique_ptr<Kind>> kinds;
  for (const char* name : {"dynamic", "static", "kv", "sidecar"}) {
    auto k = std::make_unique<Kind>();
    k->name = name;
    k->db = pair.create_database(std::string("ld_") + name);
    kinds.push_back(std::move(k));
  }
  Kind &dyn = *kinds[0], &st = *kinds[1], &kv = *kinds[2], &sc = *kinds[3];
  std::set<std::string> secrets;  // every password and token of the run, for the log check
  json admin = json::parse(test::read_file(st.db.admin_credentials));
  secrets.insert(admin["password"].get<std::string>());

  // Vault: the database engine on the primary, a KV v2 mount, and a token per process.
  VaultProcess v;
  secrets.insert(v.root_token());
  std::string vault_addr = "http://127.0.0.1:" + std::to_string(v.port());
  std::string vault_admin_pw = random_string(24);
  secrets.insert(vault_admin_pw);
  pair.primary("CREATE USER 'ldvault'@'%' IDENTIFIED BY '" + vault_admin_pw +
               "'; GRANT ALL PRIVILEGES ON *.* TO 'ldvault'@'%' WITH GRANT OPTION");
  REQUIRE(v.root("POST", "/v1/sys/mounts/database", {{"type", "database"}}).status == 204);
  REQUIRE(v.root("POST", "/v1/database/config/pair",
                 {{"plugin_name", "mysql-database-plugin"},
                  {"connection_url", "{{username}}:{{password}}@tcp(127.0.0.1:" +
                                         std::to_string(pair.primary_port()) + ")/"},
                  {"allowed_roles", "*"},
                  {"username", "ldvault"},
                  {"password", vault_admin_pw}})
              .status == 204);
  REQUIRE(v.root("POST", "/v1/sys/mounts/kv", {{"type", "kv"}, {"options", {{"version", "2"}}}})
              .status == 204);
  REQUIRE(v.root("PUT", "/v1/sys/policies/acl/ld", {{"policy", R"(
path "database/creds/*" { capabilities = ["read"] }
path "database/static-creds/*" { capabilities = ["read"] }
path "kv/data/ld/*" { capabilities = ["read"] }
path "sys/leases/renew" { capabilities = ["update"] }
path "sys/leases/revoke" { capabilities = ["update"] }
path "auth/token/lookup-self" { capabilities = ["read"] }
path "auth/token/renew-self" { capabilities = ["update"] }
)"}}).status == 204);
  auto token_file = [&](const std::string& who) {
    Reply r = v.root("POST", "/v1/auth/token/create", {{"policies", {"ld"}}, {"ttl", "1h"}});
    REQUIRE(r.status == 200);
    return work.write(who + ".token", r.json()["auth"]["client_token"].get<std::string>() + "\n");
  };
  std::string root_token_file = work.write("root.token", v.root_token() + "\n");
  auto vault_creds = [&](const std::string& who, const std::string& path) {
    return std::vector<std::string>{"--vault-addr",  vault_addr,        "--vault-token-file",
                                    token_file(who), "--db-creds-path", path};
  };

  // dynamic: short leases, so serve and collect re-issue users on their own (a new user about
  // every 3 s: renewal at 2/3 of 5 s comes back capped by max_ttl 8 s).
  for (bool writer : {true, false}) {
    std::string role = writer ? "ld-dyn-w" : "ld-dyn-r";
    REQUIRE(v.root("POST", "/v1/database/roles/" + role,
                   {{"db_name", "pair"},
                    {"creation_statements",
                     "CREATE USER '{{name}}'@'%' IDENTIFIED BY "
                     "'{{password}}'; " +
                         grants(dyn.db.name, "'{{name}}'@'%'", writer)},
                    {"default_ttl", 5},
                    {"max_ttl", 8}})
                .status == 204);
  }
  dyn.collect_creds = vault_creds("collect-dynamic", "database/creds/ld-dyn-w");
  dyn.serve_creds = vault_creds("serve-dynamic", "database/creds/ld-dyn-r");

  // static: one static role per account; Vault sets its password at creation.
  for (bool writer : {true, false}) {
    std::string user = writer ? "ld_st_w" : "ld_st_r";
    std::string pw = random_string(20);
    secrets.insert(pw);
    pair.primary("CREATE USER '" + user + "'@'%' IDENTIFIED BY '" + pw + "'; " +
                 grants(st.db.name, "'" + user + "'@'%'", writer));
    REQUIRE(v.root("POST",
                   "/v1/database/static-roles/" + std::string(writer ? "ld-st-w" : "ld-st-r"),
                   {{"db_name", "pair"}, {"username", user}, {"rotation_period", "3600s"}})
                .status == 204);
  }
  st.collect_creds = vault_creds("collect-static", "database/static-creds/ld-st-w");
  st.serve_creds = vault_creds("serve-static", "database/static-creds/ld-st-r");

  // kv: two users per account, the secret naming A first.
  for (bool writer : {true, false}) {
    std::string base = writer ? "ld_kv_w" : "ld_kv_r";
    std::string pw_a = random_string(20), pw_b = random_string(20);
    secrets.insert({pw_a, pw_b});
    pair.primary("CREATE USER '" + base + "a'@'%' IDENTIFIED BY '" + pw_a + "'; CREATE USER '" +
                 base + "b'@'%' IDENTIFIED BY '" + pw_b + "'; " +
                 grants(kv.db.name, "'" + base + "a'@'%'", writer) +
                 grants(kv.db.name, "'" + base + "b'@'%'", writer));
    REQUIRE(v.root("POST", std::string("/v1/kv/data/ld/") + (writer ? "writer" : "reader"),
                   {{"options", {{"cas", 0}}},
                    {"data", {{"username", base + "a"}, {"password", pw_a}}}})
                .status == 200);
  }
  kv.collect_creds = vault_creds("collect-kv", "kv:kv/ld/writer");
  kv.serve_creds = vault_creds("serve-kv", "kv:kv/ld/reader");

  // sidecar: a file per consumer in its own directory (as /vault/secrets), generation 0 users.
  std::string sc_file[2] = {work.path() + "/sidecar-w/db.json", work.path() + "/sidecar-r/db.json"};
  std::filesystem::create_directory(work.path() + "/sidecar-w");
  std::filesystem::create_directory(work.path() + "/sidecar-r");
  auto sidecar_user = [&](int gen, bool writer) {
    std::string user = std::string(writer ? "ld_sc_w" : "ld_sc_r") + std::to_string(gen);
    std::string pw = random_string(24);
    secrets.insert(pw);
    pair.primary("CREATE USER '" + user + "'@'%' IDENTIFIED BY '" + pw + "'; " +
                 grants(sc.db.name, "'" + user + "'@'%'", writer));
    return json{{"username", user}, {"password", pw}}.dump();
  };
  atomic_write(sc_file[0], sidecar_user(0, true));
  atomic_write(sc_file[1], sidecar_user(0, false));
  sc.collect_creds = {"--db-credentials-file", sc_file[0]};
  sc.serve_creds = {"--db-credentials-file", sc_file[1]};
  pair.sync_replica();

  // The journals (recent, so the dashboard's default window holds them) and their agents. Each
  // host has its own directory: journal-remote, appending to a file it did not close cleanly,
  // moves it aside (HOST.journal~) and starts a new one, so agents and journalctl read the
  // directory.
  std::string start = std::to_string(
      (std::chrono::duration_cast<seconds>(std::chrono::system_clock::now().time_since_epoch())
           .count() -
       kInitialEntries) *
      1000000LL);
  std::string agent_token = random_string(32);
  secrets.insert(agent_token);
  std::string agent_token_file = work.write("agent.token", agent_token + "\n");
  std::vector<std::unique_ptr<test::ServerProcess>> agents;
  std::vector<std::string> host_names, host_dirs;
  json inventory = {{"agents", json::array()}};
  for (int i = 0; i < kHosts; ++i) {
    std::string base(1, static_cast<char>('a' + i));
    std::string name = base + "-01";  // make-journal's name for host 1 of --hostname base
    host_names.push_back(name);
    host_dirs.push_back(work.path() + "/journal-" + name);
    std::filesystem::create_directory(host_dirs.back());
    test::generate_journal(
        host_dirs.back() + "/host.journal",
        {"--hostname", base, "--entries", std::to_string(kInitialEntries), "--start", start});
    agents.push_back(std::make_unique<test::ServerProcess>(
        "agent", std::vector<std::string>{"--token-file", agent_token_file, "--directory",
                                          host_dirs.back(), "--name", name}));
    inventory["agents"].push_back(
        {{"name", name},
         {"url", "http://127.0.0.1:" + std::to_string(agents.back()->port())},
         {"token_file", agent_token_file}});
  }
  std::string inventory_file = work.write("inventory.json", inventory.dump());

  // A collector and a serve per kind.
  for (auto& k : kinds) {
    std::vector<std::string> c = {test::infralogs_binary(),
                                  "collect",
                                  "--interval",
                                  "1",
                                  "--since",
                                  "all",
                                  "--batch",
                                  "25",
                                  "--inventory",
                                  inventory_file,
                                  "--db",
                                  k->db.primary_url};
    c.insert(c.end(), k->collect_creds.begin(), k->collect_creds.end());
    k->collect = std::make_unique<test::BackgroundProcess>(c);
    std::vector<std::string> s = {"--db", k->db.replica_url, "--threads", "4"};
    s.insert(s.end(), k->serve_creds.begin(), k->serve_creds.end());
    k->serve = std::make_unique<test::ServerProcess>("serve", s);
    k->port = k->serve->port();
  }
  double setup_s = seconds_since(t0);

  Appender appender(host_dirs, start);
  Clients clients(kinds);
  std::this_thread::sleep_for(seconds(2));  // the load is on before the first rotation
  Clock::time_point rotations_start = Clock::now();
  std::string rotate_logs;
  auto rotate = [&](Kind& k, std::vector<std::string> extra) {
    std::vector<std::string> a = {test::infralogs_binary(), "rotate-creds", "--primary",
                                  k.db.primary_url,         "--replica",    k.db.replica_url,
                                  "--vault-addr",           vault_addr,     "--vault-token-file",
                                  root_token_file};
    a.insert(a.end(), extra.begin(), extra.end());
    CommandResult r = run(a);
    rotate_logs += r.out + r.err;
    INFO(r.err);
    CHECK(r.exit_code == 0);
  };
  const std::string kSwitched = "\"msg\":\"vault credentials switched\"";
  const std::string kFileChanged = "\"msg\":\"credentials file changed\"";
  std::set<std::string> sidecar_retired;
  for (int round = 1; round <= kRotations; ++round) {
    Clock::time_point round_start = Clock::now();
    rotate(st, {"--static-role", "ld-st-w"});
    rotate(st, {"--static-role", "ld-st-r"});
    ++st.rotations;
    for (std::string path : {"writer", "reader"}) {
      std::string users = path == "writer" ? "ld_kv_wa,ld_kv_wb" : "ld_kv_ra,ld_kv_rb";
      rotate(kv, {"--kv-path", "kv:kv/ld/" + path, "--users", users, "--min-interval", "0",
                  "--db-credentials-file", kv.db.admin_credentials});
      // Each version's password, for the log check (test-vault reads only the current one).
      json d = v.root("GET", "/v1/kv/data/ld/" + path).json();
      secrets.insert(d["data"]["data"]["password"].get<std::string>());
    }
    ++kv.rotations;
    // sidecar: new users, the files replaced; once both consumers switched (the reader after
    // verifying on the replica), the previous users go, as their leases would.
    std::string w = sidecar_user(round, true), r = sidecar_user(round, false);
    atomic_write(sc_file[0], w);
    atomic_write(sc_file[1], r);
    bool moved = wait_until(
        [&] {
          return count(sc.collect->err(), kFileChanged) >= round &&
                 count(sc.serve->log(), kFileChanged) >= round;
        },
        seconds(30));
    INFO("sidecar round " << round << "\ncollect: " << sc.collect->err().substr(0, 3000)
                          << "\nserve: " << sc.serve->log().substr(0, 3000));
    REQUIRE(moved);
    for (const char* prefix : {"ld_sc_w", "ld_sc_r"}) {
      std::string old = prefix + std::to_string(round - 1);
      pair.primary("DROP USER '" + old + "'@'%'");
      sidecar_retired.insert(old);
    }
    ++sc.rotations;
    std::this_thread::sleep_for(kRoundEvery - (Clock::now() - round_start));
  }
  // dynamic: the consumers re-issue on their own; wait for 10 switches of each.
  bool dyn_done = wait_until(
      [&] {
        return count(dyn.collect->err(), kSwitched) >= kRotations &&
               count(dyn.serve->log(), kSwitched) >= kRotations;
      },
      seconds(60));
  CHECK(dyn_done);
  dyn.rotations =
      std::min(count(dyn.collect->err(), kSwitched), count(dyn.serve->log(), kSwitched));
  double rotations_s = seconds_since(rotations_start);

  // The journals stop growing; every collector catches up (the load goes on meanwhile).
  appender.stop();
  REQUIRE(appender.error().empty());
  std::vector<size_t> want;
  for (const auto& d : host_dirs) want.push_back(test::journalctl_json({"-D", d}).size());
  auto stored = [&](bool replica, const Kind& k, const std::string& host) {
    std::string sql = "SELECT COUNT(*) FROM " + k.db.name + ".entries e JOIN " + k.db.name +
                      ".hosts h USING (host_id) WHERE h.name = '" + host + "'";
    return std::stoull((replica ? pair.replica(sql) : pair.primary(sql))[0][0]);
  };
  bool caught_up = wait_until(
      [&] {
        for (const auto& k : kinds) {
          for (int h = 0; h < kHosts; ++h) {
            if (stored(false, *k, host_names[h]) < want[h]) return false;
          }
        }
        return true;
      },
      seconds(90));
  CHECK(caught_up);

  // Retired users: the dynamic ones test-vault revoked so far, and the sidecar's. Their sessions
  // must be gone (the pools drain them after each switch; a bounded wait for the last ones).
  std::set<std::string> dynamic_retired;
  {
    json revs = v.root("GET", "/_test/revocations").json();
    for (const json& r : revs["revocations"])
      dynamic_retired.insert(r["username"].get<std::string>());
  }
  std::set<std::string> retired = dynamic_retired;
  retired.insert(sidecar_retired.begin(), sidecar_retired.end());
  Clock::time_point drain_start = Clock::now();
  bool drained = wait_until(
      [&] { return sessions_of(pair, false, retired) + sessions_of(pair, true, retired) == 0; },
      seconds(30));
  double drain_s = seconds_since(drain_start);
  CHECK(drained);
  clients.stop();
  INFO("failed requests:\n" << clients.errors());
  for (const auto& k : kinds) {
    INFO(k->name);
    CHECK(k->failures == 0);
    CHECK(k->requests > 100);
  }
  CHECK(dynamic_retired.size() >= 2 * kRotations);
  pair.sync_replica();
  CHECK(users_left(pair, false, retired) == 0);
  CHECK(users_left(pair, true, retired) == 0);

  // Exactly journalctl's entries, on the replica as well, and no duplicate.
  uint64_t entries = 0;
  for (const auto& k : kinds) {
    for (int h = 0; h < kHosts; ++h) {
      INFO(k->name << " " << host_names[h]);
      CHECK(stored(false, *k, host_names[h]) == want[h]);
      CHECK(stored(true, *k, host_names[h]) == want[h]);
      entries += stored(true, *k, host_names[h]);
    }
    auto dup = pair.replica("SELECT COUNT(*) FROM (SELECT 1 FROM " + k->db.name +
                            ".entries GROUP BY host_id, seqnum_id, seqnum HAVING COUNT(*) > 1) d");
    CHECK(dup[0][0] == "0");
  }

  // What a client or a scraper can read: serve's answers and metrics, the agents' metrics and
  // health, the stored host labels. Looked for secrets with the logs below.
  std::string answers;
  for (auto& k : kinds) {
    httplib::Client c("127.0.0.1", k->port);
    c.set_read_timeout(20);
    for (const char* path : {"/metrics", "/api/credentials", "/api/hosts", "/api/overview",
                             "/api/gaps", "/healthz", "/api/search?limit=20"}) {
      auto res = c.Get(path);
      INFO(k->name << " " << path);
      CHECK(res);
      if (res) answers += res->body;
    }
    for (const auto& row : pair.primary("SELECT name, labels FROM " + k->db.name + ".hosts"))
      for (const auto& cell : row) answers += cell + "\n";
  }
  for (auto& a : agents) {
    httplib::Client c("127.0.0.1", a->port());
    c.set_bearer_token_auth(agent_token);
    for (const char* path : {"/metrics", "/healthz"}) {
      auto res = c.Get(path);
      CHECK(res);
      if (res) answers += res->body;
    }
  }

  // Stop everything so that the logs are complete, then look for every secret in them.
  std::string logs = "==== rotate-creds\n" + rotate_logs;
  std::map<std::string, int> switches;
  for (auto& k : kinds) {
    k->serve->stop();
    k->collect->signal(SIGTERM);
    CHECK(k->collect->wait_for(seconds(20)).has_value());
    std::string l = log_of(*k);
    switches[k->name] = count(l, kSwitched) + count(l, kFileChanged);
    INFO(k->name << " logged an error (each with the line before it):\n" << error_lines(l));
    CHECK(count(l, "\"level\":\"error\"") == 0);
    logs += "\n==== " + k->name + " (collect, serve)\n" + l;
  }
  for (auto& a : agents) {
    a->stop();
    logs += a->log();
  }
  {
    json issued = v.root("GET", "/_test/issued").json();
    for (const json& i : issued["issued"]) secrets.insert(i["value"].get<std::string>());
    for (const char* path : {"writer", "reader"}) {
      json meta = v.root("GET", std::string("/v1/kv/metadata/ld/") + path).json();
      int64_t current = meta["data"]["current_version"];
      CHECK(current == kRotations + 1);
    }
  }
  v.stop();
  logs += v.log() + read_file(v.dir() + "/stdout");
  // For a look at a run: INFRALOGS_LOAD_LOG_DIR=DIR keeps every log there.
  if (const char* keep = std::getenv("INFRALOGS_LOAD_LOG_DIR")) {
    std::filesystem::create_directories(keep);
    std::ofstream(std::string(keep) + "/all.log", std::ios::trunc) << logs;
  }
  int found = 0;
  for (const std::string& s : secrets) {
    if (s.size() < 8) continue;
    if (logs.find(s) != std::string::npos) {
      ++found;
      UNSCOPED_INFO("a secret is in the logs: " << s.substr(0, 4) << "...");
    }
    if (answers.find(s) != std::string::npos) {
      ++found;
      UNSCOPED_INFO("a secret is in an answer, a metric or a label: " << s.substr(0, 4) << "...");
    }
  }
  CHECK(found == 0);
  CHECK(logs.find("hvs.") == std::string::npos);
  CHECK(answers.find("hvs.") == std::string::npos);

  std::printf(
      "load: %.0f s (setup %.0f s, rotations %.0f s), %d clients, %d appends of %d entries per "
      "host, drain after the run %.1f s, %zu retired users (%zu dynamic), %zu secrets looked for "
      "in %zu bytes of logs and %zu of answers, metrics and labels, %d found\n",
      seconds_since(t0), setup_s, rotations_s, kClients, appender.appends(), kAppendEntries,
      drain_s, retired.size(), dynamic_retired.size(), secrets.size(), logs.size(), answers.size(),
      found);
  for (const auto& k : kinds) {
    std::printf("load: %-8s rotations %d, consumer switches %d, requests %d, failed %d\n",
                k->name.c_str(), k->rotations, switches[k->name], k->requests.load(),
                k->failures.load());
  }
  std::printf("load: entries stored %llu over 4 databases (%zu + %zu per database), duplicates 0\n",
              static_cast<unsigned long long>(entries), want[0], want[1]);
}

}  // namespace
}  // namespace infralogs::vtest

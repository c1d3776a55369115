// infralogs collect against the real MariaDB primary and replica, real agents on generated
// journals, and journalctl as the oracle.

#include <httplib.h>
#include <signal.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <random>
#include <thread>

#include "infralogs/journal/entry_format.h"
#include "infralogs/storage/mariadb_log_store.h"
#include "support/binaries.h"
#include "support/collected.h"
#include "support/files.h"
#include "support/fleet.h"
#include "support/journal.h"
#include "support/mariadb_pair.h"
#include "support/net.h"
#include "support/pki.h"
#include "support/process.h"

using namespace infralogs::test;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

std::string unhex(const std::string& h) {
  std::string out;
  for (size_t i = 0; i + 1 < h.size(); i += 2)
    out.push_back(static_cast<char>(std::stoi(h.substr(i, 2), nullptr, 16)));
  return out;
}

json json_value(const std::string& bytes) {
  if (infralogs::journal::is_printable_utf8(bytes, true)) return bytes;
  json a = json::array();
  for (unsigned char c : bytes) a.push_back(c);
  return a;
}

size_t count(MariaDbPair& pair, const std::string& sql) {
  return std::stoull(pair.replica(sql)[0][0]);
}

// The replica holds exactly the journal's entries for `host`, byte for byte.
void check_host_matches_journal(MariaDbPair& pair, const std::string& db, const std::string& host,
                                const std::vector<std::string>& journal_args) {
  auto want = journalctl_json(journal_args);
  Rows rows = pair.replica("SELECT HEX(e.message), HEX(e.fields) FROM " + db + ".entries e JOIN " +
                           db + ".hosts h USING (host_id) WHERE h.name = '" + host +
                           "' ORDER BY e.realtime_us, e.seqnum");
  INFO("host " << host);
  REQUIRE(rows.size() == want.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    json got = json::parse(unhex(rows[i][1]));
    if (rows[i][0] != "NULL" && !got.contains("MESSAGE"))
      got["MESSAGE"] = json_value(unhex(rows[i][0]));
    if (got != want[i]) {
      INFO("entry " << i << "\nstored:     " << got.dump().substr(0, 1500)
                    << "\njournalctl: " << want[i].dump().substr(0, 1500));
      CHECK(got == want[i]);
      return;
    }
  }
}

// Rollups add up to the entries, per host.
void check_rollups(MariaDbPair& pair, const std::string& db) {
  Rows r = pair.replica("SELECT h.name, (SELECT COUNT(*) FROM " + db +
                        ".entries e WHERE e.host_id = h.host_id), "
                        "(SELECT COALESCE(SUM(entries), 0) FROM " +
                        db +
                        ".rollups_hourly r WHERE r.host_id = h.host_id), "
                        "(SELECT entries FROM " +
                        db + ".checkpoints c WHERE c.host_id = h.host_id) FROM " + db + ".hosts h");
  for (const auto& row : r) {
    INFO("host " << row[0]);
    CHECK(row[1] == row[2]);
    CHECK(row[1] == row[3]);
  }
}

}  // namespace

TEST_CASE("collect stores every agent's journal exactly, hostile entries byte for byte",
          "[integration][collect]") {
  MariaDbPair pair;
  auto db = pair.create_database("infralogs");
  Fleet fleet({.hosts = 3, .entries = 600});
  TempDir out;
  std::string metrics = out.path() + "/collect.prom";
  auto r = run(collect_command(fleet, db, {"--batch", "250", "--metrics-file", metrics}));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  // One structured line per agent.
  for (const auto& name : fleet.names()) {
    CHECK(r.err.find("\"agent\":\"" + name + "\"") != std::string::npos);
  }
  pair.sync_replica();
  for (size_t i = 0; i < fleet.size(); ++i) {
    check_host_matches_journal(pair, db.name, fleet.names()[i], {"--file", fleet.files()[i]});
  }
  check_rollups(pair, db.name);
  CHECK(count(pair, "SELECT COUNT(*) FROM infralogs.heartbeat") == 1);
  CHECK(count(pair,
              "SELECT COUNT(*) FROM infralogs.collector_runs WHERE agents_ok = 3 AND agents_failed "
              "= 0") == 1);
  CHECK(count(pair, "SELECT COUNT(*) FROM infralogs.entries WHERE priority IS NULL") >=
        3);  // PRIORITY=banana
  std::string prom = read_file(metrics);
  CHECK(prom.find("infralogs_collect_agent_up{agent=\"vm-02\"} 1") != std::string::npos);

  SECTION("a second run finds nothing new, and new entries are picked up") {
    r = run(collect_command(fleet, db));
    REQUIRE(r.exit_code == 0);
    size_t before = count(pair, "SELECT COUNT(*) FROM infralogs.entries");
    pair.sync_replica();
    CHECK(count(pair, "SELECT COUNT(*) FROM infralogs.entries") == before);
    generate_journal(fleet.files()[0], {"--hosts", "1", "--entries", "40", "--skip", "600"});
    r = run(collect_command(fleet, db));
    REQUIRE(r.exit_code == 0);
    pair.sync_replica();
    check_host_matches_journal(pair, db.name, fleet.names()[0], {"--file", fleet.files()[0]});
  }
}

TEST_CASE("collect --gzip moves fewer bytes and stores the same entries",
          "[integration][collect]") {
  MariaDbPair pair;
  auto plain = pair.create_database("plain");
  auto zipped = pair.create_database("zipped");
  Fleet fleet({.hosts = 2, .entries = 800});
  TempDir out;
  auto bytes_of = [&](const MariaDbPair::Database& db, std::vector<std::string> extra) {
    std::string metrics = out.path() + "/" + db.name + ".prom";
    extra.insert(extra.end(), {"--metrics-file", metrics, "--batch", "300"});
    auto r = run(collect_command(fleet, db, extra));
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    std::string prom = read_file(metrics);
    std::string key = "infralogs_collect_agent_bytes{agent=\"vm-01\"} ";
    size_t at = prom.find(key);
    REQUIRE(at != std::string::npos);
    return std::stod(prom.substr(at + key.size()));
  };
  double plain_bytes = bytes_of(plain, {});
  double gzip_bytes = bytes_of(zipped, {"--gzip"});
  INFO("plain " << plain_bytes << " bytes, gzip " << gzip_bytes << " bytes");
  CHECK(gzip_bytes > 0);
  CHECK(gzip_bytes * 3 < plain_bytes);
  pair.sync_replica();
  check_host_matches_journal(pair, zipped.name, "vm-01", {"--file", fleet.files()[0]});
  auto digest = [&](const std::string& db) {
    return pair.replica(
        "SELECT h.name, COUNT(*), SUM(CRC32(e.fields)), SUM(CRC32(COALESCE(e.message, ''))) FROM " +
        db + ".entries e JOIN " + db + ".hosts h USING (host_id) GROUP BY h.name ORDER BY h.name");
  };
  CHECK(digest("plain") == digest("zipped"));
}

TEST_CASE("collect killed with SIGKILL at 20 random moments loses and duplicates nothing",
          "[integration][collect][crash]") {
  MariaDbPair pair;
  auto db = pair.create_database("infralogs");
  // Large enough that 20 short runs cannot finish it: every kill lands mid-ingest.
  Fleet fleet({.hosts = 3, .entries = 50000, .hostile = false});
  std::mt19937 rng(42);
  std::uniform_int_distribution<int> delay_ms(15, 200);
  int killed_mid_run = 0;
  for (int k = 0; k < 20; ++k) {
    BackgroundProcess p(collect_command(fleet, db, {"--batch", "300"}));
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(rng)));
    if (!p.poll()) ++killed_mid_run;
    p.signal(SIGKILL);
    p.wait();
  }
  CHECK(killed_mid_run == 20);
  auto r = run(collect_command(fleet, db));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  pair.sync_replica();
  for (size_t i = 0; i < fleet.size(); ++i) {
    auto want = journalctl_json({"--file", fleet.files()[i]});
    size_t got = count(pair,
                       "SELECT COUNT(*) FROM infralogs.entries e JOIN infralogs.hosts h USING "
                       "(host_id) WHERE h.name = '" +
                           fleet.names()[i] + "'");
    CHECK(got == want.size());
    size_t distinct = count(pair,
                            "SELECT COUNT(DISTINCT e.seqnum) FROM infralogs.entries e JOIN "
                            "infralogs.hosts h USING (host_id) "
                            "WHERE h.name = '" +
                                fleet.names()[i] + "'");
    CHECK(distinct == want.size());
  }
  check_rollups(pair, db.name);
}

TEST_CASE("an agent down for a run is caught up when it is back", "[integration][collect]") {
  MariaDbPair pair;
  auto db = pair.create_database("infralogs");
  Fleet fleet({.hosts = 2, .entries = 300});
  int dead_port = free_port();
  fleet.write_inventory(
      {{"vm-late", "http://127.0.0.1:" + std::to_string(dead_port), fleet.token()}});
  auto r = run(collect_command(fleet, db, {"--attempts", "2"}));
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("collect: FAILED vm-late (http://127.0.0.1:" + std::to_string(dead_port) +
                   ")") != std::string::npos);
  pair.sync_replica();
  check_host_matches_journal(pair, db.name, "vm-01", {"--file", fleet.files()[0]});
  // The agent comes back (on a new port, so the inventory changes too).
  TempDir late;
  std::string file = late.path() + "/late.journal";
  generate_journal(file, {"--entries", "200", "--hostile", "--hostname", "late"});
  ServerProcess agent("agent", {"--token-file", fleet.token_file(), "--file", file});
  fleet.write_inventory(
      {{"vm-late", "http://127.0.0.1:" + std::to_string(agent.port()), fleet.token()}});
  r = run(collect_command(fleet, db));
  INFO(r.err);
  CHECK(r.exit_code == 0);
  pair.sync_replica();
  check_host_matches_journal(pair, db.name, "vm-late", {"--file", file});
}

TEST_CASE("collect reaches agents over HTTPS with a client certificate, and says why without one",
          "[integration][collect][tls]") {
  MariaDbPair pair;
  auto db = pair.create_database("infralogs");
  Fleet fleet({.hosts = 1, .entries = 200});
  Pki pki;
  CertificateFiles agent_cert = pki.issue("agent"), collector_cert = pki.issue("collector");
  ServerProcess agent(
      "agent", {"--token-file", fleet.token_file(), "--file", fleet.files()[0], "--tls-cert",
                agent_cert.cert, "--tls-key", agent_cert.key, "--tls-client-ca", pki.ca_cert()});
  std::string url = "https://127.0.0.1:" + std::to_string(agent.port());
  auto write_inventory = [&](bool with_cert) {
    json a = {{"name", "vm-01"},
              {"url", url},
              {"token_file", fleet.token_file()},
              {"ca_file", pki.ca_cert()}};
    if (with_cert) {
      a["client_cert_file"] = collector_cert.cert;
      a["client_key_file"] = collector_cert.key;
    }
    fleet.replace_inventory(json{{"agents", {a}}});
  };

  write_inventory(false);
  auto r = run(collect_command(fleet, db, {"--attempts", "1"}));
  INFO(r.err);
  CHECK(r.exit_code == 1);  // an exit, not a signal
  CHECK(r.err.find("collect: FAILED vm-01 (" + url + ")") != std::string::npos);
  CHECK(count(pair, "SELECT COUNT(*) FROM " + db.name + ".entries") == 0);

  write_inventory(true);
  r = run(collect_command(fleet, db));
  INFO(r.err);
  CHECK(r.exit_code == 0);
  pair.sync_replica();
  check_host_matches_journal(pair, db.name, "vm-01", {"--file", fleet.files()[0]});
}

TEST_CASE("collect rides out a primary restart mid-run", "[integration][collect]") {
  MariaDbPair pair;
  auto db = pair.create_database("infralogs");
  Fleet fleet({.hosts = 2, .entries = 20000, .hostile = false});
  BackgroundProcess p(collect_command(fleet, db, {"--batch", "500", "--attempts", "8"}));
  // Wait until it is writing, then restart the primary under it.
  for (int i = 0;
       i < 200 && std::stoull(pair.primary("SELECT COUNT(*) FROM infralogs.entries")[0][0]) == 0;
       ++i) {
    std::this_thread::sleep_for(50ms);
  }
  pair.restart_primary();
  int code = p.wait();
  INFO(p.log());
  CHECK(code == 0);
  CHECK(p.log().find("retrying") != std::string::npos);
  pair.sync_replica();
  for (size_t i = 0; i < fleet.size(); ++i) {
    auto want = journalctl_json({"--file", fleet.files()[i]});
    CHECK(count(pair,
                "SELECT COUNT(DISTINCT e.seqnum) FROM infralogs.entries e JOIN infralogs.hosts h "
                "USING (host_id) "
                "WHERE h.name = '" +
                    fleet.names()[i] + "'") == want.size());
  }
  check_rollups(pair, db.name);
}

TEST_CASE("an agent returning garbage is refused and nothing of it is stored",
          "[integration][collect]") {
  MariaDbPair pair;
  auto db = pair.create_database("infralogs");
  Fleet fleet({.hosts = 1, .entries = 200});
  const std::string good_line =
      R"({"__CURSOR":"s=0123456789abcdef0123456789abcdef;i=1;b=0123456789abcdef0123456789abcdef;m=1;t=1;x=1","__REALTIME_TIMESTAMP":"1735689600000000","MESSAGE":"ok"})";
  httplib::Server fake;
  fake.Get("/logs", [&](const httplib::Request& req, httplib::Response& res) {
    std::string kind = req.get_header_value("Authorization").substr(7);
    res.set_header("Infralogs-Protocol", kind == "badproto" ? "7" : "1");
    res.set_header("Infralogs-More", "false");
    if (kind == "invalid")
      res.set_content(good_line + "\n{\"__CURSOR\": nope}\n", "application/x-ndjson");
    if (kind == "nocursor")
      res.set_content(good_line + "\n{\"__REALTIME_TIMESTAMP\":\"5\",\"MESSAGE\":\"x\"}\n",
                      "application/x-ndjson");
    if (kind == "badproto") res.set_content(good_line + "\n", "application/x-ndjson");
    // Issue 11 #9: an entry repeated (a repeated page, an agent ignoring `after`) gave the
    // database's raw "Duplicate entry ... for key 'PRIMARY'".
    if (kind == "repeat")
      res.set_content(good_line + "\n" + good_line + "\n", "application/x-ndjson");
    // ... and an agent trickling a byte faster than --timeout held collect forever.
    if (kind == "trickle") {
      res.set_chunked_content_provider("application/x-ndjson", [](size_t, httplib::DataSink& sink) {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        return sink.write("{", 1);
      });
    }
    if (kind == "error") {
      res.status = 500;
      res.set_content("{\"error\":\"boom\"}", "application/json");
    }
    if (kind == "truncated") {
      res.set_chunked_content_provider(
          "application/x-ndjson", [&](size_t, httplib::DataSink& sink) {
            std::string partial = good_line + "\n" + good_line.substr(0, 40);
            sink.write(partial.data(), partial.size());
            sink.done();
            return true;
          });
    }
    if (kind == "huge") {
      res.set_chunked_content_provider("application/x-ndjson",
                                       [sent = size_t{0}](size_t, httplib::DataSink& sink) mutable {
                                         std::string block(1 << 20, 'x');
                                         if (sent == 0)
                                           block = "{\"__CURSOR\":\"" + block.substr(13);
                                         sent += block.size();
                                         if (!sink.write(block.data(), block.size())) return false;
                                         if (sent > (70u << 20)) sink.done();
                                         return true;
                                       });
    }
  });
  int port = fake.bind_to_any_port("127.0.0.1");
  std::thread t([&] { fake.listen_after_bind(); });
  std::string url = "http://127.0.0.1:" + std::to_string(port);
  fleet.write_inventory({{"bad-invalid", url, "invalid"},
                         {"bad-nocursor", url, "nocursor"},
                         {"bad-proto", url, "badproto"},
                         {"bad-error", url, "error"},
                         {"bad-truncated", url, "truncated"},
                         {"bad-huge", url, "huge"},
                         {"bad-repeat", url, "repeat"},
                         {"bad-trickle", url, "trickle"}});
  auto r = run(collect_command(fleet, db, {"--attempts", "1", "--response-timeout", "3"}));
  fake.stop();
  t.join();
  INFO(r.err);
  CHECK(r.exit_code == 1);
  for (const char* want :
       {"FAILED bad-invalid", "entry 2: unexpected value", "FAILED bad-nocursor",
        "entry has no __CURSOR", "FAILED bad-proto", "not an infralogs agent", "FAILED bad-error",
        "boom", "FAILED bad-truncated", "truncated", "FAILED bad-huge", "a line longer than",
        "FAILED bad-repeat", "an entry already stored for this host", "FAILED bad-trickle",
        "did not finish the page within 3 s"}) {
    CHECK(r.err.find(want) != std::string::npos);
  }
  CHECK(r.err.find("Duplicate entry") == std::string::npos);
  pair.sync_replica();
  CHECK(count(pair,
              "SELECT COUNT(*) FROM infralogs.entries e JOIN infralogs.hosts h USING (host_id) "
              "WHERE h.name LIKE 'bad-%'") == 0);
  check_host_matches_journal(pair, db.name, "vm-01", {"--file", fleet.files()[0]});
}

TEST_CASE("a journal vacuumed past the stored cursor gives a gap row and collection goes on",
          "[integration][collect]") {
  MariaDbPair pair;
  auto db = pair.create_database("infralogs");
  TempDir dir;
  std::string jdir = dir.path() + "/journal";
  std::filesystem::create_directory(jdir);
  generate_journal(jdir + "/old.journal", {"--entries", "100", "--hostname", "gap"});
  std::string tokens = dir.write("tokens", "gap-test-token\n");
  ServerProcess agent("agent", {"--token-file", tokens, "--directory", jdir});
  json inv = {{"agents",
               {{{"name", "gap-01"},
                 {"url", "http://127.0.0.1:" + std::to_string(agent.port())},
                 {"token_file", tokens}}}}};
  std::string inventory = dir.write("inventory.json", inv.dump());
  auto collect = [&] {
    return run({infralogs_binary(), "collect", "--once", "--since", "all", "--inventory", inventory,
                "--db", db.primary_url, "--db-credentials-file", db.collector_credentials});
  };
  REQUIRE(collect().exit_code == 0);
  // Newer entries land in a new file; then the old file is vacuumed away.
  generate_journal(jdir + "/new.journal",
                   {"--entries", "50", "--skip", "100", "--hostname", "gap"});
  std::filesystem::remove(jdir + "/old.journal");
  auto r = collect();
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.err.find("gap: the agent no longer has the stored cursor") != std::string::npos);
  pair.sync_replica();
  CHECK(count(pair, "SELECT COUNT(*) FROM infralogs.gaps") == 1);
  CHECK(count(pair, "SELECT COUNT(*) FROM infralogs.entries") == 150);
  Rows gap = pair.replica("SELECT last_cursor, first_cursor, reason FROM infralogs.gaps");
  CHECK(gap[0][2].find("vacuumed") != std::string::npos);
  CHECK(gap[0][0] != gap[0][1]);
}

TEST_CASE("migrations and collectors running at once change nothing", "[integration][collect]") {
  MariaDbPair pair;
  pair.primary("CREATE DATABASE racing");
  auto db = pair.create_database("infralogs");
  std::string url = "mysql://127.0.0.1:" + std::to_string(pair.primary_port()) + "/racing";
  {
    BackgroundProcess a({infralogs_binary(), "collect", "--migrate", "--db", url,
                         "--db-credentials-file", db.admin_credentials});
    BackgroundProcess b({infralogs_binary(), "collect", "--migrate", "--db", url,
                         "--db-credentials-file", db.admin_credentials});
    CHECK(a.wait() == 0);
    CHECK(b.wait() == 0);
  }
  // One row per migration, each applied once.
  const std::string migrations = std::to_string(infralogs::storage::schema_version());
  CHECK(pair.primary("SELECT COUNT(*) FROM racing.schema_migrations")[0][0] == migrations);
  auto again = run({infralogs_binary(), "collect", "--migrate", "--db", db.primary_url,
                    "--db-credentials-file", db.admin_credentials});
  CHECK(again.exit_code == 0);
  CHECK(pair.primary("SELECT COUNT(*) FROM infralogs.schema_migrations")[0][0] == migrations);

  Fleet fleet({.hosts = 3, .entries = 3000, .hostile = false});
  BackgroundProcess c1(collect_command(fleet, db, {"--batch", "300"}));
  BackgroundProcess c2(collect_command(fleet, db, {"--batch", "300"}));
  INFO(c1.log() << c2.log());
  CHECK(c1.wait() == 0);
  CHECK(c2.wait() == 0);
  pair.sync_replica();
  for (size_t i = 0; i < fleet.size(); ++i) {
    check_host_matches_journal(pair, db.name, fleet.names()[i], {"--file", fleet.files()[i]});
  }
  check_rollups(pair, db.name);
}

TEST_CASE("accounts have least privilege: collector writes, reader reads",
          "[integration][collect]") {
  MariaDbPair pair;
  auto db = pair.create_database("infralogs");
  auto sql = [&](const std::string& user, const std::string& pw, int port, const std::string& q) {
    return run({"mariadb", "--no-defaults", "-h127.0.0.1", "-P" + std::to_string(port), "-u" + user,
                "-p" + pw, "-N", "-B", "-e", q});
  };
  // Allowed: it runs. Denied: the server refuses the statement for this user (not, say, a
  // login that failed or a table that does not exist).
  auto allowed = [&](const std::string& user, const std::string& pw, int port,
                     const std::string& q) {
    auto r = sql(user, pw, port, q);
    INFO(user << ": " << q << " -> " << r.exit_code << " " << r.err);
    CHECK(r.exit_code == 0);
  };
  auto denied = [&](const std::string& user, const std::string& pw, int port,
                    const std::string& q) {
    auto r = sql(user, pw, port, q);
    INFO(user << ": " << q << " -> " << r.exit_code << " " << r.err);
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("ERROR 1142") != std::string::npos);  // ER_TABLEACCESS_DENIED_ERROR
    CHECK(r.err.find("denied to user '" + user + "'") != std::string::npos);
  };
  int primary = pair.primary_port(), replica = pair.replica_port();
  allowed("infralogs_collect", "collect-pw", primary, "SELECT COUNT(*) FROM infralogs.checkpoints");
  denied("infralogs_collect", "collect-pw", primary, "DELETE FROM infralogs.hosts");
  denied("infralogs_collect", "collect-pw", primary, "SELECT * FROM infralogs.entries");
  denied("infralogs_collect", "collect-pw", primary, "DROP TABLE infralogs.gaps");
  pair.sync_replica();
  allowed("infralogs_read", "read-pw", replica, "SELECT COUNT(*) FROM infralogs.entries");
  denied("infralogs_read", "read-pw", primary,
         "INSERT INTO infralogs.heartbeat VALUES (2, NOW(), 'x')");
  denied("infralogs_read", "read-pw", primary, "DELETE FROM infralogs.heartbeat");
  // The replica is read-only besides: it refuses a write before looking at privileges, so
  // only the primary can show what the reader's grants deny.
  auto r = sql("infralogs_read", "read-pw", replica,
               "INSERT INTO infralogs.heartbeat VALUES (2, NOW(), 'x')");
  INFO(r.err);
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("ERROR 1290") != std::string::npos);  // ER_OPTION_PREVENTS_STATEMENT
}

TEST_CASE("collect ends within 2 s of SIGTERM and leaves no half batch", "[integration][collect]") {
  MariaDbPair pair;
  auto db = pair.create_database("infralogs");
  Fleet fleet({.hosts = 2, .entries = 20000, .hostile = false});
  BackgroundProcess p(collect_command(fleet, db, {"--batch", "2000"}));
  for (int i = 0;
       i < 200 && std::stoull(pair.primary("SELECT COUNT(*) FROM infralogs.entries")[0][0]) == 0;
       ++i) {
    std::this_thread::sleep_for(50ms);
  }
  auto t0 = std::chrono::steady_clock::now();
  p.signal(SIGTERM);
  int code = p.wait();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  INFO(p.log());
  CHECK(seconds < 2.0);
  CHECK(code == 1);  // --once did not finish
  CHECK(p.log().find("stopping") != std::string::npos);
  // What was stored is whole batches, and a rerun completes exactly.
  check_rollups(pair, db.name);
  auto r = run(collect_command(fleet, db));
  REQUIRE(r.exit_code == 0);
  pair.sync_replica();
  for (size_t i = 0; i < fleet.size(); ++i) {
    auto want = journalctl_json({"--file", fleet.files()[i]});
    CHECK(count(pair,
                "SELECT COUNT(DISTINCT e.seqnum) FROM infralogs.entries e JOIN infralogs.hosts h "
                "USING (host_id) "
                "WHERE h.name = '" +
                    fleet.names()[i] + "'") == want.size());
  }
}

TEST_CASE("collect refuses bad options and a database without the schema clearly",
          "[integration][collect][cli]") {
  TempDir d;
  std::string creds = d.write("creds.json", R"({"username": "u", "password": "secret-pw-123"})");
  auto r = run({infralogs_binary(), "collect", "--once", "--inventory", "/nonexistent", "--db",
                "postgres://x/y", "--db-credentials-file", creds});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("mysql://HOST:PORT/DATABASE") != std::string::npos);
  r = run({infralogs_binary(), "collect", "--once", "--inventory", "/nonexistent", "--db",
           "mysql://127.0.0.1:1/x", "--db-credentials-file", d.write("bad.json", "{}")});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("needs string keys") != std::string::npos);
  r = run({infralogs_binary(), "collect", "--once", "--inventory", "/nonexistent", "--db",
           "mysql://127.0.0.1:1/x", "--db-credentials-file", creds});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("cannot connect to 127.0.0.1:1/x as u") != std::string::npos);
  CHECK(r.err.find("secret-pw-123") == std::string::npos);
  r = run({infralogs_binary(), "collect", "--once", "--since", "yesterday-ish", "--inventory", "/x",
           "--db", "mysql://127.0.0.1:1/x", "--db-credentials-file", creds});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("--since") != std::string::npos);
}

TEST_CASE("retention drops whole day partitions, never rows", "[integration][collect]") {
  MariaDbPair pair;
  auto db = pair.create_database("infralogs");
  Fleet fleet({.hosts = 1, .entries = 200, .hostile = false});
  REQUIRE(run(collect_command(fleet, db)).exit_code == 0);
  auto partitions = [&] {
    return pair.primary(
        "SELECT PARTITION_NAME FROM information_schema.PARTITIONS WHERE TABLE_SCHEMA = 'infralogs' "
        "AND TABLE_NAME = 'entries' ORDER BY PARTITION_ORDINAL_POSITION");
  };
  Rows before = partitions();
  REQUIRE(before.size() == 2);  // the generated journal's day (2025-01-01) and pmax
  CHECK(before[0][0] == "p20250101");
  CHECK(pair.primary("SELECT COUNT(*) FROM infralogs.entries")[0][0] == "200");
  // The data is from 2025: keeping 10000 days keeps it, keeping 30 days drops its partition.
  auto r = run(collect_command(fleet, db, {"--retain-days", "10000"}));
  REQUIRE(r.exit_code == 0);
  CHECK(partitions().size() == 2);
  r = run(collect_command(fleet, db, {"--retain-days", "30"}));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.err.find("retention: dropped day partitions") != std::string::npos);
  Rows after = partitions();
  REQUIRE(after.size() == 1);
  CHECK(after[0][0] == "pmax");
  CHECK(pair.primary("SELECT COUNT(*) FROM infralogs.entries")[0][0] == "0");
  // The binlog shows a partition drop, not row deletes.
  Rows binlog = pair.primary("SHOW BINLOG EVENTS");
  bool dropped = false;
  for (const auto& row : binlog) {
    for (const auto& col : row)
      dropped = dropped || col.find("DROP PARTITION") != std::string::npos;
  }
  CHECK(dropped);
}

TEST_CASE("without --once collect polls every interval until SIGTERM", "[integration][collect]") {
  MariaDbPair pair;
  auto db = pair.create_database("infralogs");
  Fleet fleet({.hosts = 1, .entries = 100, .hostile = false});
  std::vector<std::string> args = collect_command(fleet, db, {"--interval", "1"});
  args.erase(std::find(args.begin(), args.end(), "--once"));
  BackgroundProcess p(args);
  auto stored = [&] {
    return std::stoull(pair.primary("SELECT COUNT(*) FROM infralogs.entries")[0][0]);
  };
  for (int i = 0; i < 100 && stored() < 100; ++i) std::this_thread::sleep_for(50ms);
  CHECK(stored() == 100);
  generate_journal(fleet.files()[0], {"--entries", "30", "--skip", "100"});
  for (int i = 0; i < 100 && stored() < 130; ++i) std::this_thread::sleep_for(50ms);
  CHECK(stored() == 130);
  p.signal(SIGTERM);
  CHECK(p.wait() == 0);
  CHECK(pair.primary("SELECT COUNT(*) >= 2 FROM infralogs.collector_runs")[0][0] == "1");
}

TEST_CASE("first contact takes the last 24 hours by default, never a replay of old journal",
          "[integration][collect]") {
  MariaDbPair pair;
  auto db = pair.create_database("infralogs");
  Fleet fleet({.hosts = 1,
               .entries = 100,
               .hostile = false});  // entries from 2025-01-01: older than 24 hours
  std::vector<std::string> args = collect_command(fleet, db);
  auto since = std::find(args.begin(), args.end(), "--since");
  args.erase(since, since + 2);
  auto r = run(args);
  REQUIRE(r.exit_code == 0);
  CHECK(pair.primary("SELECT COUNT(*) FROM infralogs.entries")[0][0] == "0");
  // An explicit policy takes them.
  r = run(collect_command(fleet, db));
  REQUIRE(r.exit_code == 0);
  CHECK(pair.primary("SELECT COUNT(*) FROM infralogs.entries")[0][0] == "100");
}

TEST_CASE("collect shows a live progress line on a terminal only", "[integration][collect]") {
  MariaDbPair pair;
  auto db = pair.create_database("infralogs");
  Fleet fleet({.hosts = 1, .entries = 3000, .hostile = false});
  std::string cmd;
  for (const auto& a : collect_command(fleet, db, {"--batch", "500"})) cmd += a + " ";
  auto tty = run({"script", "-qec", cmd, "/dev/null"});
  INFO(tty.out);
  REQUIRE(tty.exit_code == 0);
  CHECK(tty.out.find("\r\033[Kcollect: vm-01: ") != std::string::npos);
  auto piped = run({"sh", "-c", cmd + "--since all 2>&1 | cat"});
  CHECK(piped.out.find("\033[K") == std::string::npos);
}

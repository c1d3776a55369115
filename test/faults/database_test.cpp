// The database under the collector and serve fails (issue 11, "Fault suite"): the primary
// killed during ingest and the replica promoted, the primary frozen mid-ingest, the replica
// stopped, the primary refusing writes. Each ends with the database equal to the journal
// (journalctl as the oracle): nothing lost, nothing twice.

#include <httplib.h>
#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <iostream>
#include <thread>

#include "faults/fault_support.h"
#include "support/binaries.h"
#include "support/collected.h"
#include "support/fleet.h"
#include "support/journal.h"
#include "support/mariadb_pair.h"
#include "support/process.h"
#include "support/server_process.h"

using namespace infralogs::test;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

uint64_t primary_rows(MariaDbPair& pair) {
  return std::stoull(pair.primary("SELECT COUNT(*) FROM infralogs.entries")[0][0]);
}

// Waits (up to 20 s) until the primary holds at least `n` entries: the collector is writing.
void wait_for_rows(MariaDbPair& pair, uint64_t n) {
  for (int i = 0; i < 400 && primary_rows(pair) < n; ++i) std::this_thread::sleep_for(50ms);
  REQUIRE(primary_rows(pair) >= n);
}

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

int http_status(int port, const std::string& path) {
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(10);
  auto res = c.Get(path.c_str());
  return res ? res->status : -1;
}

// Each host's rows form a prefix of its journal in cursor order (entries 1..n of the sequence,
// none missing before the last stored one) and match its checkpoint's count: a batch was
// stored whole or not at all.
void check_whole_batches(MariaDbPair& pair, Fleet& fleet) {
  for (size_t i = 0; i < fleet.size(); ++i) {
    auto journal = journal_keys({"--file", fleet.files()[i]});
    auto stored = stored_keys(pair, false, "infralogs", fleet.names()[i]);
    INFO("host " << fleet.names()[i] << ": " << stored.size() << " rows");
    REQUIRE(stored.size() <= journal.size());
    for (size_t k = 0; k < stored.size(); ++k) {
      if (!(stored[k] == journal[k])) {
        FAIL_CHECK("row " << k << " is not the journal's entry " << k);
        break;
      }
    }
    Rows c = pair.primary(
        "SELECT COALESCE((SELECT c.entries FROM infralogs.checkpoints c JOIN infralogs.hosts h "
        "USING (host_id) WHERE h.name = '" +
        fleet.names()[i] + "'), 0)");
    CHECK(c[0][0] == std::to_string(stored.size()));
  }
}

}  // namespace

TEST_CASE("the primary killed during ingest, the replica promoted: nothing lost or twice",
          "[faults][failover]") {
  MariaDbPair pair;
  auto db = pair.create_database("infralogs");
  Fleet fleet({.hosts = 2, .entries = 12000, .hostile = true});
  BackgroundProcess first(
      collect_command(fleet, db, {"--batch", "300", "--attempts", "2", "--db-timeout", "2"}));
  wait_for_rows(pair, 2000);
  pair.kill_primary();
  auto killed = Clock::now();
  // The collector fails clearly: the primary is gone, no retry brings it back.
  auto code = first.wait_for(60s);
  REQUIRE(code);
  INFO(first.log().substr(0, 3000));
  CHECK(first.term_signal() == 0);
  CHECK(*code == 1);
  CHECK(first.err().find("collect-pw") == std::string::npos);

  pair.promote();
  // The collector pointed at the new primary: the rows and cursors the old one had not
  // replicated were never in the replica, so the collector fetches that tail again.
  MariaDbPair::Database promoted = db;
  promoted.primary_url = db.replica_url;
  CommandResult r = run(collect_command(fleet, promoted));
  INFO(r.err.substr(0, 3000));
  REQUIRE(r.exit_code == 0);
  double recover_s = seconds_since(killed);
  for (size_t i = 0; i < fleet.size(); ++i)
    check_host_exact(pair, true, db.name, fleet.names()[i], {"--file", fleet.files()[i]});
  std::cerr << "faults: failover: caught up on the promoted replica " << recover_s
            << " s after the primary was killed\n";

  // serve on the new primary answers with every host.
  ServerProcess serve("serve",
                      {"--db", db.replica_url, "--db-credentials-file", db.reader_credentials});
  httplib::Client c("127.0.0.1", serve.port());
  auto hosts = c.Get("/api/hosts");
  REQUIRE(hosts);
  CHECK(hosts->status == 200);
  CHECK(hosts->body.find("vm-01") != std::string::npos);
  CHECK(hosts->body.find("vm-02") != std::string::npos);
  CHECK(http_status(serve.port(), "/healthz") == 200);
  CHECK(serve.stop() == 0);
}

TEST_CASE("the primary frozen for 3 s mid-ingest: a clear error or a retry, then exactly once",
          "[faults][database]") {
  MariaDbPair pair;
  auto db = pair.create_database("infralogs");
  Fleet fleet({.hosts = 2, .entries = 10000, .hostile = false});
  BackgroundProcess p(
      collect_command(fleet, db, {"--batch", "300", "--db-timeout", "2", "--attempts", "3"}));
  wait_for_rows(pair, 1000);
  pair.pause_primary();
  std::this_thread::sleep_for(3s);
  pair.resume_primary();
  auto code = p.wait_for(120s);
  REQUIRE(code);
  INFO(p.log().substr(0, 3000));
  CHECK(p.term_signal() == 0);
  CHECK((*code == 0 || *code == 1));
  if (*code == 1) CHECK(p.err().find("127.0.0.1") != std::string::npos);
  CHECK(p.err().find("collect-pw") == std::string::npos);
  CommandResult r = run(collect_command(fleet, db));
  INFO(r.err.substr(0, 3000));
  REQUIRE(r.exit_code == 0);
  for (size_t i = 0; i < fleet.size(); ++i)
    check_host_exact(pair, false, db.name, fleet.names()[i], {"--file", fleet.files()[i]});
}

TEST_CASE("the replica stopped during ingest: serve says 503, then recovers with every entry",
          "[faults][database]") {
  MariaDbPair pair;
  auto db = pair.create_database("infralogs");
  Fleet fleet({.hosts = 2, .entries = 10000, .hostile = true});
  ServerProcess serve("serve", {"--db", db.replica_url, "--db-credentials-file",
                                db.reader_credentials, "--db-timeout", "2"});
  REQUIRE(http_status(serve.port(), "/healthz") == 200);
  BackgroundProcess p(collect_command(fleet, db, {"--batch", "300"}));
  wait_for_rows(pair, 500);
  pair.stop_replica();
  // The collector writes to the primary only: it does not notice.
  auto code = p.wait_for(120s);
  REQUIRE(code);
  INFO(p.log().substr(0, 3000));
  CHECK(*code == 0);
  CHECK(http_status(serve.port(), "/healthz") == 503);
  CHECK(http_status(serve.port(), "/api/overview") == 503);
  auto started = Clock::now();
  pair.start_replica();
  int status = -1;
  for (int i = 0; i < 100 && status != 200; ++i) {
    status = http_status(serve.port(), "/healthz");
    if (status != 200) std::this_thread::sleep_for(100ms);
  }
  CHECK(status == 200);
  CHECK(http_status(serve.port(), "/api/overview") == 200);
  std::cerr << "faults: replica stopped: serve answers 200 again " << seconds_since(started)
            << " s after start-replica\n";
  pair.sync_replica();
  for (size_t i = 0; i < fleet.size(); ++i)
    check_host_exact(pair, true, db.name, fleet.names()[i], {"--file", fleet.files()[i]});
  CHECK(serve.stop() == 0);
}

TEST_CASE("the primary refusing writes (read_only) fails a round clearly, no half batch",
          "[faults][database]") {
  MariaDbPair pair;
  auto db = pair.create_database("infralogs");
  Fleet fleet({.hosts = 2, .entries = 10000, .hostile = false});
  BackgroundProcess p(collect_command(fleet, db, {"--batch", "500", "--attempts", "2"}));
  wait_for_rows(pair, 1000);
  // What a demoted primary does in a failover; the collector's account is no admin, so it
  // cannot write past it.
  pair.primary("SET GLOBAL read_only = 1");
  auto code = p.wait_for(60s);
  REQUIRE(code);
  INFO(p.log().substr(0, 3000));
  CHECK(p.term_signal() == 0);
  CHECK(*code == 1);
  CHECK(p.err().find("read-only") != std::string::npos);
  CHECK(p.err().find("collect: FAILED vm-0") != std::string::npos);
  uint64_t frozen = primary_rows(pair);
  CHECK(frozen < 20000);
  check_whole_batches(pair, fleet);

  // While it lasts, another round fails the same way and stores nothing.
  CommandResult again = run(collect_command(fleet, db, {"--attempts", "1"}));
  CHECK(again.exit_code == 1);
  CHECK(primary_rows(pair) == frozen);

  pair.primary("SET GLOBAL read_only = 0");
  CommandResult r = run(collect_command(fleet, db));
  INFO(r.err.substr(0, 3000));
  REQUIRE(r.exit_code == 0);
  for (size_t i = 0; i < fleet.size(); ++i)
    check_host_exact(pair, false, db.name, fleet.names()[i], {"--file", fleet.files()[i]});
}

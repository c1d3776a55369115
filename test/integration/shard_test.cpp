// collect --shard against the real MariaDB pair and real agents on generated journals: shards
// partition the inventory, together store everything exactly once, and overlapping collectors
// of one shard never duplicate.

#include <catch2/catch.hpp>
#include <set>

#include "support/binaries.h"
#include "support/collected.h"
#include "support/fleet.h"
#include "support/journal.h"
#include "support/mariadb_pair.h"
#include "support/process.h"

using namespace infralogs::test;

namespace {

std::set<std::string> stored_hosts(MariaDbPair& pair, const std::string& db) {
  std::set<std::string> out;
  for (const auto& row : pair.replica("SELECT name FROM " + db + ".hosts")) out.insert(row[0]);
  return out;
}

size_t stored_entries(MariaDbPair& pair, const std::string& db, const std::string& host) {
  return std::stoull(pair.replica("SELECT COUNT(*) FROM " + db + ".entries e JOIN " + db +
                                  ".hosts h USING (host_id) WHERE h.name = '" + host + "'")[0][0]);
}

// Each host in `hosts` is stored with exactly as many entries as its journal holds: a lost or
// a doubled entry changes the count (the collector exits 0 only when no insert was refused).
void check_each_host_once(MariaDbPair& pair, const std::string& db, Fleet& fleet,
                          const std::set<std::string>& hosts) {
  for (size_t i = 0; i < fleet.size(); ++i) {
    if (!hosts.count(fleet.names()[i])) continue;
    INFO("host " << fleet.names()[i]);
    CHECK(stored_entries(pair, db, fleet.names()[i]) ==
          journalctl_json({"--file", fleet.files()[i]}).size());
  }
}

}  // namespace

// The fleet's names vm-01..vm-04 hash (FNV-1a 64 mod 2) to shards 0, 1, 0, 1.
TEST_CASE("two shards partition the inventory and together store everything exactly once",
          "[integration][collect][shard]") {
  MariaDbPair pair;
  auto db = pair.create_database("infralogs");
  Fleet fleet({.hosts = 4, .entries = 300, .hostile = false});
  auto r0 = run(collect_command(fleet, db, {"--shard", "0/2"}));
  INFO(r0.err);
  REQUIRE(r0.exit_code == 0);
  CHECK(r0.err.find("\"shard\":\"0/2\"") != std::string::npos);
  CHECK(r0.err.find("\"agents\":2") != std::string::npos);
  pair.sync_replica();
  CHECK(stored_hosts(pair, db.name) == std::set<std::string>{"vm-01", "vm-03"});

  // The index may come from an Indexed Job's JOB_COMPLETION_INDEX instead.
  auto r1 = run(collect_command(fleet, db, {"--shard-count", "2"}), {"JOB_COMPLETION_INDEX=1"});
  INFO(r1.err);
  REQUIRE(r1.exit_code == 0);
  pair.sync_replica();
  auto all = std::set<std::string>(fleet.names().begin(), fleet.names().end());
  CHECK(stored_hosts(pair, db.name) == all);
  check_each_host_once(pair, db.name, fleet, all);

  SECTION("running both shards again stores nothing new") {
    REQUIRE(run(collect_command(fleet, db, {"--shard", "0/2"})).exit_code == 0);
    REQUIRE(run(collect_command(fleet, db, {"--shard", "1/2"})).exit_code == 0);
    pair.sync_replica();
    check_each_host_once(pair, db.name, fleet, all);
  }
}

TEST_CASE("two overlapping collectors of one shard never duplicate",
          "[integration][collect][shard]") {
  MariaDbPair pair;
  auto db = pair.create_database("infralogs");
  Fleet fleet({.hosts = 4, .entries = 3000, .hostile = false});
  BackgroundProcess a(collect_command(fleet, db, {"--shard", "1/2", "--batch", "200"}));
  BackgroundProcess b(collect_command(fleet, db, {"--shard", "1/2", "--batch", "200"}));
  INFO(a.log() << b.log());
  CHECK(a.wait() == 0);
  CHECK(b.wait() == 0);
  pair.sync_replica();
  CHECK(stored_hosts(pair, db.name) == std::set<std::string>{"vm-02", "vm-04"});
  check_each_host_once(pair, db.name, fleet, {"vm-02", "vm-04"});
}

TEST_CASE("bad --shard values are usage errors", "[integration][collect][shard]") {
  for (const char* bad : {"3/2", "x/2", "0/0"}) {
    INFO(bad);
    auto r = run({infralogs_binary(), "collect", "--shard", bad, "--inventory", "/nonexistent",
                  "--db", "mysql://127.0.0.1:1/x", "--db-credentials-file", "/nonexistent"});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("INDEX/COUNT") != std::string::npos);
  }
}

TEST_CASE("collect --discover-agents adds the agents a name resolves to, once each",
          "[integration][collect][discovery]") {
  MariaDbPair pair;
  auto db = pair.create_database("infralogs");
  Fleet fleet({.hosts = 2, .entries = 200, .hostile = false});
  // The inventory lists vm-01 only; localhost on vm-02's port finds vm-02 (named by its
  // /machine, the agent's --name, not by its address), and on vm-01's port finds vm-01 again,
  // which the inventory's URL drops.
  fleet.replace_inventory({{"token_file", fleet.token_file()},
                           {"agents", {{{"name", "vm-01"}, {"url", fleet.url(0)}}}}});
  std::string port1 = fleet.url(0).substr(fleet.url(0).rfind(':') + 1);
  std::string port2 = fleet.url(1).substr(fleet.url(1).rfind(':') + 1);
  auto dup = run(collect_command(fleet, db,
                                 {"--discover-agents", "dns:localhost:" + port1,
                                  "--discover-token-file", fleet.token_file()}));
  INFO(dup.err);
  REQUIRE(dup.exit_code == 0);
  pair.sync_replica();
  CHECK(stored_hosts(pair, db.name) == std::set<std::string>{"vm-01"});

  auto r = run(collect_command(fleet, db,
                               {"--discover-agents", "dns:localhost:" + port2,
                                "--discover-token-file", fleet.token_file()}));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.err.find("\"msg\":\"discovered agents\"") != std::string::npos);
  pair.sync_replica();
  auto hosts = stored_hosts(pair, db.name);
  CHECK(hosts == std::set<std::string>{"vm-01", "vm-02"});
  CHECK(stored_entries(pair, db.name, "vm-02") ==
        journalctl_json({"--file", fleet.files()[1]}).size());
  CHECK(stored_entries(pair, db.name, "vm-01") ==
        journalctl_json({"--file", fleet.files()[0]}).size());

  SECTION("without a token file discovery is a usage error") {
    auto bad = run(collect_command(fleet, db, {"--discover-agents", "dns:localhost:" + port2}));
    CHECK(bad.exit_code == 2);
    CHECK(bad.err.find("--discover-token-file") != std::string::npos);
  }
}

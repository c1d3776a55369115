// kill -9 of every mode at random moments (issue 11, "Fault suite"): collect --once,
// collect --interval, the agent in the middle of a response and serve in the middle of
// requests. After each series the database must hold exactly the journal: journalctl is the
// oracle, by (seqnum ID, seqnum), with no duplicate. The random moments come from a seed that
// is printed, so INFRALOGS_FAULT_SEED=N replays a failing series.

#include <httplib.h>
#include <signal.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <future>
#include <iostream>
#include <random>
#include <thread>

#include "faults/fault_support.h"
#include "support/binaries.h"
#include "support/collected.h"
#include "support/fleet.h"
#include "support/journal.h"
#include "support/mariadb_pair.h"
#include "support/net.h"
#include "support/process.h"
#include "support/server_process.h"

using namespace infralogs::test;
using namespace std::chrono_literals;

namespace {

// Every host of the fleet equals its journal on the primary, and the checkpoints' entry counts
// and the hourly rollups agree with the rows (one transaction wrote them all).
void check_fleet_exact(MariaDbPair& pair, const MariaDbPair::Database& db, Fleet& fleet) {
  for (size_t i = 0; i < fleet.size(); ++i)
    check_host_exact(pair, false, db.name, fleet.names()[i], {"--file", fleet.files()[i]});
  Rows r = pair.primary(
      "SELECT h.name, (SELECT COUNT(*) FROM infralogs.entries e WHERE e.host_id = h.host_id), "
      "(SELECT COALESCE(SUM(entries), 0) FROM infralogs.rollups_hourly r WHERE r.host_id = "
      "h.host_id), (SELECT entries FROM infralogs.checkpoints c WHERE c.host_id = h.host_id) "
      "FROM infralogs.hosts h");
  for (const auto& row : r) {
    INFO("host " << row[0] << ": rows, rollups, checkpoint entries");
    CHECK(row[1] == row[2]);
    CHECK(row[1] == row[3]);
  }
}

// The exit of a collector that was not killed: 0, or 1 with the failed agents named (never a
// crash).
void check_clean_exit(BackgroundProcess& p, int code) {
  INFO(p.log().substr(0, 4000));
  CHECK(p.term_signal() == 0);
  CHECK((code == 0 || code == 1));
  if (code == 1) CHECK(p.err().find("collect: FAILED") != std::string::npos);
}

}  // namespace

TEST_CASE("collect --once killed with SIGKILL at 20 random moments, the journal growing",
          "[faults][kill]") {
  uint64_t seed = fault_seed("collect --once kill -9");
  INFO("INFRALOGS_FAULT_SEED=" << seed);
  std::mt19937_64 rng(seed);
  MariaDbPair pair;
  auto db = pair.create_database("infralogs");
  constexpr size_t kEntries = 20000;
  Fleet fleet({.hosts = 2, .entries = kEntries, .hostile = false});
  // A run with 2,000 new entries takes about 150-250 ms here; one with none about 50-100 ms.
  std::uniform_int_distribution<int> delay_ms(10, 150);
  std::uniform_int_distribution<int> batch_pick(0, 2);
  const char* batches[] = {"100", "300", "1000"};
  std::vector<size_t> appended(fleet.size(), 0);
  // Until 20 kills have landed while collect ran (at most 60 tries). A run that ended before
  // its kill found the database caught up, so the next one gets 2,000 new entries on one host:
  // without them the later tries only found collect already done (14 of 20 on the CI
  // machine).
  int killed_mid_run = 0, tries = 0;
  for (; killed_mid_run < 20 && tries < 60; ++tries) {
    BackgroundProcess p(collect_command(fleet, db, {"--batch", batches[batch_pick(rng)]}));
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(rng)));
    bool ended = p.poll().has_value();
    if (!ended) ++killed_mid_run;
    p.signal(SIGKILL);
    p.wait();
    if (ended || tries % 5 == 4) {
      size_t h = static_cast<size_t>(tries) % fleet.size();
      generate_journal(fleet.files()[h], {"--hosts", "1", "--hostname", "vm", "--entries", "2000",
                                          "--skip", std::to_string(kEntries + appended[h])});
      appended[h] += 2000;
    }
  }
  std::cerr << "faults: collect --once: " << killed_mid_run << " kills landed mid-run in " << tries
            << " tries\n";
  CHECK(killed_mid_run == 20);
  CommandResult r = run(collect_command(fleet, db));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  check_fleet_exact(pair, db, fleet);
}

TEST_CASE("collect --interval killed with SIGKILL at 10 random moments", "[faults][kill]") {
  uint64_t seed = fault_seed("collect --interval kill -9");
  INFO("INFRALOGS_FAULT_SEED=" << seed);
  std::mt19937_64 rng(seed);
  MariaDbPair pair;
  auto db = pair.create_database("infralogs");
  constexpr size_t kEntries = 12000;
  Fleet fleet({.hosts = 2, .entries = kEntries, .hostile = true});
  std::uniform_int_distribution<int> delay_ms(50, 1500);
  size_t appended = 0;
  for (int k = 0; k < 10; ++k) {
    std::vector<std::string> argv = collect_command(fleet, db, {"--batch", "250"});
    argv.erase(std::find(argv.begin(), argv.end(), "--once"));
    argv.insert(argv.end(), {"--interval", "1"});
    BackgroundProcess p(argv);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(rng)));
    INFO(p.log().substr(0, 2000));
    REQUIRE(!p.poll());  // a polling collector only ends when told to
    p.signal(SIGKILL);
    p.wait();
    if (k % 3 == 2) {
      generate_journal(fleet.files()[1], {"--hosts", "1", "--hostname", "vm", "--entries", "50",
                                          "--skip", std::to_string(kEntries + appended)});
      appended += 50;
    }
  }
  CommandResult r = run(collect_command(fleet, db));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  check_fleet_exact(pair, db, fleet);
}

TEST_CASE("the agent killed with SIGKILL in the middle of 12 responses", "[faults][kill]") {
  uint64_t seed = fault_seed("agent kill -9");
  INFO("INFRALOGS_FAULT_SEED=" << seed);
  std::mt19937_64 rng(seed);
  MariaDbPair pair;
  auto db = pair.create_database("infralogs");
  TempDir dir;
  std::string journal = dir.path() + "/vm-01.journal";
  generate_journal(journal, {"--entries", "10000", "--hostname", "vm-01", "--shape", "long"});
  std::string tokens = dir.write("tokens", "kill-token\n");
  RestartableAgent agent({"--token-file", tokens, "--file", journal}, free_port());
  agent.start();
  std::string inventory = dir.path() + "/inventory.json";
  write_inventory(inventory, {{"vm-01", agent.url()}}, tokens);
  auto collect = [&](const std::vector<std::string>& extra) {
    std::vector<std::string> a = {
        infralogs_binary(),      "collect", "--once", "--since",      "all",
        "--inventory",           inventory, "--db",   db.primary_url, "--db-credentials-file",
        db.collector_credentials};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  };
  // Each run has 2,000 new long entries to read (about 5 MB), so a kill 20-300 ms after its
  // start lands while it reads on a fast machine too; without the appends the first runs
  // stored everything and the later kills found collect already done (2 of 12 on an idle
  // machine).
  std::uniform_int_distribution<int> delay_ms(20, 300);
  int mid_run = 0;
  uint64_t written = 10000;
  for (int k = 0; k < 12; ++k) {
    generate_journal(journal, {"--entries", "2000", "--skip", std::to_string(written), "--hostname",
                               "vm-01", "--shape", "long"});
    written += 2000;
    BackgroundProcess p(collect({"--batch", "2000", "--attempts", "1"}));
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(rng)));
    if (!p.poll()) ++mid_run;
    agent.kill9();
    auto code = p.wait_for(30s);
    REQUIRE(code);
    check_clean_exit(p, *code);
    agent.start();
  }
  std::cerr << "faults: agent: " << mid_run << " of 12 kills landed while collect was reading\n";
  CHECK(mid_run >= 6);
  CommandResult r = run(collect({}));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  check_host_exact(pair, false, db.name, "vm-01", {"--file", journal});
}

TEST_CASE("serve killed with SIGKILL in the middle of requests, 10 times", "[faults][kill]") {
  uint64_t seed = fault_seed("serve kill -9");
  INFO("INFRALOGS_FAULT_SEED=" << seed);
  std::mt19937_64 rng(seed);
  Collected data(FleetOptions{.hosts = 2, .entries = 3000, .hostile = true});
  std::string before =
      data.pair.replica("SELECT COUNT(*), SUM(CRC32(fields)) FROM infralogs.entries")[0][0];
  std::uniform_int_distribution<int> delay_ms(0, 400);
  const std::vector<std::string> paths = {"/api/overview", "/api/search?q=sshd&limit=200",
                                          "/api/hosts", "/api/search?limit=500"};
  int answered_before_kill = 0;
  for (int k = 0; k < 10; ++k) {
    auto serve = std::make_unique<ServerProcess>(
        "serve", std::vector<std::string>{"--db", data.db.replica_url, "--db-credentials-file",
                                          data.db.reader_credentials});
    int port = serve->port();
    std::atomic<bool> stop{false};
    std::atomic<int> ok{0};
    std::vector<std::future<void>> clients;
    for (int c = 0; c < 4; ++c) {
      clients.push_back(std::async(std::launch::async, [&, c] {
        httplib::Client cl("127.0.0.1", port);
        cl.set_read_timeout(5);
        cl.set_connection_timeout(1);
        for (size_t i = c; !stop; ++i) {
          auto res = cl.Get(paths[i % paths.size()].c_str());
          if (res && res->status == 200) ++ok;
          if (!res) std::this_thread::sleep_for(10ms);
        }
      }));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(rng)));
    REQUIRE(::kill(serve->pid(), SIGKILL) == 0);
    std::this_thread::sleep_for(100ms);
    stop = true;
    for (auto& f : clients) f.get();
    answered_before_kill += ok;
    serve.reset();
    // A new serve answers at once: nothing the killed one did is left in its way.
    ServerProcess again("serve", {"--db", data.db.replica_url, "--db-credentials-file",
                                  data.db.reader_credentials});
    httplib::Client cl("127.0.0.1", again.port());
    auto health = cl.Get("/healthz");
    REQUIRE(health);
    CHECK(health->status == 200);
    auto hosts = cl.Get("/api/hosts");
    REQUIRE(hosts);
    CHECK(hosts->status == 200);
    CHECK(hosts->body.find("vm-02") != std::string::npos);
    CHECK(again.stop() == 0);
  }
  std::cerr << "faults: serve: " << answered_before_kill << " requests answered before the kills\n";
  CHECK(answered_before_kill > 0);
  CHECK(data.pair.replica("SELECT COUNT(*), SUM(CRC32(fields)) FROM infralogs.entries")[0][0] ==
        before);
  for (size_t i = 0; i < data.fleet.size(); ++i)
    check_host_exact(data.pair, true, data.db.name, data.fleet.names()[i],
                     {"--file", data.fleet.files()[i]});
}

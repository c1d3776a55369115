#pragma once
// Three hosts with hostile entries, served by real agents and collected into a MariaDB primary
// and replica: the data the dashboard, query and browser tests read.

#include <catch2/catch.hpp>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "integration/db_support.h"
#include "integration/support.h"

namespace infralogs::itest {

inline constexpr const char* kCollectedToken = "dashboard-test-token";

// Three hosts with hostile entries, collected into a primary/replica pair.
struct Collected {
  MariaDbPair pair;
  MariaDbPair::Database db;
  TempDir dir;
  std::vector<std::string> files;
  Collected() : db(pair.create_database("infralogs")) {
    std::string out = dir.path() + "/journals";
    std::filesystem::create_directory(out);
    generate_journal(out, {"--split-hosts", "--hosts", "3", "--entries", "400", "--hostile"});
    std::string tokens = dir.write("tokens", std::string(kCollectedToken) + "\n");
    nlohmann::json inv = {{"token_file", tokens}, {"agents", nlohmann::json::array()}};
    std::vector<std::unique_ptr<AgentProcess>> agents;
    for (int i = 1; i <= 3; ++i) {
      files.push_back(out + "/vm-0" + std::to_string(i) + ".journal");
      agents.push_back(std::make_unique<AgentProcess>(
          std::vector<std::string>{"--token-file", tokens, "--file", files.back()}));
      inv["agents"].push_back(
          {{"name", "vm-0" + std::to_string(i)},
           {"url", "http://127.0.0.1:" + std::to_string(agents.back()->port())}});
    }
    auto r = run({infralogs_binary(), "collect", "--once", "--since", "all", "--inventory",
                  dir.write("inv.json", inv.dump()), "--db", db.primary_url,
                  "--db-credentials-file", db.collector_credentials});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    pair.sync_replica();
  }
  std::vector<std::string> query(std::vector<std::string> args) {
    std::vector<std::string> a = {
        infralogs_binary(),   "query", "--db", db.replica_url, "--db-credentials-file",
        db.reader_credentials};
    a.insert(a.end(), args.begin(), args.end());
    auto r = run(a);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    std::vector<std::string> lines;
    std::istringstream in(r.out);
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    return lines;
  }
};

}  // namespace infralogs::itest

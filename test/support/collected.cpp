#include "support/collected.h"

#include <catch2/catch.hpp>
#include <sstream>

#include "support/binaries.h"
#include "support/process.h"

namespace infralogs::test {

std::vector<std::string> collect_command(const Fleet& fleet, const MariaDbPair::Database& db,
                                         const std::vector<std::string>& extra) {
  std::vector<std::string> a = {
      infralogs_binary(),      "collect",         "--once", "--since",      "all",
      "--inventory",           fleet.inventory(), "--db",   db.primary_url, "--db-credentials-file",
      db.collector_credentials};
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

Collected::Collected(const FleetOptions& options, const std::function<void(Fleet&)>& before_collect)
    : db(pair.create_database("infralogs")), fleet(options) {
  if (before_collect) before_collect(fleet);
  CommandResult r = run(collect_command(fleet, db));
  INFO("collect: " << r.err);
  REQUIRE(r.exit_code == 0);
  pair.sync_replica();
}

std::vector<std::string> Collected::query(const std::vector<std::string>& args) {
  std::vector<std::string> a = {
      infralogs_binary(),   "query", "--db", db.replica_url, "--db-credentials-file",
      db.reader_credentials};
  a.insert(a.end(), args.begin(), args.end());
  CommandResult r = run(a);
  INFO("query: " << r.err);
  REQUIRE(r.exit_code == 0);
  std::vector<std::string> lines;
  std::istringstream in(r.out);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

}  // namespace infralogs::test

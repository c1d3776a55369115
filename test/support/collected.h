#pragma once
// A Fleet collected once into a MariaDB primary and replicated: the data the dashboard, query
// and browser tests read.

#include <functional>
#include <string>
#include <vector>

#include "support/fleet.h"
#include "support/mariadb_pair.h"

namespace infralogs::test {

// `infralogs collect --once --since all` over `fleet` into `db`'s primary as the collector
// account, followed by `extra`.
std::vector<std::string> collect_command(const Fleet& fleet, const MariaDbPair::Database& db,
                                         const std::vector<std::string>& extra = {});

// Not thread-safe.
struct Collected {
  // Starts the pair and the fleet, runs `before_collect` (to add entries, say), collects once
  // and waits for the replica; fails the test if any step fails.
  explicit Collected(const FleetOptions& options = {},
                     const std::function<void(Fleet&)>& before_collect = {});

  // `infralogs query ARGS...` on the replica as the reader account: its stdout lines. Fails
  // the test if it exits non-zero.
  std::vector<std::string> query(const std::vector<std::string>& args);

  MariaDbPair pair;
  MariaDbPair::Database db;
  Fleet fleet;
};

}  // namespace infralogs::test

#pragma once
// What the fault tests share: the replayable random seed, the journalctl oracle for what a
// database holds, and an agent on a fixed port that can be killed and started again.

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "support/mariadb_pair.h"
#include "support/process.h"

namespace infralogs::test {

// The seed of this test's random choices: INFRALOGS_FAULT_SEED if set, else a fresh one. It is
// printed to stderr (ctest keeps it in the log) so a failing run can be replayed with
// INFRALOGS_FAULT_SEED=N; tests also put it in an INFO.
uint64_t fault_seed(const std::string& test);

// One journal entry as the oracle and the database both name it: (seqnum ID, seqnum) is the
// journal's own key and the table's, realtime the wall clock journald recorded.
struct EntryKey {
  std::string seqnum_id;  // 32 lowercase hex digits
  uint64_t seqnum = 0;
  uint64_t realtime_usec = 0;
  bool operator==(const EntryKey&) const = default;
  auto operator<=>(const EntryKey&) const = default;
};

// journalctl's entries for `journal_args` (--file F, -D DIR), in journalctl's order, from each
// __CURSOR's s= and i= and __REALTIME_TIMESTAMP.
std::vector<EntryKey> journal_keys(const std::vector<std::string>& journal_args);

// The rows of `host` in DB.entries on the primary (on_replica false) or the replica, ordered by
// (seqnum ID, seqnum): the order the collector's cursor followed.
std::vector<EntryKey> stored_keys(MariaDbPair& pair, bool on_replica, const std::string& db,
                                  const std::string& host);

// What a database holds of one host compared with its journal.
struct Comparison {
  size_t journal = 0;     // entries journalctl lists
  size_t stored = 0;      // rows
  size_t lost = 0;        // in the journal, not stored
  size_t duplicated = 0;  // rows beyond the first for one (seqnum ID, seqnum)
  size_t unknown = 0;     // stored, not in the journal (or with another realtime)
};
Comparison compare(const std::vector<EntryKey>& journal, std::vector<EntryKey> stored);

// CHECKs that `host`'s rows equal the journal's entries: no loss, no duplicate, nothing else.
Comparison check_host_exact(MariaDbPair& pair, bool on_replica, const std::string& db,
                            const std::string& host, const std::vector<std::string>& journal_args);

// An inventory file `path` listing one agent per (name, url), all with `token_file`.
void write_inventory(const std::string& path,
                     const std::vector<std::pair<std::string, std::string>>& agents,
                     const std::string& token_file);

// `infralogs agent --listen 127.0.0.1:PORT ARGS...` on a port fixed for its life, so it can be
// killed and started again where the inventory points. Not thread-safe.
class RestartableAgent {
 public:
  RestartableAgent(std::vector<std::string> args, int port);
  // Starts it (again) and waits, up to 30 s, for its "listening" line; fails the test if it
  // exits or does not listen.
  void start();
  // SIGKILL, then reaps it.
  void kill9();
  bool running();
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string log() const { return process_ ? process_->log() : std::string(); }

 private:
  std::vector<std::string> args_;
  int port_;
  std::unique_ptr<BackgroundProcess> process_;
};

}  // namespace infralogs::test

#pragma once
// LogStore: where the collector writes (docs/schema.md). An interface so the collector can be
// tested with test/fakes/in_memory_log_store.h; MariaDbLogStore (mariadb_log_store.h) is the
// real one.
//
// Errors, for every method: kUnavailable when the database cannot be reached or a lock wait or
// deadlock broke the statement off (retry later), kPermissionDenied when the account may not
// do it, kInternal for anything else; the methods below name the other codes they return.
// Thread-safety: implementations are thread-safe; the collector calls them from several agent
// threads at once.

#include <cstdint>
#include <optional>
#include <string>

#include "infralogs/core/log_entry.h"
#include "infralogs/core/status.h"

namespace infralogs::storage {

// One collector run, as recorded by record_run().
struct RunRecord {
  std::string collector;      // host:pid of the collector process
  uint64_t started_usec = 0;  // wall clock, µs since the epoch
  uint64_t finished_usec = 0;
  uint32_t agents_ok = 0;
  uint32_t agents_failed = 0;
  uint64_t entries = 0;
  uint64_t bytes = 0;
  std::string summary;  // one line per failed agent
};

class LogStore {
 public:
  virtual ~LogStore() = default;

  // Applies the schema migrations that are missing. Idempotent; safe with several callers at
  // once (they wait for each other, kUnavailable after two minutes of waiting).
  virtual Status migrate() = 0;
  // Ok when the schema is the one this binary needs. kInvalidArgument, saying to run
  // `infralogs collect --migrate`, when there is no schema or it is older.
  virtual Status check_schema() = 0;

  // The id of the host called `name`, created on first use; `labels_json` (a JSON object) replaces
  // the stored labels. Also creates the host's checkpoint (cursor "") on first use.
  virtual Result<uint32_t> host_id(const std::string& name, const std::string& labels_json) = 0;
  // The host's stored cursor: the last stored entry's __CURSOR; "" when nothing was stored yet
  // (or the host is unknown).
  virtual Result<std::string> last_cursor(uint32_t host) = 0;

  // In one transaction: stores the batch's entries, their hourly rollup increments, `gap` when
  // given, and moves the host's cursor from `expected_cursor` to the last entry's. kAborted
  // (nothing written) when the stored cursor is no longer `expected_cursor` (another collector
  // got there first); kCorruption when the batch repeats an entry the host already has (an
  // agent that repeated a page or ignored the cursor). On any error nothing of the batch is
  // written. An empty batch writes nothing and is ok.
  virtual Status append(uint32_t host, const std::string& expected_cursor, const Batch& batch,
                        const std::optional<Gap>& gap) = 0;

  // Notes that the host's agent was polled to its tail just now (the dashboard's "last collected").
  virtual Status mark_polled(uint32_t host) = 0;

  // Adds one row to the collector's run history.
  virtual Status record_run(const RunRecord& run) = 0;
  // Marks the data fresh as of now (the dashboard reads it from the replica). MariaDbLogStore
  // also writes its credential report (log_reader.h CredentialReport) in the same transaction.
  virtual Status heartbeat(const std::string& collector) = 0;
  // Drops the day partitions of entries wholly before `before_usec`; returns how many. Rows are
  // never deleted one by one.
  virtual Result<int> drop_partitions_before(uint64_t before_usec) = 0;
};

}  // namespace infralogs::storage

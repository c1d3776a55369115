#pragma once
// LogStore: where the collector writes (docs/schema.md). Interface so the collector can be
// tested with test/fakes/in_memory_log_store.h; MariaDbLogStore is the real one.
// Implementations are thread-safe: the collector calls them from several agent threads.

#include <cstdint>
#include <optional>
#include <string>

#include "infralogs/core/log_entry.h"
#include "infralogs/core/status.h"

namespace infralogs::storage {

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

  // Applies the schema migrations that are missing. Idempotent; safe with several callers at once.
  virtual Status migrate() = 0;
  // Fails with kInvalidArgument when the schema is older than this binary needs (run --migrate).
  virtual Status check_schema() = 0;

  // The host's id, created on first use.
  virtual Result<uint32_t> host_id(const std::string& name, const std::string& labels_json) = 0;
  // The host's stored cursor; "" when nothing was stored yet.
  virtual Result<std::string> last_cursor(uint32_t host) = 0;

  // In one transaction: stores the batch's entries, their hourly rollup increments, `gap` when
  // given, and moves the host's cursor from `expected_cursor` to the last entry's. kAborted
  // (nothing written) when the stored cursor is no longer `expected_cursor` (another collector
  // got there first). On any error nothing of the batch is written.
  virtual Status append(uint32_t host, const std::string& expected_cursor, const Batch& batch,
                        const std::optional<Gap>& gap) = 0;

  // Notes that the host's agent was polled to its tail just now (the dashboard's "last collected").
  virtual Status mark_polled(uint32_t host) = 0;

  virtual Status record_run(const RunRecord& run) = 0;
  // Marks the data fresh as of now (the dashboard reads it from the replica).
  virtual Status heartbeat(const std::string& collector) = 0;
  // Drops the day partitions of entries wholly before `before_usec`; returns how many.
  virtual Result<int> drop_partitions_before(uint64_t before_usec) = 0;
};

}  // namespace infralogs::storage

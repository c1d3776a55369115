#pragma once
// MariaDbLogStore: LogStore on a MySQL-compatible server (the primary) through the MariaDB C
// client, linked statically. Prepared statements only; entries go in with MariaDB's bulk array
// binding, which bench/insert_paths measured faster than LOAD DATA LOCAL INFILE from memory on
// this table.
//
// Connections come from a small pool and are made on first need: constructing the store does
// not connect. A connection that fails is dropped, with the idle ones, and the next call
// reconnects with the credential source's current credentials, so rotations are followed.
// The MariaDB client library is initialised on the first connection (once per process,
// thread-safe): callers need no mysql_library_init.
//
// Thread-safety: thread-safe (LogStore's contract); partition changes are serialised inside
// one process, and racing processes retry. Not copyable.
// Lifetime: `credentials` must outlive the store.

#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "infralogs/core/mutex.h"
#include "infralogs/secrets/credential_source.h"
#include "infralogs/storage/log_reader.h"
#include "infralogs/storage/log_store.h"
#include "infralogs/storage/mariadb_options.h"

namespace infralogs::storage {

class Connection;  // src/storage/mariadb_connection.h
template <typename Conn>
class Pool;  // src/storage/connection_pool.h

// What only the writer uses.
struct MariaDbStoreOptions {
  // Rows per bulk INSERT execution, and the payload bytes one may carry (stay well under the
  // server's max_allowed_packet). One entry larger than the byte cap still goes alone.
  size_t insert_chunk_rows = 5000;
  size_t insert_chunk_bytes = 8u << 20;
};

// The schema version this binary writes and reads.
int schema_version();

class MariaDbLogStore : public LogStore, public secrets::RotationListener {
 public:
  MariaDbLogStore(MariaDbConnectionOptions connection, secrets::CredentialSource& credentials,
                  MariaDbStoreOptions options = {});
  ~MariaDbLogStore() override;
  MariaDbLogStore(const MariaDbLogStore&) = delete;
  MariaDbLogStore& operator=(const MariaDbLogStore&) = delete;

  // LogStore. check_schema() tells "no schema" from other failures by the server's error number
  // (ER_NO_SUCH_TABLE), and a version that is not a number is kCorruption.
  Status migrate() override;
  Status check_schema() override;
  Result<uint32_t> host_id(const std::string& name, const std::string& labels_json) override;
  Result<std::string> last_cursor(uint32_t host) override;
  // Creates the day partitions the batch needs first (REORGANIZE PARTITION of pmax; a racing
  // collector's change is re-read and retried once), then writes as LogStore says.
  Status append(uint32_t host, const std::string& expected_cursor, const Batch& batch,
                const std::optional<Gap>& gap) override;
  Status mark_polled(uint32_t host) override;
  Status record_run(const RunRecord& run) override;
  Status heartbeat(const std::string& collector) override;
  Result<int> drop_partitions_before(uint64_t before_usec) override;

  // The credentials and connections per generation (log_reader.h), for /metrics.
  CredentialStatus credential_status() const;

  // RotationListener (credential_source.h), for the source's refresh thread.
  // verify: opens one connection to the primary with `candidate` and runs SELECT 1.
  // switched: new connections use generation `generation`; idle older ones are closed now,
  // leased ones when returned; returns once none is in use, or at `deadline` after logging how
  // many still were.
  Status verify(const Credentials& candidate) override;
  void switched(uint64_t generation, std::chrono::steady_clock::time_point deadline) override;

 private:
  Status ensure_partitions(const std::vector<uint64_t>& realtimes_usec) EXCLUDES(partition_mutex_);

  const MariaDbConnectionOptions connection_;
  secrets::CredentialSource& credentials_;
  const MariaDbStoreOptions options_;
  std::unique_ptr<Pool<Connection>> pool_;
  // The day partitions of `entries` as last read: one partition change at a time per process.
  Mutex partition_mutex_;
  bool partitions_loaded_ GUARDED_BY(partition_mutex_) = false;
  bool have_partitions_ GUARDED_BY(partition_mutex_) = false;
  uint64_t max_partition_day_ GUARDED_BY(partition_mutex_) = 0;
};

}  // namespace infralogs::storage

#pragma once
// MariaDbLogStore: LogStore on a MySQL-compatible server through the MariaDB C client (linked
// statically). Prepared statements only; entries go in with MariaDB's bulk array binding, which
// bench/insert_paths measured faster than LOAD DATA LOCAL INFILE from memory on this table.
// Connections come from a small pool; a connection that fails is dropped and the next call
// reconnects with the credential source's current credentials (so rotations are followed).

#include <chrono>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "infralogs/secrets/credential_source.h"
#include "infralogs/storage/log_store.h"

namespace infralogs::storage {

struct Connection;  // src/storage/mariadb_connection.h
class ConnectionPool;

struct MariaDbOptions {
  std::string host = "127.0.0.1";
  int port = 3306;
  std::string database;
  std::chrono::seconds connect_timeout{5};
  std::chrono::seconds read_timeout{60};
  std::chrono::seconds write_timeout{60};
  // Rows per bulk INSERT execution, and the payload bytes one may carry (stay well under the
  // server's max_allowed_packet).
  size_t insert_chunk_rows = 5000;
  size_t insert_chunk_bytes = 8u << 20;
  // Allows LOAD DATA LOCAL INFILE on the connection: bench/insert_paths only, which installs its
  // own handler serving rows from memory. Never set it with the client's default handler, which
  // sends whatever file the server names.
  bool allow_local_infile = false;
  // MariaDbLogReader: rows (entries and hosts) a search without host or unit may examine
  // walking the time index newest first, before it reads the whole window instead.
  size_t search_walk_rows = 200000;
};

// Parses mysql://HOST:PORT/DATABASE (PORT defaults to 3306). Credentials are not accepted in
// the URL: they come from a credentials file or Vault.
Result<MariaDbOptions> parse_mysql_url(std::string_view url);

// The schema version this binary writes and reads.
int schema_version();

class MariaDbLogStore : public LogStore {
 public:
  MariaDbLogStore(MariaDbOptions options, secrets::CredentialSource& credentials);
  ~MariaDbLogStore() override;

  Status migrate() override;
  Status check_schema() override;
  Result<uint32_t> host_id(const std::string& name, const std::string& labels_json) override;
  Result<std::string> last_cursor(uint32_t host) override;
  Status append(uint32_t host, const std::string& expected_cursor, const Batch& batch,
                const std::optional<Gap>& gap) override;
  Status mark_polled(uint32_t host) override;
  Status record_run(const RunRecord& run) override;
  Status heartbeat(const std::string& collector) override;
  Result<int> drop_partitions_before(uint64_t before_usec) override;

  // Creates the day partitions the given realtimes need (public for tests and the benchmark).
  Status ensure_partitions(const std::vector<uint64_t>& realtimes_usec);

 private:
  Result<std::unique_ptr<Connection>> acquire();
  void release(std::unique_ptr<Connection> c);

  MariaDbOptions options_;
  secrets::CredentialSource& credentials_;
  std::unique_ptr<ConnectionPool> pool_;
  std::mutex partition_mutex_;      // one partition change at a time per process
  bool partitions_loaded_ = false;  // guarded by partition_mutex_
  bool have_partitions_ = false;    // guarded by partition_mutex_
  uint64_t max_partition_day_ = 0;  // guarded by partition_mutex_
};

}  // namespace infralogs::storage

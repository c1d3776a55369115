#pragma once
// MariaDbLogReader: LogReader over the MariaDB C client, for the replica (read-only account).
// Prepared statements only; every overview query reads the hourly rollups, never entries.

#include <memory>

#include "infralogs/secrets/credential_source.h"
#include "infralogs/storage/log_reader.h"
#include "infralogs/storage/mariadb_log_store.h"

namespace infralogs::storage {

class ConnectionPool;

class MariaDbLogReader : public LogReader {
 public:
  MariaDbLogReader(MariaDbOptions options, secrets::CredentialSource& credentials);
  ~MariaDbLogReader() override;

  Status ping() override;
  Result<std::optional<uint64_t>> newest_hour_usec() override;
  Result<std::vector<PriorityHour>> volume_by_priority(
      const TimeWindow& w, const std::optional<std::string>& host) override;
  Result<std::vector<HostUnitHour>> host_unit_hours(
      const TimeWindow& w, const std::optional<std::string>& host) override;
  Result<std::vector<NameCount>> top_identifiers(const TimeWindow& w,
                                                 const std::optional<std::string>& host,
                                                 size_t limit) override;
  Result<std::vector<HostInfo>> hosts(const TimeWindow& w) override;
  Result<std::vector<GapInfo>> gaps(const TimeWindow& w,
                                    const std::optional<std::string>& host) override;
  Result<std::optional<uint64_t>> heartbeat_usec() override;
  Result<SearchPage> search(const SearchQuery& q) override;
  Result<std::optional<EntryDetail>> entry(const SearchKey& key) override;

 private:
  MariaDbOptions options_;
  std::unique_ptr<ConnectionPool> pool_;
};

}  // namespace infralogs::storage

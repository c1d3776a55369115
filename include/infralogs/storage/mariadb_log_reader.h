#pragma once
// MariaDbLogReader: LogReader over the MariaDB C client, for the replica (a read-only account
// is enough). Prepared statements only; every overview question reads the hourly rollups, never
// entries.
//
// Connections come from a small pool and are made on first need: constructing the reader does
// not connect. A pooled connection found dead (server restart, wait_timeout) is dropped with the
// idle ones, and the question is asked once more on a new connection made with the credential
// source's current credentials. The MariaDB client library is initialised on the first
// connection (once per process, thread-safe): callers need no mysql_library_init.
//
// Thread-safety: thread-safe (LogReader's contract). Not copyable.
// Lifetime: `credentials` must outlive the reader.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "infralogs/secrets/credential_source.h"
#include "infralogs/storage/log_reader.h"
#include "infralogs/storage/mariadb_options.h"

namespace infralogs::storage {

class Connection;  // src/storage/mariadb_connection.h
class OutageLog;   // src/storage/mariadb_connection.h
template <typename Conn>
class Pool;  // src/storage/connection_pool.h

// What only the reader uses.
struct MariaDbReaderOptions {
  // Rows (entries and hosts) a search without host or unit may examine walking the time index
  // newest first, before it reads the whole window instead (serve --search-walk-rows).
  size_t search_walk_rows = 30000;
  // Milliseconds a search may spend reading before it answers with what it has found so far
  // (SearchPage::searched_from_usec), so that no search reads a whole day at once (serve
  // --search-budget-ms). The time slice running at the deadline is finished first, and each
  // slice is sized to take about half of the time left. 0: one slice per request.
  unsigned search_budget_ms = 200;
  // The first time slice's span in µs; later ones adapt (next_slice_usec in search_sql.h).
  uint64_t search_first_slice_usec = 60000000;
};

class MariaDbLogReader : public LogReader, public secrets::RotationListener {
 public:
  MariaDbLogReader(MariaDbConnectionOptions connection, secrets::CredentialSource& credentials,
                   MariaDbReaderOptions options = {});
  ~MariaDbLogReader() override;
  MariaDbLogReader(const MariaDbLogReader&) = delete;
  MariaDbLogReader& operator=(const MariaDbLogReader&) = delete;

  // LogReader.
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
  // Without a host or unit, first walks the time index newest first, examining at most
  // search_walk_rows rows. When that runs out before the page is full (or with a host or
  // unit), reads the window in time slices newest first with the planner's plan, until the page
  // is full, the window ends or search_budget_ms has passed: then the page has every match down
  // to searched_from_usec and `next` goes on from there. Same rows either way, page by page.
  Result<SearchPage> search(const SearchQuery& q) override;
  Result<std::optional<EntryDetail>> entry(const SearchKey& key) override;
  Result<ReplicaProgress> progress() override;
  // With the hosts' positions as one OR of (host_id, realtime) ranges on ix_entries_host_time;
  // `from` longer than 100 hosts is read 100 at a time.
  Result<std::vector<SearchRow>> entries_after(const std::vector<HostPosition>& from, size_t limit,
                                               size_t message_bytes) override;
  // Three indexed reads: the entry by its primary key, then each side walking
  // (host_id, realtime_us), or (unit, realtime_us) with a unit, from q.at (context_sql.h).
  Result<ContextPage> context(const ContextQuery& q) override;
  Result<CredentialStatus> credentials() override;
  Result<std::vector<CredentialReport>> credential_reports() override;
  Result<std::vector<CredentialEvent>> credential_events(const TimeWindow& w) override;

  // RotationListener (credential_source.h), for the source's refresh thread.
  // verify: opens one connection to the replica with `candidate` and runs SELECT 1.
  // Access denied is kUnavailable here: a user made on the primary reaches the replica only
  // through replication, so the source asks again later.
  // switched: new connections use generation `generation`; idle older ones are closed now,
  // leased ones when returned; returns once none is in use, or at `deadline` after logging how
  // many still were.
  Status verify(const Credentials& candidate) override;
  void switched(uint64_t generation, std::chrono::steady_clock::time_point deadline) override;

 private:
  const MariaDbConnectionOptions connection_;
  secrets::CredentialSource& credentials_;
  const MariaDbReaderOptions options_;
  std::unique_ptr<Pool<Connection>> pool_;
  std::unique_ptr<OutageLog> outage_;  // logs when the replica stops and starts answering
};

}  // namespace infralogs::storage

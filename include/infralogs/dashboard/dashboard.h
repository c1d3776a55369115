#pragma once
// Dashboard: answers the API of docs/dashboard-api.md as JSON, from a LogReader (the replica).
// It owns no state but its options; thread-safe as the reader is. Not copyable; the reader must
// outlive it. Errors of the reader are returned as they are.

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "infralogs/core/status.h"
#include "infralogs/dashboard/anomalies.h"
#include "infralogs/dashboard/credentials.h"
#include "infralogs/storage/log_reader.h"

namespace infralogs::dashboard {

struct DashboardOptions {
  std::chrono::seconds stale_after{15 * 60};  // heartbeat or host poll older than this is stale
  size_t top_n = 10;
  AnomalyOptions anomalies;
  std::function<uint64_t()> now_usec;  // the clock; defaults to the system clock
  // When credentials() warns; its report_stale_after is replaced by stale_after.
  CredentialWarningOptions credential_warnings;
};

// A value for JSON: the text when it is printable UTF-8 (newlines and tabs allowed), else
// {"bytes": [...]}.
nlohmann::json text_or_bytes(const std::string& value);

class Dashboard {
 public:
  Dashboard(storage::LogReader& reader, DashboardOptions options);
  Dashboard(const Dashboard&) = delete;
  Dashboard& operator=(const Dashboard&) = delete;

  // The window from optional from/to (µs); without them, the 24 hours ending at the end of the
  // newest hour with data (or now, when there is none). kInvalidArgument when from >= to.
  Result<storage::TimeWindow> window(std::optional<uint64_t> from, std::optional<uint64_t> to,
                                     bool* is_default);

  // Totals, the volume chart (one bucket per hour of the window), the host heatmap, the top
  // units and identifiers (top_n each) and up to 50 anomalies, for one host or all.
  Result<nlohmann::json> overview(const storage::TimeWindow& w,
                                  const std::optional<std::string>& host);
  // Every host with its counts in the window, lag and staleness (stale_after).
  Result<nlohmann::json> hosts(const storage::TimeWindow& w);
  // The collector heartbeat's age and staleness, and how far behind live the replica is
  // (last_write_age_s, newest_entry_age_s: LogReader::progress() on the replica's clock; null
  // when unknown). Never fails: a replica that does not answer is reported in the JSON.
  nlohmann::json freshness();
  // The gaps in the window, newest first (at most the reader's 1000).
  Result<nlohmann::json> gaps(const storage::TimeWindow& w, const std::optional<std::string>& host);
  // One page of the reader's search, with `next` as the text of its SearchKey.
  Result<nlohmann::json> search(const storage::SearchQuery& q);
  // kNotFound when there is no such entry.
  Result<nlohmann::json> entry(const storage::SearchKey& key);
  // /api/context: the reader's context of q as {"host", "anchor", "entries" (journal order,
  // search's row form), "older", "newer"}. "anchor" is q.at's id with q.include_at, else null;
  // "older"/"newer" are the positions to page on from (null when there is nothing more that
  // way, or the side was not read). "host" is the entries' host (null when there are none).
  // kNotFound when q.include_at and q.at is not stored.
  Result<nlohmann::json> context(const storage::ContextQuery& q);
  // The Credentials panel (docs/dashboard-api.md): `modes`, serve's own reader live first, then
  // each mode's last report (stale after stale_after); rotate-creds' `events` in the window,
  // newest first, with the counts of `rotations` and `failures` among them; and `warnings`.
  // Never fails: a part the replica cannot give is left out with a "database" warning.
  nlohmann::json credentials(const storage::TimeWindow& w);

  // The dashboard's clock (options.now_usec, else the system clock), µs since the epoch: what
  // a relative from/to ("now-24h") counts back from, as the default window does.
  uint64_t now() const;

 private:
  storage::LogReader& reader_;
  DashboardOptions options_;
};

}  // namespace infralogs::dashboard

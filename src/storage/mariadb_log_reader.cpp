#include "infralogs/storage/mariadb_log_reader.h"

#include <mysqld_error.h>

#include <algorithm>
#include <chrono>
#include <tuple>

#include "context_sql.h"
#include "mariadb_connection.h"
#include "search_sql.h"

namespace infralogs::storage {
namespace {

uint64_t seconds_floor(uint64_t usec) { return usec / 1000000; }
uint64_t seconds_ceil(uint64_t usec) { return (usec + 999999) / 1000000; }

// The rollup window: two parameters in seconds for `hour_start` comparisons.
SqlBuilder& hours(SqlBuilder& b, const TimeWindow& w) {
  return b.u64(seconds_floor(w.from_usec)).u64(seconds_ceil(w.to_usec));
}

constexpr const char* kHourRange =
    " hour_start >= FROM_UNIXTIME(?) AND hour_start < FROM_UNIXTIME(?) ";
constexpr const char* kHostFilter = " AND host_id = (SELECT host_id FROM hosts WHERE name = ?) ";

// Runs a query on a pooled connection. A pooled connection can have died while idle (server
// restart, wait_timeout): then the query is tried once more on a new connection.
// With `warnings`, also how many warnings the statement gave.
// Every outcome goes to `outage`. A frozen replica costs read_timeout on the pooled connection
// and connect_timeout on the new one.
// With `error_number`, the server's error number when the query failed (0 otherwise).
Result<std::vector<Row>> run_query(ConnectionPool& pool, OutageLog& outage, const std::string& sql,
                                   Params& p, unsigned int* warnings = nullptr,
                                   unsigned int* error_number = nullptr) {
  for (int attempt = 0;; ++attempt) {
    auto lease = pool.lease();
    if (!lease) {
      outage.record(lease.status());
      return lease.status();
    }
    Connection& conn = **lease;
    std::vector<Row> rows;
    Status s = conn.select_rows(sql, p, &rows);
    if (warnings) *warnings = s.is_ok() ? conn.warning_count() : 0;
    if (error_number) *error_number = s.is_ok() ? 0 : conn.last_errno();
    if (s.is_ok() || !conn.broken() || attempt == 1) outage.record(s);
    if (s.is_ok()) return rows;
    if (!conn.broken() || attempt == 1) return s;
  }
}

// Runs a query and maps each row with map(RowReader&) -> T; kCorruption (naming `what`) when a
// row does not parse.
template <typename T, typename Map>
Result<std::vector<T>> query_rows(ConnectionPool& pool, OutageLog& outage, const char* what,
                                  SqlBuilder& b, Map map) {
  auto rows = run_query(pool, outage, b.text(), b.params());
  if (!rows) return rows.status();
  std::vector<T> out;
  out.reserve(rows->size());
  for (const Row& row : *rows) {
    RowReader r(row, what);
    T v = map(r);
    if (!r.status().is_ok()) return r.status();
    out.push_back(std::move(v));
  }
  return out;
}

// The one row of a query that returns at most one; nullopt when it returned none.
template <typename T, typename Map>
Result<std::optional<T>> query_one(ConnectionPool& pool, OutageLog& outage, const char* what,
                                   SqlBuilder& b, Map map) {
  auto rows = query_rows<T>(pool, outage, what, b, map);
  if (!rows) return rows.status();
  if (rows->empty()) return std::optional<T>();
  return std::optional<T>(std::move(rows->front()));
}

// `sql` as the server stops it after `ms` milliseconds, with ER_STATEMENT_TIMEOUT.
std::string with_time_limit(double ms, const std::string& sql) {
  return "SET STATEMENT max_statement_time = " + std::to_string(ms / 1000) + " FOR " + sql;
}

}  // namespace

MariaDbLogReader::MariaDbLogReader(MariaDbConnectionOptions connection,
                                   secrets::CredentialSource& credentials,
                                   MariaDbReaderOptions options)
    : connection_(std::move(connection)),
      credentials_(credentials),
      options_(options),
      pool_(std::make_unique<ConnectionPool>(
          credentials, [this](const Credentials& c) { return connect_mariadb(connection_, c); })),
      outage_(std::make_unique<OutageLog>("replica", connection_)) {}

MariaDbLogReader::~MariaDbLogReader() = default;

Status MariaDbLogReader::verify(const Credentials& candidate) {
  return verify_login(connection_, candidate, /*replica=*/true);
}

void MariaDbLogReader::switched(uint64_t generation,
                                std::chrono::steady_clock::time_point deadline) {
  switch_pool(*pool_, generation, deadline, "reader");
}

Result<CredentialStatus> MariaDbLogReader::credentials() {
  return pool_status(*pool_, credentials_);
}

Status MariaDbLogReader::ping() {
  Params p;
  return run_query(*pool_, *outage_, "SELECT 1", p).status();
}

Result<std::optional<uint64_t>> MariaDbLogReader::newest_hour_usec() {
  SqlBuilder b("SELECT UNIX_TIMESTAMP(MAX(hour_start)) FROM rollups_hourly");
  auto rows = query_rows<std::optional<uint64_t>>(*pool_, *outage_, "newest hour", b,
                                                  [](RowReader& r) { return r.opt_u64(0); });
  if (!rows) return rows.status();
  if (rows->empty() || !rows->front()) return std::optional<uint64_t>();  // MAX of no rows: NULL
  return std::optional<uint64_t>(*rows->front() * 1000000);
}

Result<std::vector<PriorityHour>> MariaDbLogReader::volume_by_priority(
    const TimeWindow& w, const std::optional<std::string>& host) {
  SqlBuilder b(
      "SELECT UNIX_TIMESTAMP(hour_start), priority, SUM(entries) FROM rollups_hourly WHERE");
  hours(b.sql(kHourRange), w);
  if (host) b.sql(kHostFilter).str(*host);
  b.sql("GROUP BY hour_start, priority ORDER BY hour_start");
  return query_rows<PriorityHour>(*pool_, *outage_, "volume by priority", b, [](RowReader& r) {
    return PriorityHour{r.u64(0) * 1000000, static_cast<int>(r.u64(1)), r.u64(2)};
  });
}

Result<std::vector<HostUnitHour>> MariaDbLogReader::host_unit_hours(
    const TimeWindow& w, const std::optional<std::string>& host) {
  SqlBuilder b(
      "SELECT UNIX_TIMESTAMP(r.hour_start), h.name, r.unit, SUM(r.entries), "
      "SUM(IF(r.priority <= 3, r.entries, 0)) FROM rollups_hourly r JOIN hosts h USING (host_id) "
      "WHERE r.hour_start >= FROM_UNIXTIME(?) AND r.hour_start < FROM_UNIXTIME(?) ");
  hours(b, w);
  if (host) b.sql(" AND h.name = ? ").str(*host);
  b.sql("GROUP BY r.hour_start, r.host_id, r.unit");
  return query_rows<HostUnitHour>(*pool_, *outage_, "host unit hours", b, [](RowReader& r) {
    return HostUnitHour{r.u64(0) * 1000000, r.text(1), r.text(2), r.u64(3), r.u64(4)};
  });
}

Result<std::vector<NameCount>> MariaDbLogReader::top_identifiers(
    const TimeWindow& w, const std::optional<std::string>& host, size_t limit) {
  SqlBuilder b(
      "SELECT identifier, SUM(entries) AS n, SUM(IF(priority <= 3, entries, 0)) AS errors "
      "FROM rollups_identifier_hourly WHERE");
  hours(b.sql(kHourRange), w);
  if (host) b.sql(kHostFilter).str(*host);
  b.sql("GROUP BY identifier ORDER BY errors DESC, n DESC LIMIT ?").u64(limit);
  return query_rows<NameCount>(*pool_, *outage_, "top identifiers", b, [](RowReader& r) {
    return NameCount{r.text(0), r.u64(1), r.u64(2)};
  });
}

Result<std::vector<HostInfo>> MariaDbLogReader::hosts(const TimeWindow& w) {
  SqlBuilder b(
      "SELECT h.name, h.labels, c.realtime_us, CAST(UNIX_TIMESTAMP(COALESCE(c.polled_at, "
      "c.updated_at)) * 1000000 AS UNSIGNED), ");
  b.sql(
      "(SELECT COALESCE(SUM(entries), 0) FROM rollups_hourly r WHERE r.host_id = h.host_id AND "
      "r.hour_start >= FROM_UNIXTIME(?) "
      "AND r.hour_start < FROM_UNIXTIME(?)), ");
  hours(b, w);
  b.sql(
      "(SELECT COALESCE(SUM(entries), 0) FROM rollups_hourly r WHERE r.host_id = h.host_id AND "
      "r.priority <= 3 AND "
      "r.hour_start >= FROM_UNIXTIME(?) AND r.hour_start < FROM_UNIXTIME(?)), c.entries "
      "FROM hosts h LEFT JOIN checkpoints c USING (host_id) ORDER BY h.name");
  hours(b, w);
  return query_rows<HostInfo>(*pool_, *outage_, "hosts", b, [](RowReader& r) {
    HostInfo h{r.text(0), r.is_null(1) ? "{}" : r.text(1), std::nullopt, std::nullopt, r.u64(4),
               r.u64(5)};
    // A host whose checkpoint holds no entries yet has no last entry (realtime_us is 0 then).
    std::optional<uint64_t> stored = r.opt_u64(6);
    if (stored && *stored > 0) h.last_entry_usec = r.opt_u64(2);
    h.last_collected_usec = r.opt_u64(3);
    return h;
  });
}

Result<std::vector<GapInfo>> MariaDbLogReader::gaps(const TimeWindow& w,
                                                    const std::optional<std::string>& host) {
  SqlBuilder b(
      "SELECT h.name, g.last_cursor, g.first_cursor, g.first_realtime_us, g.reason, "
      "CAST(UNIX_TIMESTAMP(g.detected_at) * 1000000 AS UNSIGNED) FROM gaps g JOIN hosts h USING "
      "(host_id) "
      "WHERE g.first_realtime_us >= ? AND g.first_realtime_us < ? ");
  b.u64(w.from_usec).u64(w.to_usec);
  if (host) b.sql("AND h.name = ? ").str(*host);
  b.sql("ORDER BY g.first_realtime_us DESC LIMIT 1000");
  return query_rows<GapInfo>(*pool_, *outage_, "gaps", b, [](RowReader& r) {
    return GapInfo{r.text(0), r.text(1), r.text(2), r.u64(3), r.text(4), r.u64(5)};
  });
}

Result<std::optional<uint64_t>> MariaDbLogReader::heartbeat_usec() {
  SqlBuilder b("SELECT CAST(UNIX_TIMESTAMP(ts) * 1000000 AS UNSIGNED) FROM heartbeat WHERE id = 1");
  return query_one<uint64_t>(*pool_, *outage_, "heartbeat", b,
                             [](RowReader& r) { return r.u64(0); });
}

Result<std::vector<CredentialReport>> MariaDbLogReader::credential_reports() {
  SqlBuilder b(
      "SELECT mode, name, role, source, location, username, obtained_us, expires_us, "
      "last_switch_us, switches, failures, last_error, reachable, "
      "CAST(UNIX_TIMESTAMP(reported_at) * 1000000 AS UNSIGNED) FROM credential_reports "
      "ORDER BY mode, name");
  return query_rows<CredentialReport>(*pool_, *outage_, "credential_reports", b, [](RowReader& r) {
    CredentialReport c;
    c.mode = r.text(0);
    c.name = r.text(1);
    c.role = r.text(2);
    c.source = r.text(3);
    c.location = r.text(4);
    c.username = r.text(5);
    c.obtained_usec = r.opt_u64(6);
    c.expires_usec = r.opt_u64(7);
    c.last_switch_usec = r.opt_u64(8);
    c.switches = r.u64(9);
    c.failures = r.u64(10);
    c.last_error = r.text(11);
    c.source_reachable = r.u64(12) != 0;
    c.reported_usec = r.u64(13);
    return c;
  });
}

Result<std::vector<CredentialEvent>> MariaDbLogReader::credential_events(const TimeWindow& w) {
  SqlBuilder b(
      "SELECT CAST(UNIX_TIMESTAMP(ts) * 1000000 AS UNSIGNED), mode, action, path, username, "
      "result FROM credential_events WHERE ts >= FROM_UNIXTIME(? / 1000000) AND "
      "ts < FROM_UNIXTIME(? / 1000000) ORDER BY ts DESC, event_id DESC LIMIT 1000");
  b.u64(w.from_usec).u64(w.to_usec);
  return query_rows<CredentialEvent>(*pool_, *outage_, "credential_events", b, [](RowReader& r) {
    return CredentialEvent{r.u64(0), r.text(1), r.text(2), r.text(3), r.text(4), r.text(5)};
  });
}

Result<ReplicaProgress> MariaDbLogReader::progress() {
  ReplicaProgress out;
  SqlBuilder b(
      "SELECT c.host_id, h.name, c.entries, c.realtime_us FROM checkpoints c JOIN hosts h "
      "USING (host_id) ORDER BY c.host_id");
  auto hosts = query_rows<HostProgress>(*pool_, *outage_, "progress", b, [](RowReader& r) {
    return HostProgress{static_cast<uint32_t>(r.u64(0)), r.text(1), r.u64(2), r.u64(3)};
  });
  if (!hosts) return hosts.status();
  out.hosts = std::move(*hosts);
  // The replica's own clock, so that ages do not depend on serve's; updated_at is the
  // primary's NOW(6) of the host's last commit, replicated as written.
  SqlBuilder c(
      "SELECT CAST(UNIX_TIMESTAMP(NOW(6)) * 1000000 AS UNSIGNED), "
      "CAST(UNIX_TIMESTAMP(MAX(updated_at)) * 1000000 AS UNSIGNED) FROM checkpoints");
  auto clock = query_one<std::pair<uint64_t, std::optional<uint64_t>>>(
      *pool_, *outage_, "progress clock", c, [](RowReader& r) {
        return std::pair{r.u64(0), r.opt_u64(1)};
      });
  if (!clock) return clock.status();
  if (*clock) {
    out.now_usec = (*clock)->first;
    out.last_write_usec = (*clock)->second;
  }
  return out;
}

Result<std::vector<SearchRow>> MariaDbLogReader::entries_after(
    const std::vector<HostPosition>& from, size_t limit, size_t message_bytes) {
  if (limit == 0) return Status::invalid_argument("entries_after: the limit must be at least 1");
  // Sorted by host so that chunks of hosts give rows in the promised order.
  std::vector<HostPosition> sorted = from;
  std::sort(sorted.begin(), sorted.end(),
            [](const auto& a, const auto& b) { return a.host_id < b.host_id; });
  constexpr size_t kHostsPerStatement = 100;
  std::vector<SearchRow> out;
  for (size_t start = 0; start < sorted.size() && out.size() < limit; start += kHostsPerStatement) {
    size_t end = std::min(sorted.size(), start + kHostsPerStatement);
    SqlBuilder b(
        "SELECT e.realtime_us, e.host_id, e.seqnum_id, e.seqnum, h.name, e.priority, e.unit, "
        "e.identifier, e.pid, SUBSTRING(e.message, 1, ?) FROM entries e JOIN hosts h "
        "USING (host_id) WHERE ");
    b.u64(message_bytes);
    // realtime >= (not >) so that an entry at the same microsecond as the position but later
    // in seqnum order is read; the ones at or before the position are dropped below.
    for (size_t i = start; i < end; ++i) {
      b.sql(i == start ? "(e.host_id = ? AND e.realtime_us >= ?)"
                       : " OR (e.host_id = ? AND e.realtime_us >= ?)")
          .u64(sorted[i].host_id)
          .u64(sorted[i].realtime_usec);
    }
    b.sql(" ORDER BY e.host_id, e.realtime_us, e.seqnum_id, e.seqnum LIMIT ?");
    // The rows at the positions themselves come back too: ask for enough to skip them.
    b.u64(limit - out.size() + (end - start));
    auto rows = query_rows<SearchRow>(*pool_, *outage_, "entries after", b, [](RowReader& r) {
      SearchRow row;
      row.key = {r.u64(0), static_cast<uint32_t>(r.u64(1)), r.text(2), r.u64(3)};
      row.host = r.text(4);
      if (auto p = r.opt_u64(5)) row.priority = static_cast<int>(*p);
      row.unit = r.opt_text(6);
      row.identifier = r.opt_text(7);
      if (auto pid = r.opt_u64(8)) row.pid = static_cast<uint32_t>(*pid);
      row.message = r.opt_text(9);
      return row;
    });
    if (!rows) return rows.status();
    size_t pos = start;
    for (SearchRow& row : *rows) {
      while (pos < end && sorted[pos].host_id < row.key.host_id) ++pos;
      if (pos < end && sorted[pos].host_id == row.key.host_id) {
        const HostPosition& p = sorted[pos];
        if (std::tie(row.key.realtime_usec, row.key.seqnum_id, row.key.seqnum) <=
            std::tie(p.realtime_usec, p.seqnum_id, p.seqnum))
          continue;
      }
      if (out.size() == limit) break;
      out.push_back(std::move(row));
    }
  }
  return out;
}

Result<SearchPage> MariaDbLogReader::search(const SearchQuery& q) {
  if (q.limit == 0) return Status::invalid_argument("search: the limit must be at least 1");
  using Clock = std::chrono::steady_clock;
  auto ms_since = [](Clock::time_point t) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
  };
  const Clock::time_point start = Clock::now();
  const double budget_ms = options_.search_budget_ms;
  // A time walk that runs out of its budget (rare or absent matches: a warning and a short
  // page) is not the answer; the slices below are.
  if (first_plan(q) == SearchPlan::kTimeWalk) {
    SqlBuilder b = search_statement(q, SearchPlan::kTimeWalk, options_.search_walk_rows);
    // Cold pages make even the capped walk slow: the server stops it at a third of the budget,
    // leaving the rest to the slices.
    const double limit_ms = walk_limit_ms(options_.search_budget_ms);
    std::string sql = with_time_limit(limit_ms, b.text());
    unsigned int warnings = 0, error = 0;
    auto rows = run_query(*pool_, *outage_, sql, b.params(), &warnings, &error);
    if (!rows && error != ER_STATEMENT_TIMEOUT) return rows.status();
    // Measured here, the walk's time includes the server's: under the limit, it cannot have
    // expired.
    if (rows && walk_answered(rows->size(), warnings, q.limit, ms_since(start) < limit_ms))
      return search_page(*rows, q.limit);
  }
  // Slices [from, end) newest first. A slice's rows all come before the next slice's in the
  // page's order, so appending them keeps it; each asks only for the rows still missing.
  uint64_t end = search_end_usec(q);
  const uint64_t first_end = end;
  std::vector<Row> rows;
  const uint64_t default_span = std::max<uint64_t>(options_.search_first_slice_usec, 1);
  // A page that continues a partial one starts with the span its predecessor handed on.
  uint64_t span = carried_slice_usec(q.after).value_or(default_span);
  // The page's partial answer: the rows of the slices down to `from`, and where to go on.
  auto partial = [&](uint64_t from, uint64_t carry) -> Result<SearchPage> {
    auto page = search_page(rows, q.limit);
    if (!page) return page;
    page->next = resume_key(from, carry);
    page->searched_from_usec = from;
    return page;
  };
  SearchQuery slice = q;
  while (true) {
    uint64_t from = end > q.window.from_usec ? end - std::min(span, end - q.window.from_usec)
                                             : q.window.from_usec;
    slice.window = {from, end};
    slice.limit = q.limit - rows.size();  // the statement asks for one more
    Clock::time_point t = Clock::now();
    SqlBuilder b = search_statement(slice, SearchPlan::kSlice, options_.search_walk_rows);
    // Past the first slice, the server stops a slice at the deadline: a slice of cold pages
    // can take ten times its predecessor. The first slice always runs when it is of the
    // default span, so that every page makes progress; a larger (carried) one is stopped at
    // the whole budget and hands on a quarter of its span.
    std::string sql = b.text();
    double left_now = budget_ms - ms_since(start);
    bool first = end == first_end;
    bool capped = budget_ms > 0 && (!first || span > default_span);
    if (capped) sql = with_time_limit(std::max(left_now, 1.0), sql);
    unsigned int error = 0;
    auto got = run_query(*pool_, *outage_, sql, b.params(), nullptr, &error);
    if (!got && capped && error == ER_STATEMENT_TIMEOUT) {
      // The slices before this one are complete: answer with them.
      return partial(end, first ? std::max(span / 4, default_span)
                                : carried_slice_usec(span, ms_since(t), options_.search_budget_ms));
    }
    if (!got) return got.status();
    for (auto& r : *got) rows.push_back(std::move(r));
    if (rows.size() > q.limit || from <= q.window.from_usec) return search_page(rows, q.limit);
    double took = ms_since(t), left = budget_ms - ms_since(start);
    if (left <= 0) return partial(from, carried_slice_usec(span, took, options_.search_budget_ms));
    span = next_slice_usec(span, took, left);
    end = from;
  }
}

Result<std::optional<EntryDetail>> MariaDbLogReader::entry(const SearchKey& key) {
  SqlBuilder b(
      "SELECT h.name, e.realtime_us, e.fields, e.message FROM entries e JOIN hosts h "
      "USING (host_id) "
      "WHERE e.host_id = ? AND e.seqnum_id = ? AND e.seqnum = ? AND e.realtime_us = ?");
  b.u64(key.host_id).str(key.seqnum_id).u64(key.seqnum).u64(key.realtime_usec);
  return query_one<EntryDetail>(*pool_, *outage_, "entry", b, [](RowReader& r) {
    return EntryDetail{r.text(0), r.u64(1), r.text(2), r.opt_text(3)};
  });
}

Result<ContextPage> MariaDbLogReader::context(const ContextQuery& q) {
  return read_context(
      q, [this](SqlBuilder& b) { return run_query(*pool_, *outage_, b.text(), b.params()); });
}

}  // namespace infralogs::storage

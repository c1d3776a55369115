#include "infralogs/storage/mariadb_log_reader.h"

#include <charconv>

#include "mariadb_connection.h"

namespace infralogs::storage {
namespace {

using Rows = std::vector<std::vector<std::string>>;
using Nulls = std::vector<std::vector<bool>>;

uint64_t to_u64(const std::string& s) {
  uint64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

uint64_t seconds_floor(uint64_t usec) { return usec / 1000000; }
uint64_t seconds_ceil(uint64_t usec) { return (usec + 999999) / 1000000; }

// The window as two bound parameters in seconds, for `hour_start` comparisons.
void bind_hours(Params& p, const TimeWindow& w) {
  p.u64(seconds_floor(w.from_usec));
  p.u64(seconds_ceil(w.to_usec));
}

constexpr const char* kHourRange =
    " hour_start >= FROM_UNIXTIME(?) AND hour_start < FROM_UNIXTIME(?) ";
constexpr const char* kHostFilter = " AND host_id = (SELECT host_id FROM hosts WHERE name = ?) ";

std::string hex(const std::string& bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

std::optional<std::string> opt(const std::vector<std::string>& row, const std::vector<bool>& nulls,
                               size_t i) {
  if (nulls[i]) return std::nullopt;
  return row[i];
}

}  // namespace

std::string SearchKey::to_string() const {
  return std::to_string(realtime_usec) + "-" + std::to_string(host_id) + "-" + hex(seqnum_id) +
         "-" + std::to_string(seqnum);
}

std::optional<SearchKey> SearchKey::parse(const std::string& text) {
  SearchKey k;
  size_t a = text.find('-'), b = a == std::string::npos ? a : text.find('-', a + 1),
         c = b == std::string::npos ? b : text.find('-', b + 1);
  if (c == std::string::npos) return std::nullopt;
  auto num = [&](size_t from, size_t to, uint64_t* v) {
    if (from >= to) return false;
    auto [p, ec] = std::from_chars(text.data() + from, text.data() + to, *v);
    return ec == std::errc() && p == text.data() + to;
  };
  uint64_t host = 0;
  if (!num(0, a, &k.realtime_usec) || !num(a + 1, b, &host) || host > UINT32_MAX ||
      !num(c + 1, text.size(), &k.seqnum)) {
    return std::nullopt;
  }
  k.host_id = static_cast<uint32_t>(host);
  std::string h = text.substr(b + 1, c - b - 1);
  if (h.size() != 32) return std::nullopt;
  for (size_t i = 0; i < 32; i += 2) {
    unsigned v = 0;
    auto [p, ec] = std::from_chars(h.data() + i, h.data() + i + 2, v, 16);
    if (ec != std::errc() || p != h.data() + i + 2) return std::nullopt;
    k.seqnum_id.push_back(static_cast<char>(v));
  }
  return k;
}

MariaDbLogReader::MariaDbLogReader(MariaDbOptions options, secrets::CredentialSource& credentials)
    : options_(std::move(options)),
      pool_(std::make_unique<ConnectionPool>(options_, credentials)) {}

MariaDbLogReader::~MariaDbLogReader() = default;

namespace {

// Runs a query on a pooled connection. A pooled connection can have died while idle (server
// restart, wait_timeout): then the query is tried once more on a new connection.
// With `warnings`, also how many warnings the statement gave.
Status run_query(ConnectionPool& pool, const std::string& sql, Params& p, Rows* rows,
                 Nulls* nulls = nullptr, unsigned int* warnings = nullptr) {
  for (int attempt = 0;; ++attempt) {
    auto c = pool.acquire();
    if (!c) return c.status();
    Status s = (*c)->select_rows(sql, p, rows, nulls);
    if (warnings) *warnings = s.is_ok() ? mysql_warning_count((*c)->m) : 0;
    bool broken = (*c)->broken;
    pool.release(std::move(*c));
    if (!broken || attempt == 1) return s;
  }
}

}  // namespace

Status MariaDbLogReader::ping() {
  Params p;
  Rows rows;
  return run_query(*pool_, "SELECT 1", p, &rows);
}

Result<std::optional<uint64_t>> MariaDbLogReader::newest_hour_usec() {
  Params p;
  Rows rows;
  Nulls nulls;
  Status s = run_query(*pool_, "SELECT UNIX_TIMESTAMP(MAX(hour_start)) FROM rollups_hourly", p,
                       &rows, &nulls);
  if (!s.is_ok()) return s;
  if (rows.empty() || nulls[0][0]) return std::optional<uint64_t>();
  return std::optional<uint64_t>(to_u64(rows[0][0]) * 1000000);
}

Result<std::vector<PriorityHour>> MariaDbLogReader::volume_by_priority(
    const TimeWindow& w, const std::optional<std::string>& host) {
  Params p;
  bind_hours(p, w);
  std::string sql =
      std::string(
          "SELECT UNIX_TIMESTAMP(hour_start), priority, SUM(entries) FROM rollups_hourly WHERE") +
      kHourRange;
  if (host) {
    sql += kHostFilter;
    p.str(*host);
  }
  sql += "GROUP BY hour_start, priority ORDER BY hour_start";
  Rows rows;
  Status s = run_query(*pool_, sql, p, &rows);
  if (!s.is_ok()) return s;
  std::vector<PriorityHour> out;
  for (const auto& r : rows)
    out.push_back({to_u64(r[0]) * 1000000, static_cast<int>(to_u64(r[1])), to_u64(r[2])});
  return out;
}

Result<std::vector<HostUnitHour>> MariaDbLogReader::host_unit_hours(
    const TimeWindow& w, const std::optional<std::string>& host) {
  Params p;
  bind_hours(p, w);
  std::string sql =
      "SELECT UNIX_TIMESTAMP(r.hour_start), h.name, r.unit, SUM(r.entries), "
      "SUM(IF(r.priority <= 3, r.entries, 0)) FROM rollups_hourly r JOIN hosts h USING (host_id) "
      "WHERE r.hour_start >= FROM_UNIXTIME(?) AND r.hour_start < FROM_UNIXTIME(?) ";
  if (host) {
    sql += " AND h.name = ? ";
    p.str(*host);
  }
  sql += "GROUP BY r.hour_start, r.host_id, r.unit";
  Rows rows;
  Status s = run_query(*pool_, sql, p, &rows);
  if (!s.is_ok()) return s;
  std::vector<HostUnitHour> out;
  for (const auto& r : rows)
    out.push_back({to_u64(r[0]) * 1000000, r[1], r[2], to_u64(r[3]), to_u64(r[4])});
  return out;
}

Result<std::vector<NameCount>> MariaDbLogReader::top_identifiers(
    const TimeWindow& w, const std::optional<std::string>& host, size_t limit) {
  Params p;
  bind_hours(p, w);
  std::string sql =
      std::string(
          "SELECT identifier, SUM(entries) AS n, SUM(IF(priority <= 3, entries, 0)) AS errors "
          "FROM rollups_identifier_hourly WHERE") +
      kHourRange;
  if (host) {
    sql += kHostFilter;
    p.str(*host);
  }
  sql += "GROUP BY identifier ORDER BY errors DESC, n DESC LIMIT ?";
  p.u64(limit);
  Rows rows;
  Status s = run_query(*pool_, sql, p, &rows);
  if (!s.is_ok()) return s;
  std::vector<NameCount> out;
  for (const auto& r : rows) out.push_back({r[0], to_u64(r[1]), to_u64(r[2])});
  return out;
}

Result<std::vector<HostInfo>> MariaDbLogReader::hosts(const TimeWindow& w) {
  Params p;
  bind_hours(p, w);
  bind_hours(p, w);
  std::string sql =
      "SELECT h.name, h.labels, c.realtime_us, CAST(UNIX_TIMESTAMP(COALESCE(c.polled_at, "
      "c.updated_at)) * 1000000 AS UNSIGNED), "
      "(SELECT COALESCE(SUM(entries), 0) FROM rollups_hourly r WHERE r.host_id = h.host_id AND "
      "r.hour_start >= FROM_UNIXTIME(?) "
      "AND r.hour_start < FROM_UNIXTIME(?)), "
      "(SELECT COALESCE(SUM(entries), 0) FROM rollups_hourly r WHERE r.host_id = h.host_id AND "
      "r.priority <= 3 AND "
      "r.hour_start >= FROM_UNIXTIME(?) AND r.hour_start < FROM_UNIXTIME(?)), c.entries "
      "FROM hosts h LEFT JOIN checkpoints c USING (host_id) ORDER BY h.name";
  Rows rows;
  Nulls nulls;
  Status s = run_query(*pool_, sql, p, &rows, &nulls);
  if (!s.is_ok()) return s;
  std::vector<HostInfo> out;
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    HostInfo h{r[0],        nulls[i][1] ? "{}" : r[1], std::nullopt, std::nullopt, to_u64(r[4]),
               to_u64(r[5])};
    bool stored = !nulls[i][6] && to_u64(r[6]) > 0;
    if (stored && !nulls[i][2]) h.last_entry_usec = to_u64(r[2]);
    if (!nulls[i][3]) h.last_collected_usec = to_u64(r[3]);
    out.push_back(std::move(h));
  }
  return out;
}

Result<std::vector<GapInfo>> MariaDbLogReader::gaps(const TimeWindow& w,
                                                    const std::optional<std::string>& host) {
  Params p;
  p.u64(w.from_usec);
  p.u64(w.to_usec);
  std::string sql =
      "SELECT h.name, g.last_cursor, g.first_cursor, g.first_realtime_us, g.reason, "
      "CAST(UNIX_TIMESTAMP(g.detected_at) * 1000000 AS UNSIGNED) FROM gaps g JOIN hosts h USING "
      "(host_id) "
      "WHERE g.first_realtime_us >= ? AND g.first_realtime_us < ? ";
  if (host) {
    sql += "AND h.name = ? ";
    p.str(*host);
  }
  sql += "ORDER BY g.first_realtime_us DESC LIMIT 1000";
  Rows rows;
  Status s = run_query(*pool_, sql, p, &rows);
  if (!s.is_ok()) return s;
  std::vector<GapInfo> out;
  for (const auto& r : rows) out.push_back({r[0], r[1], r[2], to_u64(r[3]), r[4], to_u64(r[5])});
  return out;
}

Result<std::optional<uint64_t>> MariaDbLogReader::heartbeat_usec() {
  Params p;
  Rows rows;
  Status s = run_query(
      *pool_, "SELECT CAST(UNIX_TIMESTAMP(ts) * 1000000 AS UNSIGNED) FROM heartbeat WHERE id = 1",
      p, &rows);
  if (!s.is_ok()) return s;
  if (rows.empty()) return std::optional<uint64_t>();
  return std::optional<uint64_t>(to_u64(rows[0][0]));
}

Result<SearchPage> MariaDbLogReader::search(const SearchQuery& q) {
  // The fragments are fixed text; every value is a bound parameter.
  auto build = [&q, this](bool time_walk, Params& p) {
    std::string sql =
        "SELECT e.realtime_us, e.host_id, e.seqnum_id, e.seqnum, h.name, e.priority, e.unit, "
        "e.identifier, e.pid, "
        "e.message ";
    if (time_walk) {
      sql +=
          "FROM entries e FORCE INDEX (ix_entries_time) STRAIGHT_JOIN hosts h ON h.host_id = "
          "e.host_id ";
    } else {
      sql += "FROM entries e JOIN hosts h ON h.host_id = e.host_id ";
    }
    sql += "WHERE e.realtime_us >= ? AND e.realtime_us < ? ";
    p.u64(q.window.from_usec);
    uint64_t to = q.window.to_usec;
    if (q.after) to = std::min(to, q.after->realtime_usec + 1);
    p.u64(to);
    if (q.host) {
      sql += "AND e.host_id = (SELECT host_id FROM hosts WHERE name = ?) ";
      p.str(*q.host);
    }
    if (q.unit) {
      sql += "AND e.unit = ? ";
      p.str(*q.unit);
    }
    if (q.max_priority) {
      sql += "AND e.priority <= ? ";
      p.u64(static_cast<uint64_t>(*q.max_priority));
    }
    if (!q.text.empty()) {
      // LOCATE on a BLOB compares bytes: case-sensitive, and no LIKE wildcards to escape.
      sql += "AND LOCATE(?, e.message) > 0 ";
      p.str(q.text);
    }
    if (q.after) {
      sql +=
          "AND (e.realtime_us < ? OR (e.realtime_us = ? AND (e.host_id, e.seqnum_id, e.seqnum) < "
          "(?, ?, ?))) ";
      p.u64(q.after->realtime_usec);
      p.u64(q.after->realtime_usec);
      p.u64(q.after->host_id);
      p.str(q.after->seqnum_id);
      p.u64(q.after->seqnum);
    }
    if (time_walk) {
      // ix_entries_time holds (realtime_us, then the primary key), so a backward scan returns
      // exactly the full-key order; spelling that out would make MariaDB sort the whole window,
      // as it does not use a partitioned table's primary key columns in a secondary index for
      // ORDER BY. The walk gives up after search_walk_rows rows (rare or absent text).
      sql += "ORDER BY e.realtime_us DESC LIMIT ? ROWS EXAMINED " +
             std::to_string(options_.search_walk_rows);
    } else {
      sql += "ORDER BY e.realtime_us DESC, e.host_id DESC, e.seqnum_id DESC, e.seqnum DESC LIMIT ?";
    }
    p.u64(q.limit + 1);
    return sql;
  };
  Rows rows;
  Nulls nulls;
  Status s;
  // Without a host or unit, the planner would start from hosts and read each host's whole
  // window before sorting. Walking the time index newest first stops at the page's last row:
  // milliseconds when matches are common. When they are rare the walk runs out of its budget
  // (a warning and a short page), and the query runs again with the planner's whole-window plan.
  bool walked = false;
  if (!q.host && !q.unit) {
    Params p;
    unsigned int warnings = 0;
    s = run_query(*pool_, build(true, p), p, &rows, &nulls, &warnings);
    if (!s.is_ok()) return s;
    walked = warnings == 0 || rows.size() > q.limit;
  }
  if (!walked) {
    Params p;
    s = run_query(*pool_, build(false, p), p, &rows, &nulls);
    if (!s.is_ok()) return s;
  }
  SearchPage page;
  for (size_t i = 0; i < rows.size() && i < q.limit; ++i) {
    const auto& r = rows[i];
    SearchRow row;
    row.key = {to_u64(r[0]), static_cast<uint32_t>(to_u64(r[1])), r[2], to_u64(r[3])};
    row.host = r[4];
    if (!nulls[i][5]) row.priority = static_cast<int>(to_u64(r[5]));
    row.unit = opt(r, nulls[i], 6);
    row.identifier = opt(r, nulls[i], 7);
    if (!nulls[i][8]) row.pid = static_cast<uint32_t>(to_u64(r[8]));
    row.message = opt(r, nulls[i], 9);
    page.rows.push_back(std::move(row));
  }
  if (rows.size() > q.limit) page.next = page.rows.back().key;
  return page;
}

Result<std::optional<EntryDetail>> MariaDbLogReader::entry(const SearchKey& key) {
  Params p;
  p.u64(key.host_id);
  p.str(key.seqnum_id);
  p.u64(key.seqnum);
  p.u64(key.realtime_usec);
  Rows rows;
  Nulls nulls;
  Status s =
      run_query(*pool_,
                "SELECT h.name, e.realtime_us, e.fields, e.message FROM entries e JOIN hosts h "
                "USING (host_id) "
                "WHERE e.host_id = ? AND e.seqnum_id = ? AND e.seqnum = ? AND e.realtime_us = ?",
                p, &rows, &nulls);
  if (!s.is_ok()) return s;
  if (rows.empty()) return std::optional<EntryDetail>();
  EntryDetail d{rows[0][0], to_u64(rows[0][1]), rows[0][2], opt(rows[0], nulls[0], 3)};
  return std::optional<EntryDetail>(std::move(d));
}

}  // namespace infralogs::storage

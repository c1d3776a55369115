#include "infralogs/storage/mariadb_log_store.h"

#include <charconv>
#include <cstring>
#include <ctime>
#include <map>
#include <tuple>

#include "entry_insert.h"
#include "mariadb_connection.h"
#include "migrations.h"

namespace infralogs::storage {
namespace {

constexpr uint64_t kDayUsec = 86400ULL * 1000000ULL;
constexpr uint64_t kHourUsec = 3600ULL * 1000000ULL;
constexpr int kNoPriority = 255;  // rollups: PRIORITY missing or not 0..7

std::string day_name(uint64_t day) {
  std::time_t t = static_cast<std::time_t>(day * 86400);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "p%Y%m%d", &tm);
  return buf;
}

std::string hour_text(uint64_t usec) {
  std::time_t t = static_cast<std::time_t>(usec / 1000000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[24];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:00:00", &tm);
  return buf;
}

}  // namespace

Result<MariaDbOptions> parse_mysql_url(std::string_view url) {
  constexpr std::string_view kScheme = "mysql://";
  auto bad = [&](const char* why) {
    return Status::invalid_argument("--db '" + std::string(url) + "': " + why +
                                    " (want mysql://HOST:PORT/DATABASE)");
  };
  if (url.substr(0, kScheme.size()) != kScheme) return bad("not a mysql:// URL");
  std::string_view rest = url.substr(kScheme.size());
  if (rest.find('@') != std::string_view::npos) return bad("credentials do not go in the URL");
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos || slash + 1 == rest.size()) return bad("no database");
  MariaDbOptions o;
  o.database = std::string(rest.substr(slash + 1));
  if (o.database.find_first_not_of(
          "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != std::string::npos) {
    return bad("database names are letters, digits and _");
  }
  std::string_view hostport = rest.substr(0, slash);
  size_t colon = hostport.rfind(':');
  if (colon != std::string_view::npos) {
    int port = 0;
    auto [p, ec] =
        std::from_chars(hostport.data() + colon + 1, hostport.data() + hostport.size(), port);
    if (ec != std::errc() || p != hostport.data() + hostport.size() || port <= 0 || port > 65535) {
      return bad("bad port");
    }
    o.port = port;
    hostport = hostport.substr(0, colon);
  }
  if (hostport.empty()) return bad("no host");
  o.host = std::string(hostport);
  return o;
}

int schema_version() { return migrations().back().version; }

MariaDbLogStore::MariaDbLogStore(MariaDbOptions options, secrets::CredentialSource& credentials)
    : options_(std::move(options)),
      credentials_(credentials),
      pool_(std::make_unique<ConnectionPool>(options_, credentials_)) {}

MariaDbLogStore::~MariaDbLogStore() = default;

Result<std::unique_ptr<Connection>> MariaDbLogStore::acquire() { return pool_->acquire(); }

void MariaDbLogStore::release(std::unique_ptr<Connection> c) { pool_->release(std::move(c)); }

Status MariaDbLogStore::migrate() {
  auto c = acquire();
  if (!c) return c.status();
  Connection& conn = **c;
  Status s = conn.query(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version INT NOT NULL PRIMARY KEY, "
      "name VARCHAR(255) NOT NULL, applied_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)) "
      "ENGINE=InnoDB");
  if (!s.is_ok()) return s;
  // One migrator at a time; the others wait, then find nothing left to do.
  Params lock_params;
  std::vector<std::string> row;
  bool found = false;
  s = conn.select_row("SELECT GET_LOCK('infralogs.migrate', 120)", lock_params, &row, &found);
  if (!s.is_ok()) return s;
  if (!found || row[0] != "1")
    return Status::unavailable("timed out waiting for another migration");
  Params none;
  s = conn.select_row("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", none, &row,
                      &found);
  int current = s.is_ok() ? std::stoi(row[0]) : 0;
  for (const Migration& m : migrations()) {
    if (!s.is_ok() || m.version <= current) continue;
    for (const char* sql : m.statements) {
      s = conn.query(sql);
      if (!s.is_ok()) {
        s = Status(
            s.code() == StatusCode::kInternal
                ? Status::internal("migration " + std::to_string(m.version) + ": " + s.message())
                : s);
        break;
      }
    }
    if (!s.is_ok()) break;
    Params p;
    p.u64(static_cast<uint64_t>(m.version));
    p.str(m.name);
    auto r = conn.exec("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", p);
    if (!r) s = r.status();
  }
  Params unlock;
  conn.select_row("SELECT RELEASE_LOCK('infralogs.migrate')", unlock, &row, &found);
  release(std::move(*c));
  return s;
}

Status MariaDbLogStore::check_schema() {
  auto c = acquire();
  if (!c) return c.status();
  Params none;
  std::vector<std::string> row;
  bool found = false;
  Status s = (*c)->select_row("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", none, &row,
                              &found);
  release(std::move(*c));
  if (!s.is_ok()) {
    if (s.message().find("doesn't exist") != std::string::npos) {
      return Status::invalid_argument(
          "the database has no infralogs schema: run 'infralogs collect --migrate' first");
    }
    return s;
  }
  int v = std::stoi(row[0]);
  if (v < schema_version()) {
    return Status::invalid_argument("the database schema is version " + std::to_string(v) +
                                    ", this binary needs " + std::to_string(schema_version()) +
                                    ": run 'infralogs collect --migrate'");
  }
  return Status::ok();
}

Result<uint32_t> MariaDbLogStore::host_id(const std::string& name, const std::string& labels_json) {
  auto c = acquire();
  if (!c) return c.status();
  Connection& conn = **c;
  Params ins;
  ins.str(name);
  ins.str(labels_json);
  auto r = conn.exec(
      "INSERT INTO hosts (name, labels) VALUES (?, ?) ON DUPLICATE KEY UPDATE labels = "
      "VALUES(labels)",
      ins);
  if (!r) return r.status();
  Params sel;
  sel.str(name);
  std::vector<std::string> row;
  bool found = false;
  Status s = conn.select_row("SELECT host_id FROM hosts WHERE name = ?", sel, &row, &found);
  if (!s.is_ok()) return s;
  if (!found) return Status::internal("host " + name + " vanished after insert");
  uint32_t id = static_cast<uint32_t>(std::stoul(row[0]));
  // Every host has a checkpoint row, so append() can lock it.
  Params cp;
  cp.u64(id);
  auto r2 =
      conn.exec("INSERT IGNORE INTO checkpoints (host_id, journal_cursor) VALUES (?, '')", cp);
  if (!r2) return r2.status();
  release(std::move(*c));
  return id;
}

Result<std::string> MariaDbLogStore::last_cursor(uint32_t host) {
  auto c = acquire();
  if (!c) return c.status();
  Params p;
  p.u64(host);
  std::vector<std::string> row;
  bool found = false;
  Status s =
      (*c)->select_row("SELECT journal_cursor FROM checkpoints WHERE host_id = ?", p, &row, &found);
  if (!s.is_ok()) return s;
  release(std::move(*c));
  return found ? row[0] : std::string();
}

namespace {

constexpr const char* kUpsertIdentifierRollup =
    "INSERT INTO rollups_identifier_hourly (hour_start, host_id, identifier, priority, entries) "
    "VALUES (?, ?, ?, ?, ?) "
    "ON DUPLICATE KEY UPDATE entries = entries + VALUES(entries)";

constexpr const char* kUpsertRollup =
    "INSERT INTO rollups_hourly (hour_start, host_id, unit, priority, entries, bytes) VALUES (?, "
    "?, ?, ?, ?, ?) "
    "ON DUPLICATE KEY UPDATE entries = entries + VALUES(entries), bytes = bytes + VALUES(bytes)";

size_t entry_bytes(const LogEntry& e) {
  return e.fields_json.size() + (e.message ? e.message->size() : 0);
}

// Upserts the hourly counts of the batch by (hour, host, unit or identifier, priority).
Status upsert_rollups(Connection& conn, uint32_t host, const std::vector<LogEntry>& es,
                      bool by_identifier) {
  std::map<std::tuple<std::string, std::string, int>, std::pair<uint64_t, uint64_t>> sums;
  for (const LogEntry& e : es) {
    const std::optional<std::string>& dim = by_identifier ? e.identifier : e.unit;
    auto& v = sums[{hour_text(e.realtime_usec / kHourUsec * kHourUsec),
                    dim ? dim->substr(0, 255) : "", e.priority ? *e.priority : kNoPriority}];
    v.first += 1;
    v.second += entry_bytes(e);
  }
  size_t n = sums.size();
  std::vector<const char*> hour_ptr(n), unit_ptr(n);
  std::vector<unsigned long> hour_len(n), unit_len(n);
  std::vector<uint32_t> hosts(n, host);
  std::vector<uint8_t> prio(n);
  std::vector<uint64_t> counts(n), bytes(n);
  size_t i = 0;
  for (const auto& [key, v] : sums) {
    hour_ptr[i] = std::get<0>(key).data();
    hour_len[i] = std::get<0>(key).size();
    unit_ptr[i] = std::get<1>(key).data();
    unit_len[i] = std::get<1>(key).size();
    prio[i] = static_cast<uint8_t>(std::get<2>(key));
    counts[i] = v.first;
    bytes[i] = v.second;
    ++i;
  }
  MYSQL_BIND b[6];
  std::memset(b, 0, sizeof b);
  b[0].buffer_type = MYSQL_TYPE_STRING;
  b[0].buffer = hour_ptr.data();
  b[0].length = hour_len.data();
  b[1].buffer_type = MYSQL_TYPE_LONG;
  b[1].buffer = hosts.data();
  b[1].is_unsigned = 1;
  b[2].buffer_type = MYSQL_TYPE_BLOB;
  b[2].buffer = unit_ptr.data();
  b[2].length = unit_len.data();
  b[3].buffer_type = MYSQL_TYPE_TINY;
  b[3].buffer = prio.data();
  b[3].is_unsigned = 1;
  b[4].buffer_type = MYSQL_TYPE_LONGLONG;
  b[4].buffer = counts.data();
  b[4].is_unsigned = 1;
  b[5].buffer_type = MYSQL_TYPE_LONGLONG;
  b[5].buffer = bytes.data();
  b[5].is_unsigned = 1;
  auto st = conn.prepare(by_identifier ? kUpsertIdentifierRollup : kUpsertRollup);
  if (!st) return st.status();
  unsigned int rows = static_cast<unsigned int>(n);
  mysql_stmt_attr_set(*st, STMT_ATTR_ARRAY_SIZE, &rows);
  if (mysql_stmt_bind_param(*st, b) != 0) return conn.fail("bind rollups", *st);
  if (mysql_stmt_execute(*st) != 0) return conn.fail("upsert rollups", *st);
  return Status::ok();
}

}  // namespace

Status MariaDbLogStore::append(uint32_t host, const std::string& expected_cursor,
                               const Batch& batch, const std::optional<Gap>& gap) {
  if (batch.entries.empty()) return Status::ok();
  std::vector<uint64_t> times;
  times.reserve(batch.entries.size());
  for (const LogEntry& e : batch.entries) times.push_back(e.realtime_usec);
  Status s = ensure_partitions(times);
  if (!s.is_ok()) return s;

  auto c = acquire();
  if (!c) return c.status();
  Connection& conn = **c;
  auto run = [&]() -> Status {
    if (mysql_autocommit(conn.m, 0) != 0) return conn.fail("autocommit off");
    Params lock;
    lock.u64(host);
    std::vector<std::string> row;
    bool found = false;
    // Lock the host's checkpoint: a second collector on the same host waits here, then sees
    // the cursor moved and gives up its batch (kAborted).
    Status st = conn.select_row(
        "SELECT journal_cursor FROM checkpoints WHERE host_id = ? FOR UPDATE", lock, &row, &found);
    if (!st.is_ok()) return st;
    std::string stored = found ? row[0] : "";
    if (stored != expected_cursor)
      return Status::aborted("the host's cursor moved (another collector stored this batch)");
    size_t begin = 0;
    while (begin < batch.entries.size()) {
      size_t end = begin, bytes = 0;
      while (end < batch.entries.size() && end - begin < options_.insert_chunk_rows &&
             (end == begin ||
              bytes + entry_bytes(batch.entries[end]) <= options_.insert_chunk_bytes)) {
        bytes += entry_bytes(batch.entries[end]);
        ++end;
      }
      st = insert_entries_bulk(conn, host, batch.entries, begin, end);
      if (!st.is_ok()) return st;
      begin = end;
    }
    st = upsert_rollups(conn, host, batch.entries, false);
    if (!st.is_ok()) return st;
    st = upsert_rollups(conn, host, batch.entries, true);
    if (!st.is_ok()) return st;
    if (gap) {
      Params g;
      g.u64(host);
      g.str(gap->last_cursor);
      g.str(gap->first_cursor);
      g.u64(gap->first_realtime_usec);
      g.str(gap->reason.substr(0, 1000));
      auto r = conn.exec(
          "INSERT INTO gaps (host_id, last_cursor, first_cursor, first_realtime_us, reason) "
          "VALUES (?, ?, ?, ?, ?)",
          g);
      if (!r) return r.status();
    }
    const LogEntry& last = batch.entries.back();
    Params u;
    u.str(last.cursor);
    u.u64(last.realtime_usec);
    u.u64(batch.entries.size());
    u.u64(host);
    auto r = conn.exec(
        "UPDATE checkpoints SET journal_cursor = ?, realtime_us = ?, entries = entries + ?, "
        "updated_at = NOW(6) WHERE host_id = ?",
        u);
    if (!r) return r.status();
    if (mysql_commit(conn.m) != 0) return conn.fail("commit");
    return Status::ok();
  };
  s = run();
  if (!s.is_ok() && !conn.broken) mysql_rollback(conn.m);
  if (!conn.broken && mysql_autocommit(conn.m, 1) != 0) conn.broken = true;
  release(std::move(*c));
  return s;
}

Status MariaDbLogStore::ensure_partitions(const std::vector<uint64_t>& realtimes) {
  std::set<uint64_t> days;
  for (uint64_t t : realtimes) days.insert(t / kDayUsec);
  if (days.empty()) return Status::ok();
  std::lock_guard<std::mutex> lock(partition_mutex_);
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto c = acquire();
    if (!c) return c.status();
    Connection& conn = **c;
    if (!partitions_loaded_) {
      Params none;
      std::vector<std::vector<std::string>> rows;
      Status s = conn.select_rows(
          "SELECT PARTITION_DESCRIPTION FROM information_schema.PARTITIONS "
          "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'entries' AND PARTITION_NAME <> 'pmax'",
          none, &rows);
      if (!s.is_ok()) return s;
      max_partition_day_ = 0;
      have_partitions_ = !rows.empty();
      for (const auto& r : rows) {
        uint64_t less_than = std::stoull(r[0]);
        max_partition_day_ = std::max(max_partition_day_, less_than / kDayUsec - 1);
      }
      partitions_loaded_ = true;
    }
    std::vector<uint64_t> wanted;
    for (uint64_t d : days) {
      if (!have_partitions_ || d > max_partition_day_) wanted.push_back(d);
    }
    if (wanted.empty()) {
      release(std::move(*c));
      return Status::ok();
    }
    // New days only ever split off the top (pmax): days below the highest partition are
    // already covered by the partition above them.
    std::string sql = "ALTER TABLE entries REORGANIZE PARTITION pmax INTO (";
    for (uint64_t d : wanted) {
      sql += "PARTITION " + day_name(d) + " VALUES LESS THAN (" +
             std::to_string((d + 1) * kDayUsec) + "), ";
    }
    sql += "PARTITION pmax VALUES LESS THAN MAXVALUE)";
    Status s = conn.query(sql);
    if (s.is_ok()) {
      max_partition_day_ = std::max(max_partition_day_, wanted.back());
      have_partitions_ = true;
      release(std::move(*c));
      return Status::ok();
    }
    unsigned int e = mysql_errno(conn.m);
    release(std::move(*c));
    // Another collector added partitions meanwhile: re-read them and try again.
    if (e != ER_SAME_NAME_PARTITION && e != ER_RANGE_NOT_INCREASING_ERROR) {
      return Status(s.code() == StatusCode::kInternal
                        ? Status::internal("adding day partitions: " + s.message())
                        : s);
    }
    partitions_loaded_ = false;
  }
  return Status::unavailable("adding day partitions: the partition list kept changing");
}

Result<int> MariaDbLogStore::drop_partitions_before(uint64_t before_usec) {
  std::lock_guard<std::mutex> lock(partition_mutex_);
  auto c = acquire();
  if (!c) return c.status();
  Connection& conn = **c;
  Params none;
  std::vector<std::vector<std::string>> rows;
  Status s = conn.select_rows(
      "SELECT PARTITION_NAME, PARTITION_DESCRIPTION FROM information_schema.PARTITIONS "
      "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'entries' AND PARTITION_NAME <> 'pmax'",
      none, &rows);
  if (!s.is_ok()) return s;
  std::string names;
  int n = 0;
  for (const auto& r : rows) {
    if (std::stoull(r[1]) <= before_usec) {
      names += (n++ ? ", " : "") + r[0];
    }
  }
  if (n > 0) {
    s = conn.query("ALTER TABLE entries DROP PARTITION " + names);
    if (!s.is_ok()) return s;
    partitions_loaded_ = false;
  }
  release(std::move(*c));
  return n;
}

Status MariaDbLogStore::record_run(const RunRecord& run) {
  auto c = acquire();
  if (!c) return c.status();
  Params p;
  p.str(run.collector);
  p.u64(run.started_usec);
  p.u64(run.finished_usec);
  p.u64(run.agents_ok);
  p.u64(run.agents_failed);
  p.u64(run.entries);
  p.u64(run.bytes);
  p.str(run.summary);
  auto r = (*c)->exec(
      "INSERT INTO collector_runs (collector, started_at, finished_at, agents_ok, agents_failed, "
      "entries, bytes, "
      "summary) VALUES (?, FROM_UNIXTIME(? / 1000000), FROM_UNIXTIME(? / 1000000), ?, ?, ?, ?, ?)",
      p);
  if (!r) return r.status();
  release(std::move(*c));
  return Status::ok();
}

Status MariaDbLogStore::mark_polled(uint32_t host) {
  auto c = acquire();
  if (!c) return c.status();
  Params p;
  p.u64(host);
  auto r = (*c)->exec("UPDATE checkpoints SET polled_at = NOW(6) WHERE host_id = ?", p);
  if (!r) return r.status();
  release(std::move(*c));
  return Status::ok();
}

Status MariaDbLogStore::heartbeat(const std::string& collector) {
  auto c = acquire();
  if (!c) return c.status();
  Params p;
  p.str(collector);
  auto r = (*c)->exec("REPLACE INTO heartbeat (id, ts, collector) VALUES (1, NOW(6), ?)", p);
  if (!r) return r.status();
  release(std::move(*c));
  return Status::ok();
}

}  // namespace infralogs::storage

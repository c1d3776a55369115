#include "infralogs/storage/mariadb_log_store.h"

#include <mysqld_error.h>

#include <algorithm>
#include <ctime>
#include <map>
#include <set>
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

int schema_version() { return migrations().back().version; }

MariaDbLogStore::MariaDbLogStore(MariaDbConnectionOptions connection,
                                 secrets::CredentialSource& credentials,
                                 MariaDbStoreOptions options)
    : connection_(std::move(connection)),
      credentials_(credentials),
      options_(options),
      pool_(std::make_unique<ConnectionPool>(
          credentials, [this](const Credentials& c) { return connect_mariadb(connection_, c); })) {}

MariaDbLogStore::~MariaDbLogStore() = default;

CredentialStatus MariaDbLogStore::credential_status() const {
  return pool_status(*pool_, credentials_);
}

Status MariaDbLogStore::verify(const Credentials& candidate) {
  return verify_login(connection_, candidate, /*replica=*/false);
}

void MariaDbLogStore::switched(uint64_t generation,
                               std::chrono::steady_clock::time_point deadline) {
  switch_pool(*pool_, generation, deadline, "writer");
}

namespace {

// Applies the migrations after version `current`, in order; stops at the first failure.
Status apply_migrations(Connection& conn, int current) {
  for (const Migration& m : migrations()) {
    if (m.version <= current) continue;
    for (const char* sql : m.statements) {
      Status s = conn.query(sql);
      if (!s.is_ok()) {
        return s.code() == StatusCode::kInternal
                   ? Status::internal("migration " + std::to_string(m.version) + ": " + s.message())
                   : s;
      }
    }
    Params p;
    p.u64(static_cast<uint64_t>(m.version));
    p.str(m.name);
    auto r = conn.exec("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", p);
    if (!r) return r.status();
  }
  return Status::ok();
}

}  // namespace

Status MariaDbLogStore::migrate() {
  auto lease = pool_->lease();
  if (!lease) return lease.status();
  Connection& conn = **lease;
  Status s = conn.query(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version INT NOT NULL PRIMARY KEY, "
      "name VARCHAR(255) NOT NULL, applied_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)) "
      "ENGINE=InnoDB");
  if (!s.is_ok()) return s;
  // One migrator at a time; the others wait, then find nothing left to do.
  Params lock_params;
  auto locked = conn.select_row("SELECT GET_LOCK('infralogs.migrate', 120)", lock_params);
  if (!locked) return locked.status();
  if (!*locked || (**locked)[0] != "1")
    return Status::unavailable("timed out waiting for another migration");
  Params none;
  auto current = conn.select_row(kSelectSchemaVersion, none);
  if (!current) {
    s = current.status();
  } else {
    Result<int> version =
        parse_schema_version(*current ? (**current)[0] : std::optional<std::string>());
    s = version ? apply_migrations(conn, *version) : version.status();
  }
  Params unlock;
  (void)conn.select_row("SELECT RELEASE_LOCK('infralogs.migrate')", unlock);
  return s;
}

Status MariaDbLogStore::check_schema() {
  auto lease = pool_->lease();
  if (!lease) return lease.status();
  Params none;
  auto row = (*lease)->select_row(kSelectSchemaVersion, none);
  std::optional<std::string> version = row && *row ? (**row)[0] : std::nullopt;
  return schema_verdict(row.status(), (*lease)->last_errno(), version, schema_version());
}

Result<uint32_t> MariaDbLogStore::host_id(const std::string& name, const std::string& labels_json) {
  auto lease = pool_->lease();
  if (!lease) return lease.status();
  Connection& conn = **lease;
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
  auto row = conn.select_row("SELECT host_id FROM hosts WHERE name = ?", sel);
  if (!row) return row.status();
  if (!*row) return Status::internal("host " + name + " vanished after insert");
  RowReader read(**row, "hosts.host_id");
  uint64_t id = read.u64(0);
  if (!read.status().is_ok()) return read.status();
  if (id > UINT32_MAX)
    return Status::corruption("hosts.host_id " + std::to_string(id) + " is over 32 bits");
  // Every host has a checkpoint row, so append() can lock it.
  Params cp;
  cp.u64(id);
  auto r2 =
      conn.exec("INSERT IGNORE INTO checkpoints (host_id, journal_cursor) VALUES (?, '')", cp);
  if (!r2) return r2.status();
  return static_cast<uint32_t>(id);
}

Result<std::string> MariaDbLogStore::last_cursor(uint32_t host) {
  auto lease = pool_->lease();
  if (!lease) return lease.status();
  Params p;
  p.u64(host);
  auto row = (*lease)->select_row("SELECT journal_cursor FROM checkpoints WHERE host_id = ?", p);
  if (!row) return row.status();
  return *row ? RowReader(**row, "checkpoints").text(0) : std::string();
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
  // The columns in the order of the statement's placeholders; the identifier statement has no
  // bytes column.
  ColumnBinder b(n);
  b.strings(hour_ptr, hour_len, nullptr, MYSQL_TYPE_STRING);
  b.numbers(hosts);
  b.strings(unit_ptr, unit_len);
  b.numbers(prio);
  b.numbers(counts);
  if (!by_identifier) b.numbers(bytes);
  return conn.execute_bulk("upsert rollups",
                           by_identifier ? kUpsertIdentifierRollup : kUpsertRollup, b);
}

// The end of the bulk INSERT chunk starting at `begin`: at most insert_chunk_rows entries and
// insert_chunk_bytes of payload, but always at least one entry.
size_t chunk_end(const std::vector<LogEntry>& es, size_t begin, const MariaDbStoreOptions& o) {
  size_t end = begin, bytes = 0;
  while (end < es.size() && end - begin < o.insert_chunk_rows &&
         (end == begin || bytes + entry_bytes(es[end]) <= o.insert_chunk_bytes)) {
    bytes += entry_bytes(es[end]);
    ++end;
  }
  return end;
}

// append()'s transaction body, on a connection with autocommit off; commits when all went well.
Status write_batch(Connection& conn, uint32_t host, const std::string& expected_cursor,
                   const Batch& batch, const std::optional<Gap>& gap,
                   const MariaDbStoreOptions& options) {
  Params lock;
  lock.u64(host);
  // Lock the host's checkpoint: a second collector on the same host waits here, then sees
  // the cursor moved and gives up its batch (kAborted).
  auto row =
      conn.select_row("SELECT journal_cursor FROM checkpoints WHERE host_id = ? FOR UPDATE", lock);
  if (!row) return row.status();
  std::string stored = *row ? RowReader(**row, "checkpoints").text(0) : "";
  if (stored != expected_cursor)
    return Status::aborted("the host's cursor moved (another collector stored this batch)");
  for (size_t begin = 0, end; begin < batch.entries.size(); begin = end) {
    end = chunk_end(batch.entries, begin, options);
    Status s = insert_entries_bulk(conn, host, batch.entries, begin, end);
    if (!s.is_ok() && conn.last_errno() == ER_DUP_ENTRY) {
      // The cursor check passed, so these rows were not stored by a racing collector: the
      // batch repeats entries this host already has (an agent that ignores `after`, or
      // repeats an entry within a page). Not retryable, and nothing of it is stored.
      return Status::corruption(
          "the batch holds an entry already stored for this host (same seqnum ID, seqnum and "
          "time): the agent repeated entries or ignored the cursor; nothing of this batch was "
          "stored");
    }
    if (!s.is_ok()) return s;
  }
  Status s = upsert_rollups(conn, host, batch.entries, false);
  if (!s.is_ok()) return s;
  s = upsert_rollups(conn, host, batch.entries, true);
  if (!s.is_ok()) return s;
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
  return conn.commit();
}

// The day partitions of entries ("pYYYYMMDD" and each one's VALUES LESS THAN, in µs), without
// pmax.
constexpr const char* kSelectPartitions =
    "SELECT PARTITION_NAME, PARTITION_DESCRIPTION FROM information_schema.PARTITIONS "
    "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'entries' AND PARTITION_NAME <> 'pmax'";

struct DayPartition {
  std::string name;
  uint64_t less_than_usec = 0;
};

Result<std::vector<DayPartition>> read_partitions(Connection& conn) {
  Params none;
  std::vector<Row> rows;
  Status s = conn.select_rows(kSelectPartitions, none, &rows);
  if (!s.is_ok()) return s;
  std::vector<DayPartition> out;
  for (const Row& r : rows) {
    RowReader read(r, "information_schema.PARTITIONS of entries");
    DayPartition p{read.text(0), read.u64(1)};
    if (!read.status().is_ok()) return read.status();
    out.push_back(std::move(p));
  }
  return out;
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

  auto lease = pool_->lease();
  if (!lease) return lease.status();
  Connection& conn = **lease;
  s = conn.set_autocommit(false);
  if (s.is_ok()) s = write_batch(conn, host, expected_cursor, batch, gap, options_);
  if (!s.is_ok() && !conn.broken()) (void)conn.rollback();
  if (!conn.broken()) (void)conn.set_autocommit(true);  // a failure marks it broken
  return s;
}

Status MariaDbLogStore::ensure_partitions(const std::vector<uint64_t>& realtimes) {
  std::set<uint64_t> days;
  for (uint64_t t : realtimes) days.insert(t / kDayUsec);
  if (days.empty()) return Status::ok();
  MutexLock lock(partition_mutex_);
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto lease = pool_->lease();
    if (!lease) return lease.status();
    Connection& conn = **lease;
    if (!partitions_loaded_) {
      auto partitions = read_partitions(conn);
      if (!partitions) return partitions.status();
      max_partition_day_ = 0;
      have_partitions_ = !partitions->empty();
      for (const DayPartition& p : *partitions) {
        max_partition_day_ = std::max(max_partition_day_, p.less_than_usec / kDayUsec - 1);
      }
      partitions_loaded_ = true;
    }
    std::vector<uint64_t> wanted;
    for (uint64_t d : days) {
      if (!have_partitions_ || d > max_partition_day_) wanted.push_back(d);
    }
    if (wanted.empty()) return Status::ok();
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
      return Status::ok();
    }
    // Another collector added partitions meanwhile: re-read them and try again.
    unsigned int e = conn.last_errno();
    if (e != ER_SAME_NAME_PARTITION && e != ER_RANGE_NOT_INCREASING_ERROR) {
      return s.code() == StatusCode::kInternal
                 ? Status::internal("adding day partitions: " + s.message())
                 : s;
    }
    partitions_loaded_ = false;
  }
  return Status::unavailable("adding day partitions: the partition list kept changing");
}

Result<int> MariaDbLogStore::drop_partitions_before(uint64_t before_usec) {
  MutexLock lock(partition_mutex_);
  auto lease = pool_->lease();
  if (!lease) return lease.status();
  Connection& conn = **lease;
  auto partitions = read_partitions(conn);
  if (!partitions) return partitions.status();
  std::string names;
  int n = 0;
  for (const DayPartition& p : *partitions) {
    if (p.less_than_usec <= before_usec) names += (n++ ? ", " : "") + p.name;
  }
  if (n > 0) {
    Status s = conn.query("ALTER TABLE entries DROP PARTITION " + names);
    if (!s.is_ok()) return s;
    partitions_loaded_ = false;
  }
  return n;
}

Status MariaDbLogStore::record_run(const RunRecord& run) {
  auto lease = pool_->lease();
  if (!lease) return lease.status();
  Params p;
  p.str(run.collector);
  p.u64(run.started_usec);
  p.u64(run.finished_usec);
  p.u64(run.agents_ok);
  p.u64(run.agents_failed);
  p.u64(run.entries);
  p.u64(run.bytes);
  p.str(run.summary);
  auto r = (*lease)->exec(
      "INSERT INTO collector_runs (collector, started_at, finished_at, agents_ok, agents_failed, "
      "entries, bytes, "
      "summary) VALUES (?, FROM_UNIXTIME(? / 1000000), FROM_UNIXTIME(? / 1000000), ?, ?, ?, ?, ?)",
      p);
  return r.status();
}

Status MariaDbLogStore::mark_polled(uint32_t host) {
  auto lease = pool_->lease();
  if (!lease) return lease.status();
  Params p;
  p.u64(host);
  auto r = (*lease)->exec("UPDATE checkpoints SET polled_at = NOW(6) WHERE host_id = ?", p);
  return r.status();
}

namespace {

void opt_u64(Params& p, const std::optional<uint64_t>& v) {
  if (v)
    p.u64(*v);
  else
    p.null();
}

// heartbeat()'s transaction body: the heartbeat and the collector's own credential report
// (credential_reports, for serve's Credentials panel), so both carry the same moment.
Status write_heartbeat(Connection& conn, const std::string& collector,
                       const CredentialStatus& creds) {
  Params p;
  p.str(collector);
  auto r = conn.exec("REPLACE INTO heartbeat (id, ts, collector) VALUES (1, NOW(6), ?)", p);
  if (!r) return r.status();
  Params c;
  c.str("collect");
  c.str(collector);
  c.str("writer");
  c.str(creds.source);
  c.str(creds.location);
  c.str(creds.username);
  opt_u64(c, creds.obtained_usec);
  opt_u64(c, creds.expires_usec);
  opt_u64(c, creds.last_switch_usec);
  c.u64(creds.switches);
  c.u64(creds.failures);
  c.str(creds.last_error.substr(0, 1000));
  c.u64(creds.source_reachable ? 1 : 0);
  r = conn.exec(
      "REPLACE INTO credential_reports (mode, name, role, source, location, username, "
      "obtained_us, expires_us, last_switch_us, switches, failures, last_error, reachable, "
      "reported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NOW(6))",
      c);
  if (!r) return r.status();
  return conn.commit();
}

}  // namespace

Status MariaDbLogStore::heartbeat(const std::string& collector) {
  CredentialStatus creds = credential_status();
  auto lease = pool_->lease();
  if (!lease) return lease.status();
  Connection& conn = **lease;
  Status s = conn.set_autocommit(false);
  if (s.is_ok()) s = write_heartbeat(conn, collector, creds);
  if (!s.is_ok() && !conn.broken()) (void)conn.rollback();
  if (!conn.broken()) (void)conn.set_autocommit(true);  // a failure marks it broken
  return s;
}

}  // namespace infralogs::storage

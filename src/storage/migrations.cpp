#include "migrations.h"

#include <mysqld_error.h>

#include <cstdint>
#include <limits>

#include "mariadb_rows.h"

namespace infralogs::storage {

const std::vector<Migration>& migrations() {
  static const std::vector<Migration> kMigrations = {
      {1,
       "hosts, entries by day, checkpoints, hourly rollups by unit and by identifier, gaps, "
       "collector runs, heartbeat",
       {
           R"sql(CREATE TABLE IF NOT EXISTS hosts (
  host_id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  labels LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
  first_seen TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  UNIQUE KEY uk_hosts_name (name)
) ENGINE=InnoDB)sql",
           // One row per journal entry. The key is the journal's own (seqnum ID, seqnum) per
           // host; realtime_us is in it because the table is partitioned by day on it.
           R"sql(CREATE TABLE IF NOT EXISTS entries (
  host_id INT UNSIGNED NOT NULL,
  seqnum_id BINARY(16) NOT NULL,
  seqnum BIGINT UNSIGNED NOT NULL,
  realtime_us BIGINT UNSIGNED NOT NULL,
  monotonic_us BIGINT UNSIGNED NOT NULL,
  boot_id BINARY(16) NULL,
  priority TINYINT UNSIGNED NULL,
  unit VARBINARY(255) NULL,
  identifier VARBINARY(255) NULL,
  pid INT UNSIGNED NULL,
  uid INT UNSIGNED NULL,
  comm VARBINARY(255) NULL,
  transport VARBINARY(64) NULL,
  message LONGBLOB NULL,
  fields LONGBLOB NOT NULL,
  PRIMARY KEY (host_id, seqnum_id, seqnum, realtime_us),
  KEY ix_entries_host_time (host_id, realtime_us),
  KEY ix_entries_time (realtime_us),
  KEY ix_entries_unit_time (unit, realtime_us)
) ENGINE=InnoDB
PARTITION BY RANGE (realtime_us) (PARTITION pmax VALUES LESS THAN MAXVALUE))sql",
           R"sql(CREATE TABLE IF NOT EXISTS checkpoints (
  host_id INT UNSIGNED NOT NULL PRIMARY KEY,
  journal_cursor VARBINARY(1024) NOT NULL,
  realtime_us BIGINT UNSIGNED NOT NULL DEFAULT 0,
  entries BIGINT UNSIGNED NOT NULL DEFAULT 0,
  updated_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  polled_at TIMESTAMP(6) NULL
) ENGINE=InnoDB)sql",
           R"sql(CREATE TABLE IF NOT EXISTS rollups_hourly (
  hour_start DATETIME NOT NULL,
  host_id INT UNSIGNED NOT NULL,
  unit VARBINARY(255) NOT NULL,
  priority TINYINT UNSIGNED NOT NULL,
  entries BIGINT UNSIGNED NOT NULL,
  bytes BIGINT UNSIGNED NOT NULL,
  PRIMARY KEY (hour_start, host_id, unit, priority),
  KEY ix_rollups_host (host_id, hour_start)
) ENGINE=InnoDB)sql",
           R"sql(CREATE TABLE IF NOT EXISTS rollups_identifier_hourly (
  hour_start DATETIME NOT NULL,
  host_id INT UNSIGNED NOT NULL,
  identifier VARBINARY(255) NOT NULL,
  priority TINYINT UNSIGNED NOT NULL,
  entries BIGINT UNSIGNED NOT NULL,
  PRIMARY KEY (hour_start, host_id, identifier, priority)
) ENGINE=InnoDB)sql",
           R"sql(CREATE TABLE IF NOT EXISTS gaps (
  gap_id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  host_id INT UNSIGNED NOT NULL,
  last_cursor VARBINARY(1024) NOT NULL,
  first_cursor VARBINARY(1024) NOT NULL,
  first_realtime_us BIGINT UNSIGNED NOT NULL,
  reason VARCHAR(1000) NOT NULL,
  detected_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  KEY ix_gaps_host (host_id, detected_at)
) ENGINE=InnoDB)sql",
           R"sql(CREATE TABLE IF NOT EXISTS collector_runs (
  run_id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  collector VARCHAR(255) NOT NULL,
  started_at TIMESTAMP(6) NOT NULL,
  finished_at TIMESTAMP(6) NOT NULL,
  agents_ok INT UNSIGNED NOT NULL,
  agents_failed INT UNSIGNED NOT NULL,
  entries BIGINT UNSIGNED NOT NULL,
  bytes BIGINT UNSIGNED NOT NULL,
  summary TEXT NOT NULL
) ENGINE=InnoDB)sql",
           R"sql(CREATE TABLE IF NOT EXISTS heartbeat (
  id TINYINT UNSIGNED NOT NULL PRIMARY KEY,
  ts TIMESTAMP(6) NOT NULL,
  collector VARCHAR(255) NOT NULL
) ENGINE=InnoDB)sql",
       }},
      {2,
       "credential reports of the modes and rotate-creds' credential events (never a secret)",
       {
           // One row per mode instance (collect: the collector's name), replaced at each of its
           // heartbeats, so serve (which sees only the replica) can show every mode's
           // credentials. Times in µs since the epoch; NULL when unknown.
           R"sql(CREATE TABLE IF NOT EXISTS credential_reports (
  mode VARCHAR(64) NOT NULL,
  name VARCHAR(255) NOT NULL,
  role VARCHAR(64) NOT NULL,
  source VARCHAR(64) NOT NULL,
  location VARCHAR(1024) NOT NULL,
  username VARCHAR(255) NOT NULL,
  obtained_us BIGINT UNSIGNED NULL,
  expires_us BIGINT UNSIGNED NULL,
  last_switch_us BIGINT UNSIGNED NULL,
  switches BIGINT UNSIGNED NOT NULL,
  failures BIGINT UNSIGNED NOT NULL,
  last_error VARCHAR(1000) NOT NULL,
  reachable TINYINT UNSIGNED NOT NULL,
  reported_at TIMESTAMP(6) NOT NULL,
  PRIMARY KEY (mode, name)
) ENGINE=InnoDB)sql",
           // rotate-creds' audit lines, one row per action.
           R"sql(CREATE TABLE IF NOT EXISTS credential_events (
  event_id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  ts TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  mode VARCHAR(64) NOT NULL,
  action VARCHAR(64) NOT NULL,
  path VARCHAR(1024) NOT NULL,
  username VARCHAR(255) NOT NULL,
  result VARCHAR(1000) NOT NULL,
  KEY ix_credential_events_ts (ts)
) ENGINE=InnoDB)sql",
       }},
  };
  return kMigrations;
}

Result<int> parse_schema_version(const std::optional<std::string>& text) {
  std::optional<uint64_t> v = text ? parse_u64(*text) : std::nullopt;
  if (!v || *v > static_cast<uint64_t>(std::numeric_limits<int>::max())) {
    return Status::corruption("schema_migrations holds version '" +
                              (text ? text->substr(0, 40) : std::string("NULL")) +
                              "', not a number");
  }
  return static_cast<int>(*v);
}

Status schema_verdict(const Status& read, unsigned int db_errno,
                      const std::optional<std::string>& version, int needed) {
  if (!read.is_ok()) {
    if (db_errno == ER_NO_SUCH_TABLE) {
      return Status::invalid_argument(
          "the database has no infralogs schema: run 'infralogs collect --migrate' first");
    }
    return read;
  }
  Result<int> v = parse_schema_version(version);
  if (!v) return v.status();
  if (*v < needed) {
    return Status::invalid_argument("the database schema is version " + std::to_string(*v) +
                                    ", this binary needs " + std::to_string(needed) +
                                    ": run 'infralogs collect --migrate'");
  }
  return Status::ok();
}

}  // namespace infralogs::storage

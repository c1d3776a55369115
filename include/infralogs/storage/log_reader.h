#pragma once
// LogReader: the read-side questions the dashboard and `infralogs query` ask (docs/schema.md).
// An interface so the dashboard can be tested with test/fakes/fake_log_reader.h;
// MariaDbLogReader (mariadb_log_reader.h) is the real one, meant for the replica.
//
// Windows. The rollup questions (volume_by_priority, host_unit_hours, top_identifiers and the
// counts of hosts) count whole hours: an hour is in the window when its start is, comparing at
// whole seconds (from_usec rounded down, to_usec rounded up). gaps() and search() compare
// microseconds exactly.
// Hosts. `host = std::nullopt` means every host; a name no host has gives no rows (not an
// error).
// Errors, for every method: kUnavailable when the database cannot be reached (retry later),
// kPermissionDenied when the account may not read, kCorruption when a stored value does not
// parse, kInternal for anything else.
// Thread-safety: implementations are thread-safe (the dashboard calls them from its HTTP
// threads at once).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "infralogs/core/metrics.h"
#include "infralogs/core/status.h"

namespace infralogs::storage {

struct TimeWindow {
  uint64_t from_usec = 0;  // inclusive
  uint64_t to_usec = 0;    // exclusive
};

// Entries per hour and priority (priority 255: none or not 0..7).
struct PriorityHour {
  uint64_t hour_usec = 0;
  int priority = 255;
  uint64_t entries = 0;
};

// Entries and errors (priority 0..3) per hour, host and unit ("" when none).
struct HostUnitHour {
  uint64_t hour_usec = 0;
  std::string host;
  std::string unit;
  uint64_t entries = 0;
  uint64_t errors = 0;
};

struct NameCount {
  std::string name;
  uint64_t entries = 0;
  uint64_t errors = 0;
};

struct HostInfo {
  std::string host;
  std::string labels_json;
  std::optional<uint64_t> last_entry_usec;      // newest entry stored
  std::optional<uint64_t> last_collected_usec;  // last successful poll
  uint64_t entries = 0;                         // in the window
  uint64_t errors = 0;
};

struct GapInfo {
  std::string host;
  std::string last_cursor;
  std::string first_cursor;
  uint64_t first_entry_usec = 0;
  std::string reason;
  uint64_t detected_usec = 0;
};

// Where a search page ends: the last row's position in (time, host, seqnum ID, seqnum) order.
struct SearchKey {
  uint64_t realtime_usec = 0;
  uint32_t host_id = 0;
  std::string seqnum_id;  // 16 bytes
  uint64_t seqnum = 0;

  // An opaque text form for URLs ("T-H-SEQIDHEX-S"), and back: nullopt when `text` is not one
  // (a part missing or not a number, a host id over 32 bits, a seqnum ID not 32 hex digits).
  std::string to_string() const;
  static std::optional<SearchKey> parse(const std::string& text);
};

struct SearchQuery {
  TimeWindow window;                // on the entry's realtime
  std::optional<std::string> host;  // the host's exact name
  std::optional<std::string> unit;  // the exact _SYSTEMD_UNIT
  std::optional<int> max_priority;  // PRIORITY at most this; entries without one do not match
  std::string text;                 // bytes the message must contain; empty: any
  size_t limit = 100;               // rows per page, at least 1
  std::optional<SearchKey> after;   // continue after this row (newest first)
  // How `text` matches. false (the default users expect): case-insensitively, by Unicode simple
  // case folding of the message read as UTF-8 (docs/dashboard-api.md says exactly how); true:
  // the message's bytes contain `text`'s bytes exactly.
  bool exact_case = false;
};

struct SearchRow {
  SearchKey key;
  std::string host;
  std::optional<int> priority;
  std::optional<std::string> unit;
  std::optional<std::string> identifier;
  std::optional<uint32_t> pid;
  std::optional<std::string> message;
};

struct SearchPage {
  std::vector<SearchRow> rows;
  std::optional<SearchKey> next;  // the last row's key when at least one more row matches
  // Set when the search stopped at its time budget before the page was full and before the
  // window's start: `rows` are every match from this time (inclusive) up to the window's end
  // (or `after`), and `next` continues the search just before it. Unset: the page is complete.
  std::optional<uint64_t> searched_from_usec;
};

// The entries next to one entry on its host (LogReader::context), as Kibana's "surrounding
// documents": the host's entries in journal order, which is ascending (time, seqnum ID,
// seqnum), the SearchKey order within one host, so entries with equal times have a fixed order.
struct ContextQuery {
  SearchKey at;                     // the position; its host_id is the host asked about
  bool include_at = false;          // also return the entry at `at` itself (ContextPage::at)
  std::optional<std::string> unit;  // only entries of this exact _SYSTEMD_UNIT (not `at` itself)
  // At most this many entries before (after) `at`; nullopt: that side is not read at all.
  std::optional<size_t> before;
  std::optional<size_t> after;
};

struct ContextPage {
  std::vector<SearchRow> older;  // ascending; older.back() is the entry just before `at`
  std::optional<SearchRow> at;   // with include_at: the entry at `at`, nullopt when not stored
  std::vector<SearchRow> newer;  // ascending; newer.front() is the entry just after `at`
  // Whether more entries exist beyond the ones returned on that side (false for a side not
  // read): pass older.front().key (or `at` when older is empty) as the next `at`.
  bool more_older = false;
  bool more_newer = false;
};

struct EntryDetail {
  std::string host;
  uint64_t realtime_usec = 0;
  std::string fields_json;             // as stored (without MESSAGE when that is in message)
  std::optional<std::string> message;  // the message column
};

// Credential status (LogReader::credentials()): which credentials a reader or store connects
// with and its connections per credential generation. Plain values.
// Connections of one credential generation.
struct GenerationConnections {
  uint64_t generation = 0;
  size_t in_use = 0;  // leased (a statement may be running), or being opened
  size_t idle = 0;    // pooled for reuse; only the current generation has idle ones
  bool operator==(const GenerationConnections&) const = default;
};

struct CredentialStatus {
  // What the credential source says (secrets::CredentialInfo, copied so that this interface
  // needs no secrets header). Never the password.
  std::string source;                        // "file", "vault-dynamic", ...
  std::string location;                      // file path or Vault path
  std::string username;                      // current user
  std::optional<uint64_t> obtained_usec;     // when the current credentials were obtained
  std::optional<uint64_t> expires_usec;      // lease end, or next rotation
  std::optional<uint64_t> last_switch_usec;  // when the last switch happened
  uint64_t switches = 0;                     // rotations followed since start
  uint64_t failures = 0;                     // refresh or verify failures since start
  std::string last_error;                    // path and status, never a secret
  bool source_reachable = true;
  uint64_t generation = 0;  // the credential generation new connections belong to
  // Oldest first; always includes `generation`. More than one entry while a switch drains.
  std::vector<GenerationConnections> connections;
  uint64_t auth_retries = 0;  // logins refused, then retried with refetched credentials
};

// Sets these metrics, labelled role=`role` ("writer", "reader"):
//   infralogs_db_connections{role,generations="current"|"older",state="in_use"|"idle"} gauge
//   infralogs_db_credential_generation{role} gauge
//   infralogs_db_auth_retries_total{role} counter (raised to status.auth_retries)
//   infralogs_db_credential_age_seconds{role} gauge: now - obtained_usec
//   infralogs_db_credential_expires_in_seconds{role} gauge: expires_usec - now (negative once
//     past)
// The last two are created only once their time is known (a file source has no expiry: no
// series). Older generations are summed so that rotations do not add series. Call it before
// rendering /metrics; one status per role and registry. `now_usec` is the clock (µs since the
// epoch); the three-argument form reads the system clock.
void update_credential_metrics(const CredentialStatus& status, const std::string& role,
                               MetricsRegistry& metrics);
void update_credential_metrics(const CredentialStatus& status, const std::string& role,
                               MetricsRegistry& metrics, uint64_t now_usec);

// A mode's credentials as it last reported them to the database (credential_reports: collect
// writes its own at every heartbeat), so the dashboard, which sees only the replica, can show
// them. Never the password.
struct CredentialReport {
  std::string mode;  // "collect"
  std::string name;  // the instance, e.g. the collector's --name
  std::string role;  // "writer"
  std::string source;
  std::string location;
  std::string username;
  std::optional<uint64_t> obtained_usec;
  std::optional<uint64_t> expires_usec;
  std::optional<uint64_t> last_switch_usec;
  uint64_t switches = 0;
  uint64_t failures = 0;
  std::string last_error;
  bool source_reachable = true;
  uint64_t reported_usec = 0;  // the database's clock when it was written
};

// One action of rotate-creds (credential_events: its audit lines, rotator.h). Never a secret.
struct CredentialEvent {
  uint64_t time_usec = 0;  // the database's clock when it was written (0: now, when writing)
  std::string mode;        // "rotate-creds"
  std::string action;      // "rotate-role", "read", "verify-primary", "set-password", "write", ...
  std::string path;        // the Vault path, or "primary"
  std::string username;    // the MySQL user acted on; "" when not known yet
  std::string result;      // "ok", "dry-run", "skipped" or the error (never a secret)
};

// The replica's progress per host (the checkpoints table: the collector moves a host's row in
// the same transaction as its entries, so a row read here never runs ahead of the entries),
// for the live view (dashboard/live.h) and the freshness.
struct HostProgress {
  uint32_t host_id = 0;
  std::string host;
  uint64_t entries = 0;          // entries stored for the host in total
  uint64_t last_entry_usec = 0;  // the realtime of the last entry stored; 0 before the first
};

struct ReplicaProgress {
  std::vector<HostProgress> hosts;          // every host with a checkpoint, by host_id
  uint64_t now_usec = 0;                    // the replica's clock when it answered
  std::optional<uint64_t> last_write_usec;  // the newest checkpoint move the replica applied
                                            // (the primary's clock); nullopt: none yet
};

// Where the live view has read a host up to: entries after (realtime, seqnum ID, seqnum).
struct HostPosition {
  uint32_t host_id = 0;
  uint64_t realtime_usec = 0;
  std::string seqnum_id;  // 16 bytes; "" sorts before every seqnum ID
  uint64_t seqnum = 0;
};

class LogReader {
 public:
  virtual ~LogReader() = default;

  // Ok when the database answers.
  virtual Status ping() = 0;
  // The start of the newest hour with data in the rollups, of any host; nullopt when there is
  // none.
  virtual Result<std::optional<uint64_t>> newest_hour_usec() = 0;
  // Entries per hour and priority in the window, hours ascending (the priorities of one hour in
  // no set order). Hours without entries have no row.
  virtual Result<std::vector<PriorityHour>> volume_by_priority(
      const TimeWindow& w, const std::optional<std::string>& host) = 0;
  // Entries and errors per hour, host and unit in the window, in no set order. Hours without
  // entries have no row.
  virtual Result<std::vector<HostUnitHour>> host_unit_hours(
      const TimeWindow& w, const std::optional<std::string>& host) = 0;
  // The `limit` identifiers ("" for none) with the most errors in the window, then the most
  // entries; in that order.
  virtual Result<std::vector<NameCount>> top_identifiers(const TimeWindow& w,
                                                         const std::optional<std::string>& host,
                                                         size_t limit) = 0;
  // Every host, by name (byte order), with its entries and errors in the window; hosts with no
  // entries (in the window or at all) are listed too, with zero counts. last_entry_usec is set
  // once the host has stored entries; last_collected_usec once it has a checkpoint.
  virtual Result<std::vector<HostInfo>> hosts(const TimeWindow& w) = 0;
  // The gaps whose first entry still served lies in the window, newest first (by
  // first_entry_usec), at most 1000: older ones are cut off.
  virtual Result<std::vector<GapInfo>> gaps(const TimeWindow& w,
                                            const std::optional<std::string>& host) = 0;
  // The collector's last heartbeat; nullopt when there was none yet.
  virtual Result<std::optional<uint64_t>> heartbeat_usec() = 0;
  // At most q.limit entries matching q, newest first: descending (time, host id, seqnum ID,
  // seqnum), the SearchKey order, and only those before q.after when it is set. `next` is the
  // last row's key when at least one more entry matches (pass it as q.after for the next page),
  // nullopt when the page is the last. kInvalidArgument when q.limit is 0.
  virtual Result<SearchPage> search(const SearchQuery& q) = 0;
  // The stored entry with exactly this key; nullopt when there is none.
  virtual Result<std::optional<EntryDetail>> entry(const SearchKey& key) = 0;
  // The entries of q.at's host (of q.unit when set) just before and just after q.at, in
  // journal order (ContextQuery), at most q.before and q.after of them; q.at itself is only
  // in ContextPage::at. q.at need not be stored (a page boundary of an earlier answer). Reads
  // an index from q.at outward (never the host's day).
  virtual Result<ContextPage> context(const ContextQuery& q) = 0;

  // The checkpoints of every host and the replica's clock (ReplicaProgress). kNotFound from
  // readers that cannot say (the default).
  virtual Result<ReplicaProgress> progress() {
    return Status::not_found("this reader has no progress");
  }
  // At most `limit` entries of the hosts in `from`, each after its host's position in
  // (realtime, seqnum ID, seqnum) order, ordered by (host id, realtime, seqnum ID, seqnum).
  // Messages longer than `message_bytes` are cut to that many bytes. An empty `from` gives no
  // rows. kInvalidArgument when limit is 0; kNotFound from readers that cannot (the default).
  virtual Result<std::vector<SearchRow>> entries_after(const std::vector<HostPosition>& from,
                                                       size_t limit, size_t message_bytes) {
    (void)from, (void)limit, (void)message_bytes;
    return Status::not_found("this reader cannot read entries by position");
  }

  // The credentials this reader connects with and its connections per credential generation
  // (CredentialStatus above), for the dashboard's Credentials panel and /metrics. Never the
  // password; never touches the database. kNotFound from readers without credentials (the
  // default, e.g. test fakes).
  virtual Result<CredentialStatus> credentials() {
    return Status::not_found("this reader has no database credentials");
  }
  // Every mode's last credential report (CredentialReport), by mode then name. kNotFound from
  // readers that have none (the default).
  virtual Result<std::vector<CredentialReport>> credential_reports() {
    return Status::not_found("this reader has no credential reports");
  }
  // rotate-creds' events whose time lies in the window, newest first, at most 1000 (older ones
  // are cut off). kNotFound from readers that have none (the default).
  virtual Result<std::vector<CredentialEvent>> credential_events(const TimeWindow& w) {
    (void)w;
    return Status::not_found("this reader has no credential events");
  }
};

}  // namespace infralogs::storage

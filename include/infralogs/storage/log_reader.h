#pragma once
// LogReader: the read-side questions the dashboard and `infralogs query` ask (docs/schema.md).
// Interface so the dashboard can be tested with fakes; MariaDbLogReader is the real one, meant
// for the replica. Implementations are thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

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

  // An opaque text form for URLs ("T-H-SEQIDHEX-S"), and back (nullopt when malformed).
  std::string to_string() const;
  static std::optional<SearchKey> parse(const std::string& text);
};

struct SearchQuery {
  TimeWindow window;
  std::optional<std::string> host;
  std::optional<std::string> unit;
  std::optional<int> max_priority;
  std::string text;  // bytes the message must contain; empty: any
  size_t limit = 100;
  std::optional<SearchKey> after;  // continue after this row (newest first)
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
  std::optional<SearchKey> next;  // set when there may be more
};

struct EntryDetail {
  std::string host;
  uint64_t realtime_usec = 0;
  std::string fields_json;             // as stored (without MESSAGE when that is in message)
  std::optional<std::string> message;  // the message column
};

class LogReader {
 public:
  virtual ~LogReader() = default;

  // Ok when the database answers.
  virtual Status ping() = 0;
  // The start of the newest hour with data, if any.
  virtual Result<std::optional<uint64_t>> newest_hour_usec() = 0;
  virtual Result<std::vector<PriorityHour>> volume_by_priority(
      const TimeWindow& w, const std::optional<std::string>& host) = 0;
  virtual Result<std::vector<HostUnitHour>> host_unit_hours(
      const TimeWindow& w, const std::optional<std::string>& host) = 0;
  virtual Result<std::vector<NameCount>> top_identifiers(const TimeWindow& w,
                                                         const std::optional<std::string>& host,
                                                         size_t limit) = 0;
  virtual Result<std::vector<HostInfo>> hosts(const TimeWindow& w) = 0;
  virtual Result<std::vector<GapInfo>> gaps(const TimeWindow& w,
                                            const std::optional<std::string>& host) = 0;
  // The collector's last heartbeat, if any.
  virtual Result<std::optional<uint64_t>> heartbeat_usec() = 0;
  virtual Result<SearchPage> search(const SearchQuery& q) = 0;
  virtual Result<std::optional<EntryDetail>> entry(const SearchKey& key) = 0;
};

}  // namespace infralogs::storage

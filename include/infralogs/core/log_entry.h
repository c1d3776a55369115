#pragma once
// A journal entry as the collector stores it: the selected fields as typed columns, and the
// whole entry (less MESSAGE, kept byte-exact in `message`) as the JSON the agent served.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace infralogs {

struct LogEntry {
  std::string cursor;           // __CURSOR, opaque
  std::string seqnum_id;        // the cursor's s=, 16 raw bytes
  uint64_t seqnum = 0;          // the cursor's i=
  uint64_t realtime_usec = 0;   // __REALTIME_TIMESTAMP
  uint64_t monotonic_usec = 0;  // __MONOTONIC_TIMESTAMP
  std::string boot_id;          // _BOOT_ID, 16 raw bytes (empty when absent or malformed)
  // The selected fields, each present when the entry has it exactly once (bytes as served;
  // numbers only when they parse).
  std::optional<int> priority;            // PRIORITY when it is 0..7
  std::optional<std::string> unit;        // _SYSTEMD_UNIT
  std::optional<std::string> identifier;  // SYSLOG_IDENTIFIER
  std::optional<uint32_t> pid;            // _PID
  std::optional<uint32_t> uid;            // _UID
  std::optional<std::string> comm;        // _COMM
  std::optional<std::string> transport;   // _TRANSPORT
  std::optional<std::string> message;     // MESSAGE, byte-exact (the first one when repeated)
  // The entry's JSON object as the agent served it, without the MESSAGE member when that was
  // moved to `message` (single MESSAGE). Nothing the agent served is lost.
  std::string fields_json;
};

// A page of entries from one agent.
struct Batch {
  std::vector<LogEntry> entries;
  bool more = false;         // the agent said more entries were pending
  bool cursor_found = true;  // false: the agent no longer had the cursor asked for
  uint64_t wire_bytes = 0;   // body bytes received (after decompression)
};

// A range of entries known lost: the agent no longer had `last_cursor`.
struct Gap {
  std::string last_cursor;   // the last cursor stored before the gap
  std::string first_cursor;  // the first entry the agent still had
  uint64_t first_realtime_usec = 0;
  std::string reason;
};

}  // namespace infralogs

#pragma once
// What a reader is asked for: where to start, which entries match, and where to stop.
// The match semantics are journalctl's, so a query gives the entries journalctl gives for the
// same options (see docs/wire-protocol.md for the mapping).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "infralogs/core/status.h"

namespace infralogs::journal {

struct Filter {
  // Each unit adds journalctl -u's matches (the unit's own messages, PID 1's messages about
  // it, coredumps, authorised daemons'; a .slice also matches its members). Units are ORed.
  std::vector<std::string> units;
  // Entries with PRIORITY 0..max_priority (journalctl -p N).
  std::optional<int> max_priority;
  // Entries of this boot: 32 hex digits (journalctl -b ID).
  std::optional<std::string> boot_id;
  // FIELD=VALUE matches: the same field ORs, different fields AND (sd_journal_add_match).
  std::vector<std::pair<std::string, std::string>> matches;
  // Stop at the first entry whose realtime is past this (journalctl --until).
  std::optional<uint64_t> until_usec;
};

// Where reading starts.
struct Position {
  enum class Start {
    kHead,         // the oldest entry
    kTail,         // past the newest entry (gatewayd negative skips count back from here)
    kCursor,       // at the entry named by cursor (gatewayd's Range: entries=CURSOR)
    kAfterCursor,  // just after the entry named by cursor; if the journal no longer has it, at
                   // the next entry after where it was (Session::cursor_found() says which)
    kRealtime,     // the first entry at or after realtime_usec (journalctl --since)
  };
  Start start = Start::kHead;
  std::string cursor;
  uint64_t realtime_usec = 0;
  // gatewayd's NUM_SKIP, for kHead, kTail and kCursor only: entries to move past first
  // (negative: backwards).
  int64_t skip = 0;
};

// Parses a time for since/until: microseconds since the epoch ("1735689600000000"), "@SECONDS",
// or UTC ISO 8601 "YYYY-MM-DDTHH:MM:SS[.ffffff][Z]" (a space may replace the T).
Result<uint64_t> parse_time(std::string_view text);

// parse_time, or a time relative to `now_usec` as core's parse_relative_time reads it: "now", a
// duration back ("30m", "24h", "7d") or "now-DURATION" ("now-24h"). The one parser of the times
// people type: the dashboard API's from/to, collect --since, query -S/-U. kInvalidArgument
// when text is neither (or the duration overflows). The agent's since/until stay absolute
// (parse_time above): a relative time on the wire would count from the agent's clock.
Result<uint64_t> parse_time(std::string_view text, uint64_t now_usec);

// Parses a priority as journalctl does: "emerg".."debug" or "0".."7".
Result<int> parse_priority(std::string_view text);

// journalctl's field name rule: 1-64 of A-Z, 0-9, _ and not starting with a digit.
bool is_valid_field_name(std::string_view name);

// journalctl's unit-name completion: a name without a unit suffix gets ".service".
std::string complete_unit_name(std::string_view name);

// A boot ID: exactly 32 hex digits (dashes allowed as in a UUID), returned lowercase without
// dashes, or an invalid-argument Status.
Result<std::string> parse_boot_id(std::string_view text);

}  // namespace infralogs::journal

#pragma once
// The "journal" object of the agent's /healthz body (agent_routes.cpp adds it): what has been
// served against the journal's newest entry, so a probe sees a collector whose cursor stopped
// while the journal grows (journal/progress_reader.h):
//   {"tail_cursor": "...", "tail_realtime_usec": 1735689600000000,
//    "last_served_cursor": "...", "last_served_realtime_usec": 1735689500000000,
//    "served_lag_seconds": 100, "seconds_since_served": 320, "stalled": true}
// served_lag_seconds is the tail's realtime minus the last served entry's (0 when that is not
// positive, e.g. after a clock jump back). The status code stays what the journal check says:
// a stall is the collector's problem, not a reason to take the agent out of its Service.

#include <nlohmann/json.hpp>

#include "infralogs/journal/reader.h"

namespace infralogs::http {

// The object for `reader`'s serve_progress(); null when the reader does not track it.
nlohmann::json journal_health_json(journal::JournalReader& reader);

}  // namespace infralogs::http

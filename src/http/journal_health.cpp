#include "infralogs/http/journal_health.h"

namespace infralogs::http {

nlohmann::json journal_health_json(journal::JournalReader& reader) {
  auto p = reader.serve_progress();
  if (!p) return nullptr;
  uint64_t lag = p->tail_realtime_usec > p->last_served_realtime_usec
                     ? (p->tail_realtime_usec - p->last_served_realtime_usec) / 1000000
                     : 0;
  // Before anything was served the lag is the journal's whole span: report the tail only.
  if (p->last_served_cursor.empty()) lag = 0;
  return {{"tail_cursor", p->tail_cursor},
          {"tail_realtime_usec", p->tail_realtime_usec},
          {"last_served_cursor", p->last_served_cursor},
          {"last_served_realtime_usec", p->last_served_realtime_usec},
          {"served_lag_seconds", lag},
          {"seconds_since_served", p->seconds_since_served},
          {"stalled", p->stalled}};
}

}  // namespace infralogs::http

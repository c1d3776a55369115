#include "infralogs/collect/stall.h"

#include "infralogs/core/log.h"

namespace infralogs::collect {
namespace {
constexpr std::string_view kComponent = "collect";
}  // namespace

void StallTracker::observe(RoundReport* report) {
  for (auto& a : report->agents) {
    auto [it, first] = agents_.try_emplace(a.name);
    History& h = it->second;
    if (first) h.last_progress_usec = report->started_usec;
    bool progress = a.entries > 0 || (a.status.is_ok() && a.caught_up);
    if (progress) {
      h.last_progress_usec = report->finished_usec;
      h.rounds_more_without_entries = 0;
    } else if (a.status.is_ok() && a.more_without_entries) {
      ++h.rounds_more_without_entries;
    }
    bool stalled = h.rounds_more_without_entries >= options_.rounds;
    a.progress_age_seconds =
        report->finished_usec > h.last_progress_usec
            ? static_cast<double>(report->finished_usec - h.last_progress_usec) / 1e6
            : 0;
    if (stalled && !h.stalled) {
      log::warn(kComponent,
                "stalled: the agent says it has more entries but its cursor has not moved",
                {{"agent", a.name},
                 {"rounds", h.rounds_more_without_entries},
                 {"seconds", a.progress_age_seconds}});
    } else if (!stalled && h.stalled) {
      log::info(kComponent, "no longer stalled: the agent's cursor moves again",
                {{"agent", a.name}});
    }
    h.stalled = stalled;
    a.stalled = stalled;
  }
}

}  // namespace infralogs::collect

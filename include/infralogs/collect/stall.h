#pragma once
// StallTracker: what one round cannot see, across the rounds of `collect --interval`: an agent
// whose cursor stopped moving while it says the journal has more (issue 11, stall detection).
// It fills each AgentReport's progress_age_seconds and stalled, which the metrics file shows
// as infralogs_collect_agent_last_progress_seconds and infralogs_collect_agent_stalled, and
// logs the change into and out of a stall once each.

#include <cstdint>
#include <map>
#include <string>

#include "infralogs/collect/round_report.h"

namespace infralogs::collect {

struct StallOptions {
  // Consecutive rounds in which the agent said "more" but sent nothing before it is stalled.
  int rounds = 3;
};

// Not thread-safe: one per collect loop, fed once per round.
class StallTracker {
 public:
  explicit StallTracker(StallOptions options = {}) : options_(options) {}

  // Updates each agent's history from `report` and sets its agents' progress_age_seconds and
  // stalled. A round made progress for an agent when it stored entries or found the agent
  // caught up; the age counts from the finish of the last such round (from the first round
  // that saw the agent if none did). Failed rounds age too but only "more" without entries
  // counts toward a stall: an agent that cannot be reached is agent_up 0, not stalled.
  void observe(RoundReport* report);

 private:
  struct History {
    uint64_t last_progress_usec = 0;
    int rounds_more_without_entries = 0;
    bool stalled = false;
  };
  StallOptions options_;
  std::map<std::string, History> agents_;
};

}  // namespace infralogs::collect

#pragma once
// Anomaly detection on hourly rollups (docs/dashboard-api.md, "Anomalies").
//
// For every (host, unit) pair and every hour of the window, the hour's count is compared with
// the pair's own baseline: the `baseline_hours` hours before it, but none before the pair's
// first hour with data (hours without rows in between count 0). An hour is flagged when all of
// these hold:
//   - the baseline spans at least `min_baseline_hours` hours (a pair that has just appeared
//     has no baseline to jump from);
//   - count >= min_count and count >= min_ratio * mean;
//   - score = (count - mean) / max(stddev, 1) >= min_score.
// Done separately for all entries ("volume") and for errors (PRIORITY 0..3, "errors").
// Pure functions: thread-safe.

#include <cstdint>
#include <string>
#include <vector>

#include "infralogs/storage/log_reader.h"

namespace infralogs::dashboard {

struct AnomalyOptions {
  size_t baseline_hours = 24;
  size_t min_baseline_hours = 12;
  double min_count = 20;
  double min_ratio = 3;
  double min_score = 4;
};

struct Anomaly {
  std::string host;
  std::string unit;
  uint64_t hour_usec = 0;
  std::string kind;  // "volume" or "errors"
  double value = 0;
  double baseline = 0;  // the baseline's mean
  double score = 0;
};

// `cells` must cover [window.from - baseline_hours, window.to); the result is sorted by score,
// highest first.
std::vector<Anomaly> find_anomalies(const std::vector<storage::HostUnitHour>& cells,
                                    const storage::TimeWindow& window,
                                    const AnomalyOptions& options);

}  // namespace infralogs::dashboard

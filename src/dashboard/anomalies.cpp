#include "infralogs/dashboard/anomalies.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace infralogs::dashboard {
namespace {

constexpr uint64_t kHourUsec = 3600ULL * 1000000ULL;

struct Series {
  std::map<uint64_t, std::pair<double, double>> by_hour;  // hour index -> (entries, errors)
};

void check(const std::string& host, const std::string& unit, const Series& s, uint64_t first_hour,
           uint64_t end_hour, bool errors, const AnomalyOptions& o, std::vector<Anomaly>* out) {
  auto value_at = [&](uint64_t h) {
    auto it = s.by_hour.find(h);
    if (it == s.by_hour.end()) return 0.0;
    return errors ? it->second.second : it->second.first;
  };
  if (s.by_hour.empty()) return;
  // The baseline starts no earlier than the pair's first hour with data: hours before the pair
  // existed say nothing about its normal level.
  uint64_t first_seen = s.by_hour.begin()->first;
  for (uint64_t h = first_hour; h < end_hour; ++h) {
    double x = value_at(h);
    if (x < o.min_count) continue;
    uint64_t start = std::max(h - std::min<uint64_t>(h, o.baseline_hours), first_seen);
    if (h < start + o.min_baseline_hours) continue;
    double sum = 0, sum2 = 0;
    for (uint64_t b = start; b < h; ++b) {
      double v = value_at(b);
      sum += v;
      sum2 += v * v;
    }
    double n = static_cast<double>(h - start);
    double mean = sum / n;
    double sd = std::sqrt(std::max(0.0, sum2 / n - mean * mean));
    double score = (x - mean) / std::max(sd, 1.0);
    if (x >= o.min_ratio * mean && score >= o.min_score) {
      out->push_back({host, unit, h * kHourUsec, errors ? "errors" : "volume", x, mean, score});
    }
  }
}

}  // namespace

std::vector<Anomaly> find_anomalies(const std::vector<storage::HostUnitHour>& cells,
                                    const storage::TimeWindow& window,
                                    const AnomalyOptions& options) {
  std::map<std::pair<std::string, std::string>, Series> pairs;
  for (const auto& c : cells) {
    auto& v = pairs[{c.host, c.unit}].by_hour[c.hour_usec / kHourUsec];
    v.first += static_cast<double>(c.entries);
    v.second += static_cast<double>(c.errors);
  }
  uint64_t first = window.from_usec / kHourUsec, end = (window.to_usec + kHourUsec - 1) / kHourUsec;
  std::vector<Anomaly> out;
  for (const auto& [key, series] : pairs) {
    check(key.first, key.second, series, first, end, false, options, &out);
    check(key.first, key.second, series, first, end, true, options, &out);
  }
  std::sort(out.begin(), out.end(),
            [](const Anomaly& a, const Anomaly& b) { return a.score > b.score; });
  return out;
}

}  // namespace infralogs::dashboard

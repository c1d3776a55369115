#pragma once
// A small Prometheus metrics registry: counters and gauges with fixed label sets, rendered in
// the text exposition format (version 0.0.4).
// Thread-safe: counter()/gauge() may be called from any thread; the returned references stay
// valid for the registry's lifetime and their updates are lock-free.

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "infralogs/core/mutex.h"

namespace infralogs {

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void inc(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class MetricsRegistry {
 public:
  // The counter `name` with these labels, created at zero on first use. `help` is taken from
  // the first call for a name.
  Counter& counter(const std::string& name, const std::string& help,
                   const MetricLabels& labels = {});
  Gauge& gauge(const std::string& name, const std::string& help, const MetricLabels& labels = {});

  // Every metric in the text exposition format, families sorted by name.
  std::string render() const;

 private:
  struct Family {
    std::string help;
    bool is_counter = true;
    std::map<std::string, std::unique_ptr<Counter>> counters;  // key: rendered label set
    std::map<std::string, std::unique_ptr<Gauge>> gauges;
  };

  mutable Mutex mutex_;
  std::map<std::string, Family> families_ GUARDED_BY(mutex_);
};

// Renders labels as {a="x",b="y"} with Prometheus escaping; "" for no labels.
std::string render_metric_labels(const MetricLabels& labels);

}  // namespace infralogs

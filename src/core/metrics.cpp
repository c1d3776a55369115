#include "infralogs/core/metrics.h"

#include <cmath>
#include <cstdio>

namespace infralogs {

std::string render_metric_labels(const MetricLabels& labels) {
  if (labels.empty()) return "";
  std::string out = "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i) out += ',';
    out += labels[i].first;
    out += "=\"";
    for (char c : labels[i].second) {
      if (c == '\\')
        out += "\\\\";
      else if (c == '"')
        out += "\\\"";
      else if (c == '\n')
        out += "\\n";
      else
        out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

Counter& MetricsRegistry::counter(const std::string& name, const std::string& help,
                                  const MetricLabels& labels) {
  MutexLock lock(mutex_);
  Family& f = families_[name];
  if (f.help.empty()) f.help = help;
  f.is_counter = true;
  auto& slot = f.counters[render_metric_labels(labels)];
  if (!slot) slot = std::make_unique<Counter>();
  return *slot;
}

Gauge& MetricsRegistry::gauge(const std::string& name, const std::string& help,
                              const MetricLabels& labels) {
  MutexLock lock(mutex_);
  Family& f = families_[name];
  if (f.help.empty()) f.help = help;
  f.is_counter = false;
  auto& slot = f.gauges[render_metric_labels(labels)];
  if (!slot) slot = std::make_unique<Gauge>();
  return *slot;
}

std::string MetricsRegistry::render() const {
  MutexLock lock(mutex_);
  std::string out;
  char num[64];
  for (const auto& [name, f] : families_) {
    out += "# HELP " + name + " " + f.help + "\n";
    out += "# TYPE " + name + (f.is_counter ? " counter\n" : " gauge\n");
    for (const auto& [labels, c] : f.counters) {
      std::snprintf(num, sizeof num, "%llu", static_cast<unsigned long long>(c->value()));
      out += name + labels + " " + num + "\n";
    }
    for (const auto& [labels, g] : f.gauges) {
      double v = g->value();
      if (std::isnan(v))
        std::snprintf(num, sizeof num, "NaN");
      else
        std::snprintf(num, sizeof num, "%.17g", v);
      out += name + labels + " " + num + "\n";
    }
  }
  return out;
}

}  // namespace infralogs

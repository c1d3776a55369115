#include "infralogs/core/metrics.h"

#include <catch2/catch.hpp>

using infralogs::MetricsRegistry;

TEST_CASE("metrics render counters and gauges in the Prometheus text format", "[core]") {
  MetricsRegistry r;
  r.counter("x_total", "Things.", {{"path", "/logs"}, {"code", "200"}}).inc(3);
  r.counter("x_total", "Things.", {{"path", "/logs"}, {"code", "200"}}).inc();
  r.gauge("y_bytes", "Bytes.").set(2.5);
  std::string text = r.render();
  CHECK(text.find("# HELP x_total Things.\n# TYPE x_total counter\n") != std::string::npos);
  CHECK(text.find("x_total{path=\"/logs\",code=\"200\"} 4\n") != std::string::npos);
  CHECK(text.find("# TYPE y_bytes gauge\ny_bytes 2.5\n") != std::string::npos);
}

TEST_CASE("metric label values are escaped", "[core]") {
  CHECK(infralogs::render_metric_labels({{"a", "q\"b\\n\n"}}) == "{a=\"q\\\"b\\\\n\\n\"}");
}

// The dashboard API takes relative times in from/to ("now-24h", "now"), counted back from the
// dashboard's clock on the server, as app.js resolves them in the browser: a URL someone
// copied is answered by the server alone.

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "fakes/fake_log_reader.h"
#include "infralogs/dashboard/dashboard.h"
#include "infralogs/http/dashboard_routes.h"

using namespace infralogs;

TEST_CASE("the dashboard API takes from=now-24h&to=now, from the dashboard's clock",
          "[http][dashboard]") {
  constexpr uint64_t kNow = 1735689600000000ULL;  // 2025-01-01T00:00:00Z
  constexpr uint64_t kHour = 3600ULL * 1000000ULL;
  test::FakeLogReader reader;
  dashboard::DashboardOptions options;
  options.now_usec = [] { return kNow; };
  dashboard::Dashboard dash{reader, options};
  MetricsRegistry metrics;
  std::vector<http::StaticAsset> assets;
  httplib::Server server;
  http::attach_dashboard_routes(server, dash, reader, metrics, assets);
  int port = server.bind_to_any_port("127.0.0.1");
  std::thread t([&] { server.listen_after_bind(); });
  while (!server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  httplib::Client c("127.0.0.1", port);

  auto window_of = [&](const std::string& path) {
    auto res = c.Get(path);
    REQUIRE(res);
    INFO(path << ": " << res->body);
    REQUIRE(res->status == 200);
    return nlohmann::json::parse(res->body).at("window");
  };
  auto w = window_of("/api/hosts?from=now-24h&to=now");
  CHECK(w.at("from") == kNow - 24 * kHour);
  CHECK(w.at("to") == kNow);
  CHECK(w.at("default") == false);
  w = window_of("/api/gaps?from=now-30m");
  CHECK(w.at("from") == kNow - kHour / 2);
  CHECK(w.at("to") == kNow);
  w = window_of("/api/overview?from=now-7d&to=now-1d");
  CHECK(w.at("from") == kNow - 7 * 24 * kHour);
  CHECK(w.at("to") == kNow - 24 * kHour);
  // Absolute times as before.
  w = window_of("/api/hosts?from=@1735603200&to=1735689600000000");
  CHECK(w.at("from") == kNow - 24 * kHour);
  CHECK(w.at("to") == kNow);

  auto bad = c.Get("/api/hosts?from=now-24x");
  REQUIRE(bad);
  CHECK(bad->status == 400);
  CHECK(nlohmann::json::parse(bad->body).at("parameter") == "from");
  // The reader was asked for exactly the resolved window.
  bool asked = false;
  for (const auto& call : reader.calls()) {
    if (call.method == "hosts" && call.window.from_usec == kNow - 24 * kHour &&
        call.window.to_usec == kNow)
      asked = true;
  }
  CHECK(asked);
  server.stop();
  t.join();
}

// serve's credential endpoints over the fake reader (issue 10): /api/credentials, the
// credentials in /healthz, and the age and expiry gauges in /metrics.

#include <catch2/catch.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "fakes/fake_log_reader.h"
#include "infralogs/dashboard/dashboard.h"
#include "infralogs/http/dashboard_routes.h"

using namespace infralogs;
using nlohmann::json;

namespace {

uint64_t now_usec() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

struct Served {
  test::FakeLogReader reader;
  dashboard::Dashboard dash{reader, dashboard::DashboardOptions{}};
  MetricsRegistry metrics;
  std::vector<http::StaticAsset> assets = {
      {"credentials.html", "<html>credentials</html>", "text/html"}};
  httplib::Server server;
  std::thread thread;
  int port = 0;

  void start() {
    http::attach_dashboard_routes(server, dash, reader, metrics, assets);
    port = server.bind_to_any_port("127.0.0.1");
    thread = std::thread([this] { server.listen_after_bind(); });
    while (!server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~Served() {
    server.stop();
    if (thread.joinable()) thread.join();
  }
};

storage::CredentialStatus reader_status(uint64_t now) {
  storage::CredentialStatus s;
  s.source = "vault-dynamic";
  s.location = "database/creds/infralogs-read";
  s.username = "v-read-xyz";
  s.obtained_usec = now - 60'000'000;
  s.expires_usec = now + 3'540'000'000;
  s.generation = 1;
  return s;
}

}  // namespace

TEST_CASE("GET /api/credentials answers the panel's JSON for the window", "[http][credentials]") {
  Served s;
  uint64_t now = now_usec();
  s.reader.set_credentials(reader_status(now));
  s.reader.add_credential_event(
      {now - 10'000'000, "rotate-creds", "rotate-role", "database/rotate-role/r", "st", "ok"});
  s.start();
  httplib::Client c("127.0.0.1", s.port);
  auto r = c.Get("/api/credentials?from=" + std::to_string(now - 3600'000'000) +
                 "&to=" + std::to_string(now + 1'000'000));
  REQUIRE(r);
  REQUIRE(r->status == 200);
  json j = json::parse(r->body);
  REQUIRE(j["modes"].size() == 1);
  CHECK(j["modes"][0]["user"] == "v-read-xyz");
  CHECK(j["rotations"] == 1);
  CHECK(j["window"]["default"] == false);
  CHECK(j["window"]["from"] == now - 3600'000'000);

  // Without from and to: the last 24 hours up to now, whatever the logs' newest hour.
  auto def = c.Get("/api/credentials");
  REQUIRE(def);
  REQUIRE(def->status == 200);
  json dj = json::parse(def->body);
  CHECK(dj["window"]["default"] == true);
  CHECK(dj["window"]["to"].get<uint64_t>() > now);
  CHECK(dj["window"]["to"].get<uint64_t>() - dj["window"]["from"].get<uint64_t>() ==
        24ULL * 3600 * 1000000);
  CHECK(dj["rotations"] == 1);

  auto bad = c.Get("/api/credentials?host=x");
  REQUIRE(bad);
  CHECK(bad->status == 400);
  auto page = c.Get("/credentials");
  REQUIRE(page);
  CHECK(page->status == 200);
  CHECK(page->body == "<html>credentials</html>");
}

TEST_CASE("/healthz carries the reader's credentials and stays 200 while the replica answers",
          "[http][credentials]") {
  Served s;
  uint64_t now = now_usec();
  s.reader.set_credentials(reader_status(now));
  s.start();
  httplib::Client c("127.0.0.1", s.port);
  auto r = c.Get("/healthz");
  REQUIRE(r);
  CHECK(r->status == 200);
  json j = json::parse(r->body);
  CHECK(j["status"] == "ok");
  CHECK(j["credentials"]["user"] == "v-read-xyz");
  CHECK(j["credentials"]["source"] == "vault-dynamic");
  CHECK(j["credentials"]["expires"] == now + 3'540'000'000);
  CHECK(j["credentials"]["age_s"].get<double>() >= 60.0);
  CHECK(j["credentials"]["expires_in_s"].get<double>() <= 3540.0);

  s.reader.fail_next("ping", Status::unavailable("replica down"));
  auto down = c.Get("/healthz");
  REQUIRE(down);
  CHECK(down->status == 503);
  CHECK(json::parse(down->body)["credentials"]["user"] == "v-read-xyz");
}

TEST_CASE("/metrics has the reader's credential age, expiry and connections",
          "[http][credentials]") {
  Served s;
  s.reader.set_credentials(reader_status(now_usec()));
  s.start();
  httplib::Client c("127.0.0.1", s.port);
  auto r = c.Get("/metrics");
  REQUIRE(r);
  const std::string& body = r->body;
  CHECK(body.find("infralogs_db_credential_age_seconds{role=\"reader\"} ") != std::string::npos);
  CHECK(body.find("infralogs_db_credential_expires_in_seconds{role=\"reader\"} ") !=
        std::string::npos);
  CHECK(body.find("infralogs_db_credential_generation{role=\"reader\"} 1") != std::string::npos);
}

TEST_CASE("/metrics and /healthz leave credentials out for a reader without any",
          "[http][credentials]") {
  Served s;
  s.start();
  httplib::Client c("127.0.0.1", s.port);
  auto m = c.Get("/metrics");
  REQUIRE(m);
  CHECK(m->body.find("infralogs_db_credential") == std::string::npos);
  auto h = c.Get("/healthz");
  REQUIRE(h);
  CHECK(!json::parse(h->body).contains("credentials"));
}

// GET /api/live over a LiveHub and a FakeLogReader: the Server-Sent Events a client reads
// (ids, lag, heartbeat), the resume with Last-Event-ID, the 503 beyond the maximum, and the
// end of every stream when the hub stops.

#include "infralogs/http/live_routes.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "fakes/fake_log_reader.h"
#include "infralogs/dashboard/dashboard.h"
#include "infralogs/http/dashboard_routes.h"
#include "infralogs/http/server.h"

using namespace infralogs;
using nlohmann::json;

namespace {

constexpr uint64_t kSec = 1000000;
constexpr uint64_t kT = 1700000000ULL * kSec;

storage::SearchRow row(uint32_t host_id, uint64_t time, uint64_t seqnum, std::string message) {
  storage::SearchRow r;
  r.key = {time, host_id, std::string(16, 'a'), seqnum};
  r.host = "vm-" + std::to_string(host_id);
  r.priority = 6;
  r.message = std::move(message);
  return r;
}

struct Event {
  std::string id, name, data;
};

// The events of an SSE body; comments (": ...") are counted in *comments.
std::vector<Event> parse_events(const std::string& body, int* comments = nullptr) {
  std::vector<Event> out;
  Event e;
  size_t pos = 0;
  while (pos < body.size()) {
    size_t nl = body.find('\n', pos);
    if (nl == std::string::npos) break;
    std::string line = body.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.empty()) {
      if (!e.name.empty() || !e.data.empty()) out.push_back(e);
      e = {};
    } else if (line[0] == ':') {
      if (comments) ++*comments;
    } else if (line.rfind("id: ", 0) == 0) {
      e.id = line.substr(4);
    } else if (line.rfind("event: ", 0) == 0) {
      e.name = line.substr(7);
    } else if (line.rfind("data: ", 0) == 0) {
      e.data = line.substr(6);
    }
  }
  return out;
}

std::vector<std::string> entry_messages(const std::vector<Event>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) {
    if (e.name == "entry") out.push_back(json::parse(e.data)["message"]);
  }
  return out;
}

struct TestServe {
  explicit TestServe(dashboard::LiveOptions o = {}) : hub(reader, with_clock(o)) {
    server = std::move(*http::Server::create({}));
    http::attach_dashboard_routes(*server, dash, reader, metrics, assets);
    http::attach_live_routes(
        *server, hub, metrics,
        {.heartbeat = std::chrono::milliseconds(100), .lag_every = std::chrono::milliseconds(200)});
    port = server->bind_to_any_port("127.0.0.1");
    thread = std::thread([this] { server->listen_after_bind(); });
    while (!server->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~TestServe() {
    hub.stop();
    server->stop();
    thread.join();
  }
  dashboard::LiveOptions with_clock(dashboard::LiveOptions o) {
    o.now_usec = [] { return kT; };
    o.poll_interval = std::chrono::milliseconds(10);
    return o;
  }
  // Reads /api/live`query` until `until(body)` or `limit`; the body read.
  std::string read(const std::string& query, std::function<bool(const std::string&)> until,
                   httplib::Headers headers = {},
                   std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    httplib::Client c("127.0.0.1", port);
    std::string body;
    auto deadline = std::chrono::steady_clock::now() + limit;
    c.Get(("/api/live" + query).c_str(), headers, [&](const char* data, size_t n) {
      body.append(data, n);
      return !until(body) && std::chrono::steady_clock::now() < deadline;
    });
    return body;
  }

  test::FakeLogReader reader;
  dashboard::Dashboard dash{reader, dashboard::DashboardOptions{}};
  dashboard::LiveHub hub;
  MetricsRegistry metrics;
  std::vector<http::StaticAsset> assets;
  std::unique_ptr<http::Server> server;
  int port = 0;
  std::thread thread;
};

size_t count_of(const std::string& body, const std::string& what) {
  size_t n = 0;
  for (size_t p = body.find(what); p != std::string::npos; p = body.find(what, p + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE(
    "/api/live sends entries with ids, lag events and heartbeats, and resumes with "
    "Last-Event-ID",
    "[http][live]") {
  TestServe s;
  REQUIRE(s.hub.poll_once().is_ok());
  s.reader.add_entry(row(1, kT + 1, 1, "first <script>alert(1)</script>"));
  s.reader.add_entry(row(1, kT + 2, 2, "second"));
  // Buffered before the stream opens: its backlog ids then name their place in the buffer. (A
  // stream opened while the poller is still buffering its backlog's entries gives them an
  // older id, and a resume from it repeats them: docs/dashboard-api.md, known limits.)
  REQUIRE(s.hub.poll_once().is_ok());
  s.hub.start();
  std::string body = s.read("?host=vm-1", [](const std::string& b) {
    return count_of(b, "event: entry") >= 2 && count_of(b, "event: lag") >= 2 &&
           count_of(b, ": heartbeat") >= 1;
  });
  int comments = 0;
  auto events = parse_events(body, &comments);
  CHECK(entry_messages(events) ==
        std::vector<std::string>{"first <script>alert(1)</script>", "second"});
  CHECK(comments >= 1);
  std::string last;
  for (const auto& e : events) {
    if (e.name == "entry") {
      CHECK_FALSE(e.id.empty());
      last = e.id;
    }
    if (e.name == "lag") {
      json lag = json::parse(e.data);
      CHECK(lag["replica_ok"] == true);
      CHECK(lag.contains("last_write_age_s"));
      CHECK(lag.contains("newest_entry_age_s"));
    }
  }
  s.reader.add_entry(row(1, kT + 3, 3, "third"));
  body = s.read("?host=vm-1", [](const std::string& b) { return count_of(b, "event: entry") >= 1; },
                {{"Last-Event-ID", last}});
  // Only what came after the last id: no backlog, nothing twice.
  CHECK(entry_messages(parse_events(body)) == std::vector<std::string>{"third"});
  CHECK(s.metrics.render().find("infralogs_serve_live_streams") != std::string::npos);
}

TEST_CASE("/api/live refuses streams beyond the maximum and bad parameters", "[http][live]") {
  dashboard::LiveOptions o;
  o.max_streams = 1;
  TestServe s(o);
  auto held = s.hub.open({}, std::nullopt);
  httplib::Client c("127.0.0.1", s.port);
  auto r = c.Get("/api/live");
  REQUIRE(r);
  CHECK(r->status == 503);
  CHECK(r->get_header_value("Retry-After") == "5");
  CHECK(json::parse(r->body)["reason"] == "too_many_streams");
  held.reset();
  r = c.Get("/api/live?since=now");
  REQUIRE(r);
  CHECK(r->status == 400);
  CHECK(json::parse(r->body)["parameter"] == "since");
  r = c.Get("/api/live?priority=loud");
  REQUIRE(r);
  CHECK(r->status == 400);
}

TEST_CASE("/api/live streams end with an end event when the hub stops", "[http][live]") {
  TestServe s;
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    s.hub.stop();
  });
  auto started = std::chrono::steady_clock::now();
  std::string body = s.read("", [](const std::string&) { return false; });
  stopper.join();
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(5));
  auto events = parse_events(body);
  REQUIRE_FALSE(events.empty());
  CHECK(events.back().name == "end");
}

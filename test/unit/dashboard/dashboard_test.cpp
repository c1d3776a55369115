#include "infralogs/dashboard/dashboard.h"

#include <catch2/catch.hpp>
#include <type_traits>

#include "fakes/fake_log_reader.h"

using namespace infralogs;
using nlohmann::json;
using test::FakeLogReader;

// It holds the reader by reference; a copy would share it unnoticed.
static_assert(!std::is_copy_constructible_v<dashboard::Dashboard>);
static_assert(!std::is_copy_assignable_v<dashboard::Dashboard>);

namespace {

constexpr uint64_t kHour = 3600ULL * 1000000ULL;
constexpr uint64_t kH = 480000 * kHour;  // an hour in 2024, the start of most windows below

struct Fixture {
  FakeLogReader reader;
  uint64_t now = kH + 3 * kHour;
  dashboard::DashboardOptions options() {
    dashboard::DashboardOptions o;
    o.now_usec = [this] { return now; };
    o.top_n = 2;
    return o;
  }
  dashboard::Dashboard dash{reader, options()};

  json overview(storage::TimeWindow w, std::optional<std::string> host = std::nullopt) {
    auto r = dash.overview(w, host);
    REQUIRE(r.has_value());
    return *r;
  }
};

using Series = std::vector<uint64_t>;

}  // namespace

TEST_CASE("overview totals and buckets count the window's hours by priority", "[dashboard]") {
  Fixture f;
  f.reader.add_cell({kH, "vm-a", "x.service", "x", 3, 5});
  f.reader.add_cell({kH + kHour, "vm-b", "y.service", "y", 6, 7});
  f.reader.add_cell({kH + 2 * kHour, "vm-a", "x.service", "x", 255, 2});
  f.reader.add_cell({kH + 3 * kHour, "vm-a", "x.service", "x", 0, 100});  // after the window
  f.reader.add_cell({kH - kHour, "vm-c", "z.service", "z", 0, 100});      // before it
  json ov = f.overview({kH, kH + 3 * kHour});
  CHECK(ov["totals"] == json({{"entries", 14}, {"errors", 5}, {"hosts", 2}}));
  json hours = {kH, kH + kHour, kH + 2 * kHour};
  CHECK(ov["volume"]["hours"] == hours);
  CHECK(ov["volume"]["by_priority"]["3"] == Series{5, 0, 0});
  CHECK(ov["volume"]["by_priority"]["6"] == Series{0, 7, 0});
  CHECK(ov["volume"]["by_priority"]["none"] == Series{0, 0, 2});
  CHECK(ov["volume"]["by_priority"]["0"] == Series{0, 0, 0});
  CHECK(ov["volume"]["by_priority"].size() == 9);
  CHECK(ov["volume"]["errors"] == Series{5, 0, 0});
  CHECK(ov["heatmap"]["hosts"] == json({"vm-a", "vm-b"}));
  CHECK(ov["heatmap"]["hours"] == hours);
  CHECK(ov["heatmap"]["entries"] == json({Series{5, 0, 2}, Series{0, 7, 0}}));
  CHECK(ov["heatmap"]["errors"] == json({Series{5, 0, 0}, Series{0, 0, 0}}));
  CHECK(ov["anomalies"] == json::array());
}

TEST_CASE("overview asks for the cells one anomaly baseline before the window", "[dashboard]") {
  Fixture f;
  f.overview({kH, kH + 3 * kHour}, "vm-a");
  auto cells = f.reader.calls("host_unit_hours");
  REQUIRE(cells.size() == 1);
  CHECK(cells[0].window.from_usec == kH - 24 * kHour);
  CHECK(cells[0].window.to_usec == kH + 3 * kHour);
  CHECK(cells[0].host == "vm-a");
  auto volume = f.reader.calls("volume_by_priority");
  REQUIRE(volume.size() == 1);
  CHECK(volume[0].window.from_usec == kH);
  CHECK(volume[0].host == "vm-a");
  auto idents = f.reader.calls("top_identifiers");
  REQUIRE(idents.size() == 1);
  CHECK(idents[0].limit == 2);
  CHECK(idents[0].host == "vm-a");
}

TEST_CASE("overview for one host counts that host only", "[dashboard]") {
  Fixture f;
  f.reader.add_cell({kH, "vm-a", "x.service", "x", 3, 5});
  f.reader.add_cell({kH, "vm-b", "y.service", "y", 3, 7});
  json ov = f.overview({kH, kH + kHour}, "vm-b");
  CHECK(ov["totals"] == json({{"entries", 7}, {"errors", 7}, {"hosts", 1}}));
  CHECK(ov["heatmap"]["hosts"] == json({"vm-b"}));
  CHECK(ov["top_units"] == json({{{"unit", "y.service"}, {"errors", 7}, {"entries", 7}}}));
}

TEST_CASE("overview ranks units by errors then entries, and shows no unit as null", "[dashboard]") {
  Fixture f;
  f.reader.add_cell({kH, "vm-a", "quiet.service", "q", 6, 1000});
  f.reader.add_cell({kH, "vm-a", "bad.service", "b", 3, 4});
  f.reader.add_cell({kH, "vm-a", "", "", 2, 4});
  f.reader.add_cell({kH, "vm-a", "", "", 6, 10});
  f.reader.add_cell({kH + kHour, "vm-b", "bad.service", "b", 6, 1});
  json ov = f.overview({kH, kH + 2 * kHour});
  // top_n = 2: "" (4 errors, 14 entries) before bad.service (4 errors, 5 entries); quiet is cut.
  CHECK(ov["top_units"] == json({{{"unit", nullptr}, {"errors", 4}, {"entries", 14}},
                                 {{"unit", "bad.service"}, {"errors", 4}, {"entries", 5}}}));
  CHECK(ov["top_identifiers"] == json({{{"identifier", nullptr}, {"errors", 4}, {"entries", 14}},
                                       {{"identifier", "b"}, {"errors", 4}, {"entries", 5}}}));
}

TEST_CASE("overview shows an anomaly for a spike above the pair's baseline", "[dashboard]") {
  Fixture f;
  // 48 steady hours of vm-a/nginx, then a spike in the window's last hour.
  for (uint64_t h = 0; h < 48; ++h)
    f.reader.add_cell({kH - 40 * kHour + h * kHour, "vm-a", "nginx.service", "nginx", 6, 100});
  storage::TimeWindow w{kH, kH + 9 * kHour};
  CHECK(f.overview(w)["anomalies"] == json::array());
  f.reader.add_cell({kH + 8 * kHour, "vm-a", "nginx.service", "nginx", 6, 900});
  json anomalies = f.overview(w)["anomalies"];
  REQUIRE(anomalies.size() == 1);
  CHECK(anomalies[0]["host"] == "vm-a");
  CHECK(anomalies[0]["unit"] == "nginx.service");
  CHECK(anomalies[0]["hour"] == kH + 8 * kHour);
  CHECK(anomalies[0]["kind"] == "volume");
  CHECK(anomalies[0]["value"] == 900.0);
  CHECK(anomalies[0]["baseline"] == 100.0);
  CHECK(anomalies[0]["score"].get<double>() >= 4);
}

TEST_CASE("overview fails with the reader's error", "[dashboard]") {
  for (const char* method : {"volume_by_priority", "host_unit_hours", "top_identifiers"}) {
    INFO(method);
    Fixture f;
    f.reader.fail_next(method, Status::unavailable("replica down"));
    auto r = f.dash.overview({kH, kH + kHour}, std::nullopt);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.status().code() == StatusCode::kUnavailable);
    CHECK(r.status().message() == "replica down");
  }
}

TEST_CASE("the default window is the 24 hours up to the end of the newest hour with data",
          "[dashboard]") {
  Fixture f;
  bool is_default = false;
  SECTION("with data") {
    f.reader.add_cell({kH + 5 * kHour, "vm-a", "x", "x", 6, 1});
    f.reader.add_cell({kH + 2 * kHour, "vm-a", "x", "x", 6, 1});
    auto w = f.dash.window(std::nullopt, std::nullopt, &is_default);
    REQUIRE(w.has_value());
    CHECK(is_default);
    CHECK(w->to_usec == kH + 6 * kHour);
    CHECK(w->from_usec == kH + 6 * kHour - 24 * kHour);
  }
  SECTION("without data: up to the end of the current hour") {
    f.now = kH + 90 * 60 * 1000000ULL;  // 01:30 into the hour kH
    auto w = f.dash.window(std::nullopt, std::nullopt, &is_default);
    REQUIRE(w.has_value());
    CHECK(w->to_usec == kH + 2 * kHour);
    CHECK(w->from_usec == kH + 2 * kHour - 24 * kHour);
  }
  SECTION("the reader's failure") {
    f.reader.fail_next("newest_hour_usec", Status::permission_denied("no SELECT"));
    auto w = f.dash.window(std::nullopt, std::nullopt, &is_default);
    CHECK(w.status().code() == StatusCode::kPermissionDenied);
  }
}

TEST_CASE("a given window is used as it is, and from must be before to", "[dashboard]") {
  Fixture f;
  bool is_default = true;
  auto w = f.dash.window(kH, kH + kHour, &is_default);
  REQUIRE(w.has_value());
  CHECK_FALSE(is_default);
  CHECK(w->from_usec == kH);
  CHECK(w->to_usec == kH + kHour);
  w = f.dash.window(kH, std::nullopt, &is_default);  // up to now
  REQUIRE(w.has_value());
  CHECK(w->to_usec == f.now);
  w = f.dash.window(std::nullopt, kH, &is_default);  // the 24 hours before `to`
  REQUIRE(w.has_value());
  CHECK(w->from_usec == kH - 24 * kHour);
  w = f.dash.window(std::nullopt, kHour, &is_default);  // not before the epoch
  REQUIRE(w.has_value());
  CHECK(w->from_usec == 0);
  CHECK(f.dash.window(kH, kH, &is_default).status().code() == StatusCode::kInvalidArgument);
  CHECK(f.dash.window(kH + 1, kH, &is_default).status().code() == StatusCode::kInvalidArgument);
  CHECK(f.reader.calls("newest_hour_usec").empty());
}

TEST_CASE("hosts show counts, lag and staleness, and hosts without entries", "[dashboard]") {
  Fixture f;
  uint64_t now = f.now;
  uint64_t s = 1000000;
  f.reader.add_host({"fresh", R"({"role":"web"})", now - 10 * s, now - 4 * s});
  f.reader.add_host({"stale", "not json", now - 3600 * s, now - 901 * s});
  f.reader.add_host({"never", "{}", std::nullopt, std::nullopt});
  f.reader.add_cell({kH, "fresh", "x", "x", 3, 4});
  f.reader.add_cell({kH + kHour, "fresh", "x", "x", 6, 6});
  auto r = f.dash.hosts({kH, kH + 3 * kHour});
  REQUIRE(r.has_value());
  json hosts = (*r)["hosts"];
  REQUIRE(hosts.size() == 3);
  CHECK(hosts[0]["host"] == "fresh");  // by name
  CHECK(hosts[0]["labels"] == json({{"role", "web"}}));
  CHECK(hosts[0]["entries"] == 10);
  CHECK(hosts[0]["errors"] == 4);
  CHECK(hosts[0]["last_entry"] == now - 10 * s);
  CHECK(hosts[0]["last_collected"] == now - 4 * s);
  CHECK(hosts[0]["lag_s"] == 6.0);
  CHECK(hosts[0]["stale"] == false);
  CHECK(hosts[1]["host"] == "never");
  CHECK(hosts[1]["entries"] == 0);
  CHECK(hosts[1]["last_entry"] == nullptr);
  CHECK(hosts[1]["lag_s"] == nullptr);
  CHECK(hosts[1]["stale"] == true);
  CHECK(hosts[2]["host"] == "stale");
  CHECK(hosts[2]["labels"] == json::object());
  CHECK(hosts[2]["stale"] == true);  // polled 901 s ago, stale_after is 900 s
  f.reader.fail_next("hosts", Status::unavailable("down"));
  CHECK(f.dash.hosts({kH, kH + kHour}).status().code() == StatusCode::kUnavailable);
}

TEST_CASE("freshness reports the heartbeat's age, staleness and a replica that does not answer",
          "[dashboard]") {
  Fixture f;
  json out = f.dash.freshness();
  CHECK(out["replica_ok"] == true);
  CHECK(out["heartbeat"] == nullptr);
  CHECK(out["stale"] == true);
  CHECK(out["threshold_s"] == 900);
  f.reader.set_heartbeat(f.now - 30 * 1000000ULL);
  out = f.dash.freshness();
  CHECK(out["heartbeat"] == f.now - 30 * 1000000ULL);
  CHECK(out["age_s"] == 30.0);
  CHECK(out["stale"] == false);
  f.reader.set_heartbeat(f.now - 901 * 1000000ULL);
  CHECK(f.dash.freshness()["stale"] == true);
  f.reader.fail_next("heartbeat_usec", Status::unavailable("cannot connect to replica:3306"));
  out = f.dash.freshness();
  CHECK(out["replica_ok"] == false);
  CHECK(out["stale"] == true);
  CHECK(out["error"] == "cannot connect to replica:3306");
}

TEST_CASE("search passes the query through and pages with the key's text", "[dashboard]") {
  Fixture f;
  std::string seqid(16, '\x07');
  for (uint64_t i = 1; i <= 3; ++i) {
    storage::SearchRow r;
    r.key = {kH + i, 4, seqid, i};
    r.host = "vm-a";
    r.priority = 3;
    r.unit = "x.service";
    r.message = i == 2 ? std::string("bin\xff", 4) : "line " + std::to_string(i);
    f.reader.add_entry(r);
  }
  storage::SearchQuery q;
  q.window = {kH, kH + kHour};
  q.host = "vm-a";
  q.limit = 2;
  auto r = f.dash.search(q);
  REQUIRE(r.has_value());
  auto calls = f.reader.calls("search");
  REQUIRE(calls.size() == 1);
  CHECK(calls[0].search->host == "vm-a");
  CHECK(calls[0].search->limit == 2);
  json entries = (*r)["entries"];
  REQUIRE(entries.size() == 2);
  CHECK(entries[0]["time"] == kH + 3);  // newest first
  CHECK(entries[0]["message"] == "line 3");
  CHECK(entries[0]["id"] == storage::SearchKey{kH + 3, 4, seqid, 3}.to_string());
  CHECK(entries[1]["message"] == json({{"bytes", {98, 105, 110, 255}}}));
  CHECK(entries[1]["pid"] == nullptr);
  storage::SearchKey next{kH + 2, 4, seqid, 2};
  CHECK((*r)["next"] == next.to_string());
  q.after = next;
  r = f.dash.search(q);
  REQUIRE(r.has_value());
  CHECK((*r)["entries"].size() == 1);
  CHECK((*r)["next"] == nullptr);
  f.reader.fail_next("search", Status::invalid_argument("bad"));
  CHECK(f.dash.search(q).status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("an entry comes back whole, and a missing or damaged one says so", "[dashboard]") {
  Fixture f;
  storage::SearchRow r;
  r.key = {kH, 1, std::string(16, '\x01'), 5};
  r.host = "vm-a";
  r.message = "hello";
  f.reader.add_entry(r, R"({"PRIORITY":"6"})");
  auto e = f.dash.entry(r.key);
  REQUIRE(e.has_value());
  CHECK((*e)["fields"] == json({{"PRIORITY", "6"}, {"MESSAGE", "hello"}}));
  CHECK((*e)["host"] == "vm-a");
  CHECK(f.dash.entry({kH, 1, std::string(16, '\x01'), 6}).status().code() == StatusCode::kNotFound);
  storage::SearchRow bad = r;
  bad.key.seqnum = 7;
  f.reader.add_entry(bad, "[1]");
  CHECK(f.dash.entry(bad.key).status().code() == StatusCode::kCorruption);
}

TEST_CASE("gaps come newest first with their cursors", "[dashboard]") {
  Fixture f;
  f.reader.add_gap({"vm-a", "c1", "c2", kH + 10, "vacuumed", kH + 20});
  f.reader.add_gap({"vm-a", "c3", "c4", kH + 30, "vacuumed", kH + 40});
  f.reader.add_gap({"vm-b", "c5", "c6", kH + 50, "vacuumed", kH + 60});
  auto g = f.dash.gaps({kH, kH + kHour}, "vm-a");
  REQUIRE(g.has_value());
  json gaps = (*g)["gaps"];
  REQUIRE(gaps.size() == 2);
  CHECK(gaps[0]["first_entry"] == kH + 30);
  CHECK(gaps[0]["last_cursor"] == "c3");
  CHECK(gaps[1]["first_cursor"] == "c2");
  f.reader.fail_next("gaps", Status::internal("boom"));
  CHECK(f.dash.gaps({kH, kH + kHour}, std::nullopt).status().code() == StatusCode::kInternal);
}

// /api/context over a FakeLogReader: the entries around one in journal order, paging both
// ways, and the parameters it refuses (docs/dashboard-api.md).

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

struct TestServe {
  TestServe() {
    server = std::move(*http::Server::create({}));
    http::attach_dashboard_routes(*server, dash, reader, metrics, assets);
    port = server->bind_to_any_port("127.0.0.1");
    thread = std::thread([this] { server->listen_after_bind(); });
    while (!server->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~TestServe() {
    server->stop();
    thread.join();
  }
  json get(const std::string& path, int want_status = 200) {
    httplib::Client c("127.0.0.1", port);
    auto res = c.Get(path.c_str());
    REQUIRE(res);
    INFO(path << " -> " << res->status << " " << res->body);
    REQUIRE(res->status == want_status);
    return json::parse(res->body);
  }

  test::FakeLogReader reader;
  dashboard::Dashboard dash{reader, dashboard::DashboardOptions{}};
  MetricsRegistry metrics;
  std::vector<http::StaticAsset> assets;
  std::unique_ptr<http::Server> server;
  int port = 0;
  std::thread thread;
};

const std::string kSeqA(16, '\x0a');
const std::string kSeqB(16, '\x0b');

// Host vm-1 (id 1): entry i at time 1000 * (i / 3), so three entries share each time, the
// first of each three under seqnum ID B and the others under A: in journal order A's come
// first at each time. Every fourth entry is cron.service, the others nginx.service. Host vm-2
// (id 2) has entries at the same times, which context never shows for vm-1.
std::vector<storage::SearchKey> fill(test::FakeLogReader& reader, size_t n) {
  std::vector<storage::SearchKey> order;
  for (size_t i = 0; i < n; ++i) {
    for (uint32_t host : {1u, 2u}) {
      storage::SearchRow r;
      r.key = {1000 * (i / 3), host, i % 3 == 0 ? kSeqB : kSeqA, 100 + i};
      r.host = "vm-" + std::to_string(host);
      r.unit = i % 4 == 0 ? "cron.service" : "nginx.service";
      r.message = "entry " + std::to_string(i) + " <b>bold</b>";
      reader.add_entry(r);
    }
  }
  // The journal order of vm-1, worked out by hand: at each time, A's seqnums then B's.
  for (size_t t = 0; t * 3 < n; ++t) {
    for (size_t i : {t * 3 + 1, t * 3 + 2, t * 3}) {
      if (i < n) order.push_back({1000 * t, 1, i % 3 == 0 ? kSeqB : kSeqA, 100 + i});
    }
  }
  return order;
}

std::vector<std::string> ids(const json& res) {
  std::vector<std::string> out;
  for (const auto& e : res["entries"]) out.push_back(e["id"]);
  return out;
}

std::vector<std::string> slice(const std::vector<storage::SearchKey>& keys, size_t from,
                               size_t to) {
  std::vector<std::string> out;
  for (size_t i = from; i < to; ++i) out.push_back(keys[i].to_string());
  return out;
}

}  // namespace

TEST_CASE("context shows the entries around one in journal order, ties included",
          "[http][dashboard][context]") {
  TestServe serve;
  auto order = fill(serve.reader, 60);
  const std::string anchor = order[30].to_string();
  json res = serve.get("/api/context?id=" + anchor + "&before=4&after=5");
  CHECK(ids(res) == slice(order, 26, 36));
  CHECK(res["anchor"] == anchor);
  CHECK(res["host"] == "vm-1");
  CHECK(res["older"] == order[26].to_string());
  CHECK(res["newer"] == order[35].to_string());
  // Hostile text stays data: the message is passed on as it is.
  CHECK(res["entries"][4]["message"].get<std::string>().find("<b>bold</b>") != std::string::npos);

  // Paging older from the cursor, to the start of the host's entries.
  json older = serve.get("/api/context?older=" + res["older"].get<std::string>() + "&before=20");
  CHECK(ids(older) == slice(order, 6, 26));
  CHECK(older["anchor"].is_null());
  older = serve.get("/api/context?older=" + older["older"].get<std::string>() + "&before=20");
  CHECK(ids(older) == slice(order, 0, 6));
  CHECK(older["older"].is_null());
  // And newer, to the end.
  json newer = serve.get("/api/context?newer=" + res["newer"].get<std::string>() + "&after=500");
  CHECK(ids(newer) == slice(order, 36, 60));
  CHECK(newer["newer"].is_null());

  // Defaults: 20 each way.
  res = serve.get("/api/context?id=" + anchor);
  CHECK(ids(res) == slice(order, 10, 51));
  // 0 on a side shows none there, and the cursor is the entry itself.
  res = serve.get("/api/context?id=" + anchor + "&before=0&after=0");
  CHECK(ids(res) == slice(order, 30, 31));
  CHECK(res["older"] == anchor);
  CHECK(res["newer"] == anchor);
}

TEST_CASE("context can keep to the entry's unit", "[http][dashboard][context]") {
  TestServe serve;
  auto order = fill(serve.reader, 60);
  // `cron` is completed to cron.service, as search's unit is.
  json res = serve.get("/api/context?id=" + order[30].to_string() + "&before=3&after=3&unit=cron");
  std::vector<json> entries = res["entries"];
  REQUIRE(entries.size() == 7);
  for (size_t i = 0; i < entries.size(); ++i) {
    if (i == 3) continue;  // the entry itself, whatever its unit
    CHECK(entries[i]["unit"] == "cron.service");
  }
  for (size_t i = 1; i < entries.size(); ++i) {
    CHECK(entries[i - 1]["time"].get<uint64_t>() <= entries[i]["time"].get<uint64_t>());
  }
}

TEST_CASE("context refuses what it cannot answer, naming the parameter",
          "[http][dashboard][context]") {
  TestServe serve;
  auto order = fill(serve.reader, 9);
  const std::string id = order[4].to_string();
  auto refused = [&](const std::string& query, const std::string& parameter) {
    json res = serve.get("/api/context?" + query, 400);
    CHECK(res["parameter"] == parameter);
  };
  refused("id=" + id + "&before=501", "before");
  refused("id=" + id + "&after=1000", "after");
  refused("id=" + id + "&after=-1", "after");
  refused("id=" + id + "&before=ten", "before");
  refused("before=3", "id");
  refused("id=nonsense", "id");
  refused("id=" + id + "&older=" + id, "older");
  refused("older=" + id + "&after=3", "after");
  refused("newer=" + id + "&before=3", "before");
  refused("id=" + id + "&host=vm-2", "host");
  refused("id=" + id + "&q=x", "q");
  CHECK(serve.get("/api/context?id=" + id + "&host=vm-1")["entries"].size() == 9);
  CHECK(serve.get("/api/context?id=" + id + "&before=500&after=500")["entries"].size() == 9);
  // An id that is not stored.
  storage::SearchKey missing = order[4];
  missing.seqnum = 999;
  CHECK(serve.get("/api/context?id=" + missing.to_string(), 404)["error"] == "no such entry");
  // As a cursor, a position need not be stored: seqnum 999 under A sorts after A's 104 and
  // 105 at that time, before B's 103.
  CHECK(ids(serve.get("/api/context?older=" + missing.to_string())) == slice(order, 0, 5));
  // The database's failure is the server's.
  serve.reader.fail_next("context", Status::unavailable("cannot connect to replica-7"));
  json res = serve.get("/api/context?id=" + id, 503);
  CHECK(res["error"] == "database unavailable");
  CHECK(res.dump().find("replica-7") == std::string::npos);
}

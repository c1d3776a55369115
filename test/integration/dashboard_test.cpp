// infralogs serve and infralogs query on the replica, with data collected from real agents.

#include <httplib.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <set>
#include <sstream>

#include "integration/collected.h"
#include "integration/db_support.h"
#include "integration/support.h"

using namespace infralogs::itest;
using nlohmann::json;

namespace {

json get_json(httplib::Client& c, const std::string& path, int want_status = 200) {
  auto res = c.Get(path.c_str());
  REQUIRE(res);
  INFO(path << " -> " << res->status << " " << res->body.substr(0, 500));
  REQUIRE(res->status == want_status);
  CHECK(res->get_header_value("Content-Type") == "application/json");
  return json::parse(res->body);
}

// Every entry of a search, following `next` page by page (`query`: the parameters, with limit).
std::vector<json> search_all(httplib::Client& c, const std::string& query) {
  std::vector<json> all;
  std::string after;
  for (int page = 0; page < 1000; ++page) {
    json res = get_json(c, "/api/search?" + query + (after.empty() ? "" : "&after=" + after));
    for (auto& e : res["entries"]) all.push_back(e);
    if (res["next"].is_null()) break;
    after = res["next"];
  }
  return all;
}

uint64_t sum(const json& a) {
  uint64_t s = 0;
  for (const auto& v : a) s += v.get<uint64_t>();
  return s;
}

}  // namespace

TEST_CASE("the dashboard API answers every number from the replica", "[integration][dashboard]") {
  Collected data;
  AgentProcess serve(
      {"--db", data.db.replica_url, "--db-credentials-file", data.db.reader_credentials}, "serve");
  httplib::Client c("127.0.0.1", serve.port());
  size_t total = 0;
  for (const auto& f : data.files) total += journalctl_json({"--file", f}).size();

  json ov = get_json(c, "/api/overview");
  CHECK(ov["window"]["default"] == true);
  CHECK(ov["totals"]["entries"] == total);
  CHECK(ov["totals"]["hosts"] == 3);
  uint64_t by_prio = 0;
  for (const auto& [k, v] : ov["volume"]["by_priority"].items()) by_prio += sum(v);
  CHECK(by_prio == total);
  CHECK(sum(ov["volume"]["errors"]) == ov["totals"]["errors"].get<uint64_t>());
  CHECK(ov["volume"]["hours"].size() == 24);
  CHECK(ov["heatmap"]["hosts"] == json::array({"vm-01", "vm-02", "vm-03"}));
  CHECK(!ov["top_units"].empty());
  CHECK(!ov["top_identifiers"].empty());
  CHECK(ov.contains("anomalies"));
  json one = get_json(c, "/api/overview?host=vm-02");
  CHECK(one["totals"]["hosts"] == 1);
  CHECK(one["totals"]["entries"] == journalctl_json({"--file", data.files[1]}).size());

  json hosts = get_json(c, "/api/hosts");
  REQUIRE(hosts["hosts"].size() == 3);
  for (const auto& h : hosts["hosts"]) {
    CHECK(h["stale"] == false);
    CHECK(h["last_entry"].is_number());
    CHECK(h["last_collected"].is_number());
  }
  json fresh = get_json(c, "/api/freshness");
  CHECK(fresh["replica_ok"] == true);
  CHECK(fresh["stale"] == false);
  CHECK(fresh["age_s"].get<double>() < 120);
  CHECK(get_json(c, "/api/gaps")["gaps"].empty());

  SECTION("search pages with keyset paging through every match, newest first") {
    std::vector<json> all = search_all(c, "host=vm-01&limit=37");
    CHECK(all.size() == journalctl_json({"--file", data.files[0]}).size());
    std::set<std::string> ids;
    for (size_t i = 0; i < all.size(); ++i) {
      ids.insert(all[i]["id"].get<std::string>());
      CHECK(all[i]["host"] == "vm-01");
      if (i) CHECK(all[i - 1]["time"].get<uint64_t>() >= all[i]["time"].get<uint64_t>());
    }
    CHECK(ids.size() == all.size());
  }
  SECTION("search without host or unit pages through every entry once, equal timestamps included") {
    // Whole 10-second stamps: many entries, of one host and of several, share a timestamp,
    // so page boundaries fall inside runs of equal times.
    data.pair.primary(
        "UPDATE infralogs.entries SET realtime_us = realtime_us - realtime_us % 10000000");
    data.pair.sync_replica();
    std::vector<json> all = search_all(c, "limit=7");
    CHECK(all.size() == total);
    std::set<std::string> ids;
    size_t ties = 0;
    for (size_t i = 0; i < all.size(); ++i) {
      ids.insert(all[i]["id"].get<std::string>());
      if (i && all[i - 1]["time"] == all[i]["time"]) ++ties;
      if (i) CHECK(all[i - 1]["time"].get<uint64_t>() >= all[i]["time"].get<uint64_t>());
    }
    CHECK(ids.size() == total);
    CHECK(ties > total / 2);
  }
  SECTION("a search whose time-index walk runs out of rows answers from the whole window") {
    AgentProcess tight({"--db", data.db.replica_url, "--db-credentials-file",
                        data.db.reader_credentials, "--search-walk-rows", "20"},
                       "serve");
    httplib::Client t("127.0.0.1", tight.port());
    // 3 matches among 1200 entries: the 20-row walk finds at most a few, then gives up.
    json rare = get_json(t, "/api/search?q=hostile%20html");
    CHECK(rare["entries"].size() == 3);
    CHECK(rare["entries"] == get_json(c, "/api/search?q=hostile%20html")["entries"]);
    // Paging through everything: every page longer than the walk allows.
    std::vector<json> all = search_all(t, "limit=50");
    CHECK(all.size() == total);
    CHECK(all == search_all(c, "limit=50"));
  }
  SECTION("search filters by unit, priority and text") {
    for (const auto& e : get_json(c, "/api/search?unit=nginx.service&limit=500")["entries"])
      CHECK(e["unit"] == "nginx.service");
    for (const auto& e : get_json(c, "/api/search?priority=err&limit=500")["entries"])
      CHECK(e["priority"].get<int>() <= 3);
    json html = get_json(c, "/api/search?q=hostile%20html");
    REQUIRE(html["entries"].size() == 3);  // one per host
    CHECK(html["entries"][0]["message"].get<std::string>().find("<script>alert('xss')</script>") !=
          std::string::npos);
    json bin = get_json(c, "/api/search?host=vm-02&q=before");
    REQUIRE(bin["entries"].size() == 1);
    CHECK(bin["entries"][0]["message"]["bytes"].size() > 12);
    CHECK(bin["entries"][0]["message"]["bytes"][19] ==
          0);  // "hostile nul: before", NUL, "after"...
  }
  SECTION("entry detail gives every field as journalctl does") {
    json bin = get_json(c, "/api/search?host=vm-03&q=before");
    REQUIRE(bin["entries"].size() == 1);
    json detail = get_json(c, "/api/entry?id=" + bin["entries"][0]["id"].get<std::string>());
    auto want = journalctl_json({"--file", data.files[2], "HOSTILE=nul-binary"});
    REQUIRE(want.size() == 1);
    CHECK(detail["fields"] == want[0]);
    get_json(c, "/api/entry?id=1-1-00000000000000000000000000000000-1", 404);
  }
  SECTION("bad parameters get 400 naming them") {
    for (const auto& [path, param] : std::vector<std::pair<std::string, std::string>>{
             {"/api/overview?from=soon", "from"},
             {"/api/overview?bogus=1", "bogus"},
             {"/api/search?limit=0", "limit"},
             {"/api/search?priority=loud", "priority"},
             {"/api/search?after=zzz", "after"},
             {"/api/entry?id=nope", "id"},
             {"/api/overview?from=@20&to=@10", "from"}}) {
      CHECK(get_json(c, path, 400)["parameter"] == param);
    }
  }
  SECTION("every response forbids inline script and sniffing") {
    for (const char* path : {"/", "/host?host=vm-01", "/search", "/static/app.js",
                             "/static/bokeh.min.js", "/api/overview", "/nope"}) {
      auto res = c.Get(path);
      REQUIRE(res);
      INFO(path);
      CHECK(res->get_header_value("Content-Security-Policy").find("script-src 'self'") !=
            std::string::npos);
      CHECK(res->get_header_value("Content-Security-Policy").find("unsafe-inline'; img") !=
            std::string::npos);
      CHECK(res->get_header_value("X-Content-Type-Options") == "nosniff");
    }
    auto page = c.Get("/");
    CHECK(page->status == 200);
    CHECK(page->body.find("/static/bokeh.min.js") != std::string::npos);
    auto bokeh = c.Get("/static/bokeh.min.js");
    CHECK(bokeh->body.size() > 1000000);
    CHECK(bokeh->get_header_value("Content-Type").find("javascript") != std::string::npos);
  }
}

TEST_CASE("the dashboard says so when the replica is down, and recovers",
          "[integration][dashboard]") {
  Collected data;
  AgentProcess serve(
      {"--db", data.db.replica_url, "--db-credentials-file", data.db.reader_credentials}, "serve");
  httplib::Client c("127.0.0.1", serve.port());
  CHECK(c.Get("/healthz")->status == 200);
  data.pair.stop_replica();
  auto health = c.Get("/healthz");
  CHECK(health->status == 503);
  CHECK(json::parse(health->body)["reason"].get<std::string>().find("cannot connect") !=
        std::string::npos);
  json fresh = get_json(c, "/api/freshness");
  CHECK(fresh["replica_ok"] == false);
  CHECK(fresh["stale"] == true);
  CHECK(!fresh["error"].get<std::string>().empty());
  CHECK(get_json(c, "/api/overview", 503).contains("error"));
  CHECK(c.Get("/")->status == 200);  // the page still loads and shows the banner
  data.pair.start_replica();
  CHECK(c.Get("/healthz")->status == 200);
  CHECK(get_json(c, "/api/freshness")["replica_ok"] == true);
}

TEST_CASE("query prints entries like journalctl, in every format", "[integration][query]") {
  Collected data;
  auto json_lines = data.query({"-H", "vm-01", "-n", "5", "-o", "json"});
  REQUIRE(json_lines.size() == 5);
  auto want = journalctl_json({"--file", data.files[0]});
  for (size_t i = 0; i < 5; ++i) {
    json got = json::parse(json_lines[i]);
    CHECK(got["host"] == "vm-01");
    CHECK(got["realtime_usec"] ==
          std::stoull(want[want.size() - 5 + i]["__REALTIME_TIMESTAMP"].get<std::string>()));
  }
  for (const auto& l : data.query({"-p", "err", "-n", "200", "-o", "json"}))
    CHECK(json::parse(l)["priority"].get<int>() <= 3);
  for (const auto& l : data.query({"-u", "nginx", "-n", "100", "-o", "json"}))
    CHECK(json::parse(l)["unit"] == "nginx.service");
  auto grep = data.query({"-g", "before", "-H", "vm-02"});
  REQUIRE(grep.size() == 1);
  CHECK(grep[0].find("before\\x00after\\x00end") != std::string::npos);
  auto csv = data.query({"-n", "3", "-o", "csv"});
  CHECK(csv.size() == 4);
  CHECK(csv[0] == "time,host,priority,unit,identifier,pid,message");
  auto table = data.query({"-n", "3", "-o", "table"});
  CHECK(table[0].rfind("TIME", 0) == 0);
  auto since = data.query(
      {"-S",
       "@" + std::to_string(std::stoull(want.back()["__REALTIME_TIMESTAMP"].get<std::string>()) /
                            1000000),
       "-H", "vm-01", "-o", "json"});
  CHECK(since.size() >= 1);
  CHECK(since.size() <= 3);
}

TEST_CASE("query fails clearly on bad options and an unreachable database",
          "[integration][query]") {
  TempDir d;
  std::string creds = d.write("c.json", R"({"username": "u", "password": "pw-not-shown"})");
  auto r = run({infralogs_binary(), "query", "--db", "mysql://127.0.0.1:1/x",
                "--db-credentials-file", creds});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("infralogs query: cannot connect to 127.0.0.1:1/x") != std::string::npos);
  CHECK(r.err.find("pw-not-shown") == std::string::npos);
  r = run({infralogs_binary(), "query", "--db", "mysql://127.0.0.1:1/x", "--db-credentials-file",
           creds, "-o", "xml"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("-o") != std::string::npos);
  r = run({infralogs_binary(), "query", "--db", "mysql://127.0.0.1:1/x", "--db-credentials-file",
           creds, "-p", "loud"});
  CHECK(r.exit_code == 2);
  r = run({infralogs_binary(), "query", "--db", "mysql://127.0.0.1:1/x", "--db-credentials-file",
           creds, "-S", "whenever"});
  CHECK(r.exit_code == 2);
  r = run({infralogs_binary(), "query", "--db-credentials-file", creds});
  CHECK(r.exit_code != 0);
  CHECK(r.err.find("--db") != std::string::npos);
}

TEST_CASE("query pages through $PAGER on a terminal and writes plainly to a pipe",
          "[integration][query]") {
  Collected data;
  std::string cmd = infralogs_binary() + " query --db " + data.db.replica_url +
                    " --db-credentials-file " + data.db.reader_credentials + " -n 3";
  // `script` gives the command a terminal.
  auto tty = run({"script", "-qec", cmd, "/dev/null"}, {"PAGER=sed s/^/PAGED:/"});
  REQUIRE(tty.exit_code == 0);
  CHECK(std::count(tty.out.begin(), tty.out.end(), '\n') >= 3);
  CHECK(tty.out.find("PAGED:") != std::string::npos);
  auto pipe = run({"sh", "-c", cmd + " | cat"}, {"PAGER=sed s/^/PAGED:/"});
  REQUIRE(pipe.exit_code == 0);
  CHECK(pipe.out.find("PAGED:") == std::string::npos);
  CHECK(std::count(pipe.out.begin(), pipe.out.end(), '\n') == 3);
}

// infralogs serve and infralogs query on the replica, with data collected from real agents.

#include <httplib.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "support/binaries.h"
#include "support/collected.h"
#include "support/exit_codes.h"
#include "support/journal.h"
#include "support/mariadb_pair.h"
#include "support/process.h"
#include "support/server_process.h"
#include "support/temp_dir.h"

using namespace infralogs::test;
using nlohmann::json;

namespace {

constexpr uint64_t kSecondUsec = 1000000;
constexpr uint64_t kHourUsec = 3600 * kSecondUsec;
// make-journal's default --start (2025-01-01T00:00:00Z, on an hour) and --entries per host.
constexpr uint64_t kStartUsec = 1735689600000000;
constexpr size_t kEntries = 400;
// The error burst: vm-01 logs kBurstEntries more entries within one hour, kBurstHour hours after
// its first ones. Its (host, unit) pairs then have a baseline of kBurstHour hours (hour 0 and
// empty hours), more than the 12 the anomaly rule needs, and 2.5 times hour 0's volume in an
// hour: the busiest units cross every threshold of docs/dashboard-api.md "Anomalies", for
// errors and for volume. vm-02 and vm-03 have only hour 0, so no baseline and no anomaly.
constexpr uint64_t kBurstHour = 14;
constexpr size_t kBurstEntries = 1000;

void add_error_burst(Fleet& fleet) {
  // Entry i of a host is at --start + i seconds: continuing at i = kEntries puts the burst's
  // first entry on the hour.
  uint64_t start = kStartUsec + kBurstHour * kHourUsec - kEntries * kSecondUsec;
  generate_journal(fleet.files()[0],
                   {"--hosts", "1", "--entries", std::to_string(kBurstEntries), "--skip",
                    std::to_string(kEntries), "--start", std::to_string(start)});
}

json get_json(httplib::Client& c, const std::string& path, int want_status = 200) {
  auto res = c.Get(path.c_str());
  REQUIRE(res);
  INFO(path << " -> " << res->status << " " << res->body.substr(0, 500));
  REQUIRE(res->status == want_status);
  CHECK(res->get_header_value("Content-Type") == "application/json");
  return json::parse(res->body);
}

// Every entry of a search, following `next` page by page (`query`: the parameters, with limit;
// `after`: where to start), at most 1000 pages; `pages`: how many it took.
std::vector<json> search_all(httplib::Client& c, const std::string& query, size_t* pages = nullptr,
                             std::string after = "") {
  std::vector<json> all;
  size_t page = 0;
  while (page < 1000) {
    json res = get_json(c, "/api/search?" + query + (after.empty() ? "" : "&after=" + after));
    ++page;
    for (auto& e : res["entries"]) all.push_back(e);
    if (res["next"].is_null()) break;
    after = res["next"];
  }
  if (pages) *pages = page;
  return all;
}

// search_all's entries as one JSON array: a page may be partial (serve's time budget on a
// loaded machine), so a search's answer is all its pages.
json entries_of(httplib::Client& c, const std::string& query) { return json(search_all(c, query)); }

uint64_t sum(const json& a) {
  uint64_t s = 0;
  for (const auto& v : a) s += v.get<uint64_t>();
  return s;
}

// journalctl's entries for `args` in every file of the fleet.
std::vector<json> journal_of_fleet(const Fleet& fleet, const std::vector<std::string>& args = {}) {
  std::vector<json> all;
  for (const auto& f : fleet.files()) {
    std::vector<std::string> a = {"--file", f};
    a.insert(a.end(), args.begin(), args.end());
    for (auto& e : journalctl_json(a)) all.push_back(std::move(e));
  }
  return all;
}

bool is_error(const json& entry) {
  // As the collector stores it: PRIORITY a number 0..7, else no priority.
  if (!entry.contains("PRIORITY") || !entry["PRIORITY"].is_string()) return false;
  const std::string p = entry["PRIORITY"];
  return p.size() == 1 && p[0] >= '0' && p[0] <= '3';
}

// What docs/dashboard-api.md "Anomalies" flags for one host, worked out from journalctl's
// entries: (unit, hour, kind) -> {value, baseline mean}. Valid for a host with data in at most
// two hours (the first and the burst), which is what this test makes.
using AnomalyKey = std::tuple<std::string, uint64_t, std::string>;
std::map<AnomalyKey, std::pair<double, double>> expected_anomalies(const std::vector<json>& host) {
  std::map<std::pair<std::string, uint64_t>, std::pair<double, double>> cells;  // entries, errors
  std::map<std::string, uint64_t> first_hour;
  for (const auto& e : host) {
    std::string unit = e.contains("_SYSTEMD_UNIT") && e["_SYSTEMD_UNIT"].is_string()
                           ? e["_SYSTEMD_UNIT"].get<std::string>()
                           : "";
    uint64_t hour = std::stoull(e["__REALTIME_TIMESTAMP"].get<std::string>()) / kHourUsec;
    auto& cell = cells[{unit, hour}];
    cell.first += 1;
    cell.second += is_error(e) ? 1 : 0;
    auto [it, inserted] = first_hour.emplace(unit, hour);
    if (!inserted) it->second = std::min(it->second, hour);
  }
  std::map<AnomalyKey, std::pair<double, double>> out;
  for (const auto& [key, cell] : cells) {
    const auto& [unit, hour] = key;
    uint64_t start = std::max(hour - std::min<uint64_t>(hour, 24), first_hour[unit]);
    if (hour < start + 12) continue;
    for (bool errors : {false, true}) {
      double x = errors ? cell.second : cell.first;
      // The baseline hours hold data only in the first hour; the others count 0.
      auto base = cells.find({unit, start});
      double b0 = base == cells.end() ? 0 : (errors ? base->second.second : base->second.first);
      double n = static_cast<double>(hour - start);
      double mean = b0 / n, sd = std::sqrt(b0 * b0 / n - mean * mean);
      double score = (x - mean) / std::max(sd, 1.0);
      if (x >= 20 && x >= 3 * mean && score >= 4)
        out[{unit, hour * kHourUsec, errors ? "errors" : "volume"}] = {x, mean};
    }
  }
  return out;
}

// The checks below share one Collected fixture (a MariaDB pair, three agents and a collect run)
// and run in order; each names what it checks, so a failure says which part of the API broke.

void check_overview(httplib::Client& c, const Collected& data, size_t total) {
  INFO("check: /api/overview adds up to what the journals hold");
  json ov = get_json(c, "/api/overview");
  CHECK(ov["window"]["default"] == true);
  CHECK(ov["totals"]["entries"] == total);
  CHECK(ov["totals"]["hosts"] == 3);
  uint64_t by_prio = 0;
  for (const auto& [k, v] : ov["volume"]["by_priority"].items()) by_prio += sum(v);
  CHECK(by_prio == total);
  CHECK(sum(ov["volume"]["errors"]) == ov["totals"]["errors"].get<uint64_t>());
  CHECK(ov["totals"]["errors"] == journal_of_fleet(data.fleet, {"-p", "err"}).size());
  CHECK(ov["volume"]["hours"].size() == 24);
  CHECK(ov["heatmap"]["hosts"] == json::array({"vm-01", "vm-02", "vm-03"}));
  CHECK(!ov["top_units"].empty());
  CHECK(!ov["top_identifiers"].empty());
  json one = get_json(c, "/api/overview?host=vm-02");
  CHECK(one["totals"]["hosts"] == 1);
  CHECK(one["totals"]["entries"] == journalctl_json({"--file", data.fleet.files()[1]}).size());
}

void check_anomalies(httplib::Client& c, const Collected& data) {
  INFO("check: /api/overview reports vm-01's error burst as anomalies, and nothing else");
  auto want = expected_anomalies(journalctl_json({"--file", data.fleet.files()[0]}));
  const AnomalyKey errors_burst = {"nginx.service",
                                   (kStartUsec / kHourUsec + kBurstHour) * kHourUsec, "errors"};
  REQUIRE(want.count(errors_burst) == 1);  // the data makes the burst it is meant to
  json anomalies = get_json(c, "/api/overview")["anomalies"];
  std::map<AnomalyKey, std::pair<double, double>> got;
  double previous_score = INFINITY;
  for (const auto& a : anomalies) {
    INFO("anomaly " << a.dump());
    CHECK(a["host"] == "vm-01");
    CHECK(a["score"].get<double>() <= previous_score);  // sorted by score, highest first
    previous_score = a["score"].get<double>();
    std::string unit = a["unit"].is_null() ? "" : a["unit"].get<std::string>();
    got[{unit, a["hour"].get<uint64_t>(), a["kind"].get<std::string>()}] = {
        a["value"].get<double>(), a["baseline"].get<double>()};
  }
  REQUIRE(got.size() == want.size());
  for (const auto& [key, value] : want) {
    INFO("expected " << std::get<0>(key) << " at " << std::get<1>(key) << " (" << std::get<2>(key)
                     << "): value " << value.first << ", baseline " << value.second);
    REQUIRE(got.count(key) == 1);
    CHECK(got[key].first == value.first);
    CHECK(got[key].second == Approx(value.second));
  }
  // The host filter applies: vm-01 alone gives the same list, vm-02 none.
  CHECK(get_json(c, "/api/overview?host=vm-01")["anomalies"] == anomalies);
  CHECK(get_json(c, "/api/overview?host=vm-02")["anomalies"].empty());
}

void check_hosts_and_freshness(httplib::Client& c) {
  INFO("check: /api/hosts, /api/freshness and /api/gaps");
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
}

void check_search_paging(httplib::Client& c, const Collected& data) {
  INFO("check: search pages with keyset paging through every match, newest first");
  std::vector<json> all = search_all(c, "host=vm-01&limit=37");
  CHECK(all.size() == journalctl_json({"--file", data.fleet.files()[0]}).size());
  std::set<std::string> ids;
  for (size_t i = 0; i < all.size(); ++i) {
    ids.insert(all[i]["id"].get<std::string>());
    CHECK(all[i]["host"] == "vm-01");
    if (i) CHECK(all[i - 1]["time"].get<uint64_t>() >= all[i]["time"].get<uint64_t>());
  }
  CHECK(ids.size() == all.size());
}

void check_search_walk_fallback(httplib::Client& c, const Collected& data, size_t total) {
  INFO("check: a search whose time-index walk runs out of rows answers from the whole window");
  ServerProcess tight("serve", {"--db", data.db.replica_url, "--db-credentials-file",
                                data.db.reader_credentials, "--search-walk-rows", "20"});
  httplib::Client t("127.0.0.1", tight.port());
  // 3 matches among thousands of entries: the 20-row walk finds at most a few, then gives up.
  json rare = entries_of(t, "q=hostile%20html");
  CHECK(rare.size() == 3);
  CHECK(rare == entries_of(c, "q=hostile%20html"));
  // Paging through everything: every page longer than the walk allows.
  std::vector<json> all = search_all(t, "limit=50");
  CHECK(all.size() == total);
  CHECK(all == search_all(c, "limit=50"));
}

void check_search_filters(httplib::Client& c, const Collected& data) {
  INFO("check: search filters by unit, priority and text");
  std::vector<json> nginx = search_all(c, "unit=nginx.service&limit=500");
  CHECK(nginx.size() == journal_of_fleet(data.fleet, {"_SYSTEMD_UNIT=nginx.service"}).size());
  for (const auto& e : nginx) CHECK(e["unit"] == "nginx.service");
  std::vector<json> errors = search_all(c, "priority=err&limit=500");
  CHECK(errors.size() == journal_of_fleet(data.fleet, {"-p", "err"}).size());
  for (const auto& e : errors) CHECK(e["priority"].get<int>() <= 3);
  json html = entries_of(c, "q=hostile%20html");
  REQUIRE(html.size() == 3);  // one per host
  CHECK(html[0]["message"].get<std::string>().find("<script>alert('xss')</script>") !=
        std::string::npos);
  json bin = entries_of(c, "host=vm-02&q=before");
  REQUIRE(bin.size() == 1);
  CHECK(bin[0]["message"]["bytes"].size() > 12);
  CHECK(bin[0]["message"]["bytes"][19] == 0);  // "hostile nul: before", NUL, "after"
}

// Entries with text made to catch folding and quoting mistakes, written on the primary.
void add_case_entries(Collected& data) {
  const std::vector<std::string> messages = {
      "srchcase Kernel PANIC \xc3\x89"
      "COLE \xce\xa3\xce\x8a\xce\xa3\xce\xa5\xce\xa6\xce\x9f\xce\xa3",
      "srchcase 100% a_b c\\d x\\Ey",
      "srchcase 100x aXb cd",
      std::string("srchcase caf\xff ZEBRAQUX"),
  };
  for (size_t i = 0; i < messages.size(); ++i) {
    std::string hex;
    for (unsigned char ch : messages[i]) {
      static constexpr char kHex[] = "0123456789abcdef";
      hex += kHex[ch >> 4];
      hex += kHex[ch & 15];
    }
    data.pair.primary(
        "INSERT INTO infralogs.entries (host_id, seqnum_id, seqnum, realtime_us, monotonic_us, "
        "message, fields) SELECT host_id, UNHEX(REPEAT('ab', 16)), " +
        std::to_string(i + 1) + ", " + std::to_string(kStartUsec + 100 * kSecondUsec + i) +
        ", 1, UNHEX('" + hex + "'), '{}' FROM infralogs.hosts WHERE name = 'vm-02'");
  }
  data.pair.sync_replica();
}

// The messages (as the API gives them) of the entries of a search.
std::vector<json> messages_of(httplib::Client& c, const std::string& query) {
  std::vector<json> out;
  for (const auto& e : search_all(c, query + "&limit=500")) out.push_back(e["message"]);
  return out;
}

void check_search_case(httplib::Client& c, Collected& data) {
  INFO("check: search ignores case (Unicode too) unless case=exact; % _ \\ are literal");
  add_case_entries(data);
  auto count = [&](const std::string& q) { return messages_of(c, q).size(); };
  // (make-journal writes "Kernel panic" messages too: the marker keeps to these entries.)
  CHECK(count("q=srchcase%20kernel%20panic") == 1);
  CHECK(count("q=srchcase%20kernel%20panic&case=exact") == 0);
  CHECK(count("q=srchcase%20Kernel%20PANIC&case=exact") == 1);
  CHECK(count("q=%C3%A9cole") == 1);  // "école" finds "ÉCOLE"
  CHECK(count("q=ecole") == 0);       // accents are not folded
  // "σίσυφος" finds "ΣΊΣΥΦΟΣ" (the final sigma too).
  CHECK(count("q=%CF%83%CE%AF%CF%83%CF%85%CF%86%CE%BF%CF%82") == 1);
  for (const char* q : {"q=100%25", "q=a_b", "q=c%5Cd", "q=x%5CEy", "q=A_B%20C%5CD%20X%5CEY"}) {
    INFO(q);
    std::vector<json> m = messages_of(c, q);
    REQUIRE(m.size() == 1);
    CHECK(m[0] == "srchcase 100% a_b c\\d x\\Ey");
    bool upper = std::string(q).find("A_B") != std::string::npos;
    CHECK(count(std::string(q) + "&case=exact") == (upper ? 0u : 1u));
  }
  // A message that is not UTF-8 is still searched case-insensitively where it is text; text
  // that is not UTF-8 is matched as bytes.
  CHECK(count("q=zebraqux") == 1);
  CHECK(count("q=caf%FF") == 1);
  CHECK(count("q=CAF%FF") == 0);
}

// With no time budget, every page is one time slice: pages end early, say how far back they
// searched, and following them gives exactly the rows of an unhurried search.
void check_search_budget(httplib::Client& c, const Collected& data) {
  INFO("check: a search out of time answers with what it found and where it stopped");
  ServerProcess hurried(
      "serve", {"--db", data.db.replica_url, "--db-credentials-file", data.db.reader_credentials,
                "--search-walk-rows", "20", "--search-budget-ms", "0"});
  httplib::Client t("127.0.0.1", hurried.port());
  json none = get_json(t, "/api/search?q=no%20message%20has%20this");
  CHECK(none["entries"].empty());
  CHECK(none["partial"] == true);
  REQUIRE(none["searched_from"].is_number());
  REQUIRE(none["next"].is_string());
  // Each partial page hands its slice span on in `next`, 4x per page with no budget: the 24
  // hours are covered in 7 pages (1 + 4 + ... + 4096 minutes), not one minute per page (1440).
  size_t pages = 0;
  CHECK(search_all(t, "q=no%20message%20has%20this", &pages).empty());
  CHECK(pages <= 8);
  WARN("DEBUGPAGES " << pages << " " << none.dump());
  for (const char* q :
       {"limit=50", "q=hostile&limit=7", "host=vm-02&q=SESSION&limit=30", "priority=err&limit=40",
        "q=srchcase&limit=2", "unit=nginx&limit=9", "unit=nginx&q=e&priority=info&limit=3",
        "host=vm-01&unit=nginx&limit=11", "host=vm-03&q=no%20message%20has%20this"}) {
    INFO(q);
    size_t hurried_pages = 0;
    CHECK(search_all(t, q, &hurried_pages) == search_all(c, q));
    CHECK(hurried_pages < 1000);
  }
  // A carried span larger than the window (the whole of it in one slice) gives the same rows,
  // from a resume key (host 0) at the window's end.
  json window = get_json(c, "/api/search?limit=1")["window"];
  std::string resume = std::to_string(window["to"].get<uint64_t>()) + "-0-" + std::string(32, '0') +
                       "-" + std::to_string(uint64_t{1} << 50);
  CHECK(search_all(t, "limit=13", nullptr, resume) == search_all(c, "limit=13"));
  json one = get_json(t, "/api/search?q=no%20message%20has%20this&after=" + resume);
  CHECK(one["next"].is_null());
  CHECK(one["partial"] == false);
  json first = get_json(c, "/api/search?limit=50");
  CHECK(first["partial"] == false);
  CHECK(first["searched_from"].is_null());
}

void check_entry_detail(httplib::Client& c, const Collected& data) {
  INFO("check: entry detail gives every field as journalctl does");
  json bin = entries_of(c, "host=vm-03&q=before");
  REQUIRE(bin.size() == 1);
  json detail = get_json(c, "/api/entry?id=" + bin[0]["id"].get<std::string>());
  auto want = journalctl_json({"--file", data.fleet.files()[2], "HOSTILE=nul-binary"});
  REQUIRE(want.size() == 1);
  CHECK(detail["fields"] == want[0]);
  get_json(c, "/api/entry?id=1-1-00000000000000000000000000000000-1", 404);
}

void check_bad_parameters(httplib::Client& c) {
  INFO("check: bad parameters get 400 naming them");
  for (const auto& [path, param] : std::vector<std::pair<std::string, std::string>>{
           {"/api/overview?from=soon", "from"},
           {"/api/overview?bogus=1", "bogus"},
           {"/api/search?limit=0", "limit"},
           {"/api/search?priority=loud", "priority"},
           {"/api/search?after=zzz", "after"},
           {"/api/search?q=a&case=upper", "case"},
           {"/api/entry?id=nope", "id"},
           {"/api/overview?from=@20&to=@10", "from"}}) {
    CHECK(get_json(c, path, 400)["parameter"] == param);
  }
}

void check_security_headers(httplib::Client& c) {
  INFO("check: every response forbids inline script and sniffing");
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
  REQUIRE(page);
  CHECK(page->status == 200);
  CHECK(page->body.find("/static/bokeh.min.js") != std::string::npos);
  auto bokeh = c.Get("/static/bokeh.min.js");
  REQUIRE(bokeh);
  CHECK(bokeh->body.size() > 1000000);
  CHECK(bokeh->get_header_value("Content-Type").find("javascript") != std::string::npos);
}

// Changes the stored data (every timestamp rounded down to 10 s): run it last.
void check_search_with_equal_timestamps(httplib::Client& c, Collected& data, size_t total) {
  INFO(
      "check: search without host or unit pages through every entry once, equal timestamps "
      "included");
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
  // With a host or unit, each time slice reads that index newest first in time order alone:
  // equal times must still come in the full key's order, as the replica sorts them.
  for (const auto& [host, unit] : {std::pair<std::string, std::string>{"vm-01", ""},
                                   {"", "nginx.service"},
                                   {"vm-02", "nginx.service"}}) {
    INFO(host << " " << unit);
    Rows rows = data.pair.replica(
        "SELECT e.realtime_us, e.host_id, LOWER(HEX(e.seqnum_id)), e.seqnum FROM "
        "infralogs.entries e JOIN infralogs.hosts h USING (host_id) WHERE 1" +
        (host.empty() ? "" : " AND h.name = '" + host + "'") +
        (unit.empty() ? "" : " AND e.unit = '" + unit + "'") +
        " ORDER BY e.realtime_us DESC, e.host_id DESC, e.seqnum_id DESC, e.seqnum DESC");
    std::vector<std::string> want;
    for (const auto& r : rows) want.push_back(r[0] + "-" + r[1] + "-" + r[2] + "-" + r[3]);
    std::vector<std::string> got;
    for (const auto& e : search_all(c, "limit=7" + (host.empty() ? "" : "&host=" + host) +
                                           (unit.empty() ? "" : "&unit=" + unit)))
      got.push_back(e["id"]);
    CHECK(want.size() > 50);
    CHECK(got == want);
  }
}

// The ids of `host`'s entries (and of `unit`) in journal order, straight from the replica with
// the order spelled out: the oracle for /api/context.
std::vector<std::string> journal_order(Collected& data, const std::string& host,
                                       const std::string& unit = "") {
  Rows rows = data.pair.replica(
      "SELECT e.realtime_us, e.host_id, LOWER(HEX(e.seqnum_id)), e.seqnum FROM infralogs.entries "
      "e JOIN infralogs.hosts h USING (host_id) WHERE h.name = '" +
      host + "'" + (unit.empty() ? "" : " AND e.unit = '" + unit + "'") +
      " ORDER BY e.realtime_us, e.seqnum_id, e.seqnum");
  std::vector<std::string> ids;
  for (const auto& r : rows) ids.push_back(r[0] + "-" + r[1] + "-" + r[2] + "-" + r[3]);
  return ids;
}

std::vector<std::string> ids_of(const json& res) {
  std::vector<std::string> out;
  for (const auto& e : res["entries"]) out.push_back(e["id"]);
  return out;
}

// Every entry from `cursor` outward on one side, page by page (`side`: "older" or "newer"),
// with the parameters `extra` ("&unit=U").
std::vector<std::string> context_all(httplib::Client& c, const std::string& side,
                                     std::string cursor, size_t page,
                                     const std::string& extra = "") {
  std::vector<std::string> all;
  for (int i = 0; i < 1000 && !cursor.empty(); ++i) {
    json res =
        get_json(c, "/api/context?" + side + "=" + cursor + "&" +
                        (side == "older" ? "before=" : "after=") + std::to_string(page) + extra);
    std::vector<std::string> ids = ids_of(res);
    CHECK(ids.size() <= page);
    all.insert(side == "older" ? all.begin() : all.end(), ids.begin(), ids.end());
    cursor = res[side].is_null() ? "" : res[side].get<std::string>();
  }
  return all;
}

// After check_search_with_equal_timestamps: most entries share their time with others.
void check_context(httplib::Client& c, Collected& data) {
  INFO("check: context gives the entries around one in journal order, paging both ways");
  std::vector<std::string> order = journal_order(data, "vm-01");
  REQUIRE(order.size() > 1000);
  for (size_t at : {size_t{0}, size_t{5}, order.size() / 2, order.size() - 1}) {
    INFO("entry " << at << " of " << order.size());
    json res = get_json(c, "/api/context?host=vm-01&id=" + order[at] + "&before=7&after=9");
    size_t from = at - std::min<size_t>(at, 7), to = std::min(order.size(), at + 10);
    CHECK(ids_of(res) == std::vector<std::string>(order.begin() + from, order.begin() + to));
    CHECK(res["anchor"] == order[at]);
    CHECK(res["older"].is_null() == (from == 0));
    CHECK(res["newer"].is_null() == (to == order.size()));
    for (const auto& e : res["entries"]) CHECK(e["host"] == "vm-01");
  }
  // Paging: 13 at a time from the middle to both ends gives every entry once, ties included
  // (page boundaries fall inside runs of equal times).
  const std::string mid = order[order.size() / 2];
  std::vector<std::string> older = context_all(c, "older", mid, 13);
  std::vector<std::string> newer = context_all(c, "newer", mid, 13);
  CHECK(older == std::vector<std::string>(order.begin(), order.begin() + order.size() / 2));
  CHECK(newer == std::vector<std::string>(order.begin() + order.size() / 2 + 1, order.end()));

  // The same unit only.
  std::vector<std::string> nginx = journal_order(data, "vm-01", "nginx.service");
  REQUIRE(nginx.size() > 40);
  const std::string& at = nginx[nginx.size() / 2];
  json res = get_json(c, "/api/context?id=" + at + "&unit=nginx&before=20&after=20");
  size_t i = nginx.size() / 2;
  CHECK(ids_of(res) == std::vector<std::string>(nginx.begin() + i - 20, nginx.begin() + i + 21));
  CHECK(context_all(c, "newer", at, 50, "&unit=nginx") ==
        std::vector<std::string>(nginx.begin() + i + 1, nginx.end()));

  get_json(c, "/api/context?id=1-1-00000000000000000000000000000000-1", 404);
  CHECK(get_json(c, "/api/context?id=" + mid + "&after=501", 400)["parameter"] == "after");
  CHECK(get_json(c, "/api/context?id=" + mid + "&host=vm-02", 400)["parameter"] == "host");

  // The plan (docs/dashboard-api.md "GET /api/context"): the statement of context_sql.h for
  // the middle entry's newer side, as ANALYZE runs it: the (host_id, realtime_us) index, no
  // sort, and only the page's rows (plus the ties before the entry at its time) read, of the
  // host's more than a thousand.
  Rows key = data.pair.replica(
      "SELECT realtime_us, host_id, HEX(seqnum_id), seqnum FROM infralogs.entries WHERE "
      "CONCAT(realtime_us, '-', host_id, '-', LOWER(HEX(seqnum_id)), '-', seqnum) = '" +
      mid + "'");
  REQUIRE(key.size() == 1);
  std::string t = key[0][0], h = key[0][1], sid = "X'" + key[0][2] + "'", seq = key[0][3];
  for (const std::string& side :
       {">= " + t + " AND (e.realtime_us > " + t + " OR (e.seqnum_id, e.seqnum) > (" + sid + ", " +
            seq + ")) ORDER BY e.realtime_us ASC",
        "<= " + t + " AND (e.realtime_us < " + t + " OR (e.seqnum_id, e.seqnum) < (" + sid + ", " +
            seq + ")) ORDER BY e.realtime_us DESC"}) {
    std::string sql =
        "SELECT e.realtime_us, e.host_id, e.seqnum_id, e.seqnum, h.name, e.priority, e.unit, "
        "e.identifier, e.pid, e.message FROM infralogs.entries e FORCE INDEX "
        "(ix_entries_host_time) STRAIGHT_JOIN infralogs.hosts h ON h.host_id = e.host_id WHERE "
        "e.host_id = " +
        h + " AND e.realtime_us " + side + " LIMIT 21";
    Rows plan = data.pair.replica("ANALYZE " + sql);
    REQUIRE(plan.size() == 2);
    INFO(sql);
    // id, select_type, table, type, possible_keys, key, key_len, ref, rows, r_rows, filtered,
    // r_filtered, Extra
    CHECK(plan[0][2] == "e");
    CHECK(plan[0][3] == "range");
    CHECK(plan[0][5] == "ix_entries_host_time");
    CHECK(plan[0][12].find("filesort") == std::string::npos);
    CHECK(std::stod(plan[0][9]) <= 21 + 20);
    CHECK(data.pair.replica("SELECT COUNT(*) FROM (" + sql + ") page") == Rows{{"21"}});
  }
}

// One field of a verbose entry: its "    NAME=value" line and the value's continuation lines.
struct VerboseField {
  std::string name, text;
  bool operator==(const VerboseField&) const = default;
};
struct VerboseEntry {
  std::string header;
  std::vector<VerboseField> fields;
  bool operator==(const VerboseEntry&) const = default;
};

// `journalctl -o verbose` text as entries: a header line starts with a non-space, a field with
// exactly four spaces, a continuation line with more.
std::vector<VerboseEntry> verbose_entries(const std::string& text) {
  std::vector<VerboseEntry> entries;
  for (size_t start = 0; start < text.size();) {
    size_t nl = text.find('\n', start);
    REQUIRE(nl != std::string::npos);
    std::string line = text.substr(start, nl + 1 - start);
    start = nl + 1;
    if (line[0] != ' ') {
      entries.push_back({line, {}});
    } else if (line.size() > 4 && line.compare(0, 4, "    ") == 0 && line[4] != ' ') {
      REQUIRE(!entries.empty());
      entries.back().fields.push_back({line.substr(4, line.find('=') - 4), line});
    } else {
      REQUIRE(!entries.empty());
      REQUIRE(!entries.back().fields.empty());
      entries.back().fields.back().text += line;
    }
  }
  return entries;
}

// Whether a field's values stand apart, with other fields between them.
bool repeats_apart(const VerboseEntry& e) {
  std::set<std::string> seen;
  for (size_t i = 0; i < e.fields.size(); ++i) {
    if (i > 0 && e.fields[i - 1].name == e.fields[i].name) continue;
    if (!seen.insert(e.fields[i].name).second) return true;
  }
  return false;
}

// `name`'s fields moved to the front (first) or the end.
VerboseEntry moved(VerboseEntry e, const std::string& name, bool first) {
  std::vector<VerboseField> them, rest;
  for (auto& f : e.fields) (f.name == name ? them : rest).push_back(std::move(f));
  e.fields = first ? them : rest;
  for (auto& f : first ? rest : them) e.fields.push_back(std::move(f));
  return e;
}

// Appends to the journal two entries of the boot of its last one, an hour after it: the second
// repeats REPEAT_A with REPEAT_B between its values (items keep the order of their data objects
// in the file, and both REPEAT_A=first and REPEAT_B=middle exist before REPEAT_A=later).
void add_repeats_apart(Fleet& fleet) {
  auto last = journalctl_json({"--file", fleet.files()[0], "-n", "1"});
  REQUIRE(last.size() == 1);
  uint64_t t = std::stoull(last[0]["__REALTIME_TIMESTAMP"].get<std::string>()) + kHourUsec;
  uint64_t m = std::stoull(last[0]["__MONOTONIC_TIMESTAMP"].get<std::string>()) + kHourUsec;
  std::string boot = last[0]["_BOOT_ID"];
  std::string text;
  for (int i = 0; i < 2; ++i) {
    text += "__REALTIME_TIMESTAMP=" + std::to_string(t + i) +
            "\n__MONOTONIC_TIMESTAMP=" + std::to_string(m + i) + "\n_BOOT_ID=" + boot +
            "\n_HOSTNAME=vm-01\nREPEAT_A=first\nREPEAT_B=middle\n" +
            (i ? "REPEAT_A=later\nMESSAGE=repeats apart\n\n" : "MESSAGE=repeats setup\n\n");
  }
  TempDir d;
  std::string in = d.write("repeats.export", text);
  auto r =
      run({"sh", "-c",
           "exec /lib/systemd/systemd-journal-remote --split-mode=none --output=\"$0\" - < \"$1\"",
           fleet.files()[0], in});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
}
}  // namespace

TEST_CASE("the dashboard API answers every number from the replica", "[integration][dashboard]") {
  Collected data({.hosts = 3, .entries = kEntries, .hostile = true}, add_error_burst);
  ServerProcess serve(
      "serve", {"--db", data.db.replica_url, "--db-credentials-file", data.db.reader_credentials});
  httplib::Client c("127.0.0.1", serve.port());
  size_t total = journal_of_fleet(data.fleet).size();
  REQUIRE(total == 3 * (kEntries + 19) + kBurstEntries);  // 19 hostile entries per host

  check_overview(c, data, total);
  check_anomalies(c, data);
  check_hosts_and_freshness(c);
  check_search_paging(c, data);
  check_search_walk_fallback(c, data, total);
  check_search_filters(c, data);
  check_entry_detail(c, data);
  check_search_case(c, data);
  check_search_budget(c, data);
  check_bad_parameters(c);
  check_security_headers(c);
  check_search_with_equal_timestamps(c, data, total + 4);  // with add_case_entries' 4
  check_context(c, data);
}

TEST_CASE("the dashboard says so when the replica is down, and recovers",
          "[integration][dashboard]") {
  // No entries needed: what is checked is the replica's state.
  MariaDbPair pair;
  auto db = pair.create_database("infralogs");
  ServerProcess serve("serve",
                      {"--db", db.replica_url, "--db-credentials-file", db.reader_credentials});
  httplib::Client c("127.0.0.1", serve.port());
  CHECK(c.Get("/healthz")->status == 200);
  get_json(c, "/api/overview");
  pair.stop_replica();
  auto health = c.Get("/healthz");
  REQUIRE(health);
  CHECK(health->status == 503);
  // A reason code: the database's message names its host and account, so it is logged only.
  CHECK(json::parse(health->body)["reason"] == "unavailable");
  CHECK(health->body.find("127.0.0.1") == std::string::npos);
  json fresh = get_json(c, "/api/freshness");
  CHECK(fresh["replica_ok"] == false);
  CHECK(fresh["stale"] == true);
  CHECK(!fresh["error"].get<std::string>().empty());
  CHECK(get_json(c, "/api/overview", 503) ==
        json{{"error", "database unavailable"}, {"reason", "unavailable"}});
  CHECK(c.Get("/")->status == 200);  // the page still loads and shows the banner
  pair.start_replica();
  CHECK(c.Get("/healthz")->status == 200);
  CHECK(get_json(c, "/api/freshness")["replica_ok"] == true);
  get_json(c, "/api/overview");
}

TEST_CASE("query prints entries like journalctl, in every format", "[integration][query]") {
  Collected data;
  auto json_lines = data.query({"-H", "vm-01", "-n", "5", "-o", "json"});
  REQUIRE(json_lines.size() == 5);
  auto want = journalctl_json({"--file", data.fleet.files()[0]});
  for (size_t i = 0; i < 5; ++i) {
    json got = json::parse(json_lines[i]);
    CHECK(got["host"] == "vm-01");
    CHECK(got["realtime_usec"] ==
          std::stoull(want[want.size() - 5 + i]["__REALTIME_TIMESTAMP"].get<std::string>()));
  }
  auto errors = data.query({"-p", "err", "-n", "1000", "-o", "json"});
  CHECK(errors.size() == journal_of_fleet(data.fleet, {"-p", "err"}).size());
  for (const auto& l : errors) CHECK(json::parse(l)["priority"].get<int>() <= 3);
  auto nginx = data.query({"-u", "nginx", "-n", "100", "-o", "json"});
  REQUIRE(journal_of_fleet(data.fleet, {"_SYSTEMD_UNIT=nginx.service"}).size() > 100);
  CHECK(nginx.size() == 100);
  for (const auto& l : nginx) CHECK(json::parse(l)["unit"] == "nginx.service");
  auto grep = data.query({"-g", "before", "-H", "vm-02"});
  REQUIRE(grep.size() == 1);
  CHECK(grep[0].find("before\\x00after\\x00end") != std::string::npos);
  auto csv = data.query({"-n", "3", "-o", "csv"});
  CHECK(csv.size() == 4);
  CHECK(csv[0] == "time,host,priority,unit,identifier,pid,message");
  auto table = data.query({"-n", "3", "-o", "table"});
  CHECK(table[0].rfind("TIME", 0) == 0);
  // -S @SECONDS takes what journalctl --since @SECONDS takes.
  std::string since =
      "@" + std::to_string(std::stoull(want.back()["__REALTIME_TIMESTAMP"].get<std::string>()) /
                           kSecondUsec);
  auto recent = data.query({"-S", since, "-H", "vm-01", "-o", "json"});
  auto want_recent = journalctl_json({"--file", data.fleet.files()[0], "--since", since});
  REQUIRE(!want_recent.empty());
  CHECK(recent.size() == want_recent.size());
}

TEST_CASE("query -o verbose prints every entry as journalctl --all -o verbose does",
          "[integration][query]") {
  // Every entry of a host, hostile ones included (binary, NUL, invalid UTF-8, 1 MiB, 200 fields,
  // repeated fields, one repeated with other fields between its values), byte for byte: the
  // collector reads the agent with order=journal, so _BOOT_ID and every repeated value print at
  // their journal places. One entry stored as collectors before the MESSAGE mark stored it
  // prints MESSAGE last.
  Collected data({.hosts = 1, .entries = 40, .hostile = true}, add_repeats_apart);
  Rows old = data.pair.primary(
      "SELECT seqnum, HEX(fields) FROM infralogs.entries WHERE fields LIKE "
      "'%\"HOSTILE\":\"nul-binary\"%'");
  REQUIRE(old.size() == 1);
  std::string unmarked;
  for (size_t i = 0; i + 1 < old[0][1].size(); i += 2)
    unmarked.push_back(static_cast<char>(std::stoi(old[0][1].substr(i, 2), nullptr, 16)));
  size_t mark = unmarked.find(" ,");
  CHECK(mark != std::string::npos);  // the nul-binary entry's MESSAGE is not its last field
  if (mark != std::string::npos) unmarked.erase(mark, 1);
  std::string hex;
  for (unsigned char c : unmarked) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    hex += kHex[c >> 4];
    hex += kHex[c & 15];
  }
  data.pair.primary("UPDATE infralogs.entries SET fields = UNHEX('" + hex +
                    "') WHERE seqnum = " + old[0][0]);
  data.pair.sync_replica();

  auto got = run({infralogs_binary(), "query", "--db", data.db.replica_url, "--db-credentials-file",
                  data.db.reader_credentials, "-H", "vm-01", "-n", "100000", "-o", "verbose",
                  "--no-pager"});
  REQUIRE(got.exit_code == 0);
  auto jv = run(
      {"journalctl", "--file", data.fleet.files()[0], "-o", "verbose", "--all", "-q", "--no-pager"},
      {"TZ=UTC"});
  REQUIRE(jv.exit_code == 0);
  auto got_entries = verbose_entries(got.out), want_entries = verbose_entries(jv.out);
  REQUIRE(want_entries.size() == 40 + 19 + 2);
  REQUIRE(got_entries.size() == want_entries.size());
  std::ostringstream seq;
  seq << ";i=" << std::hex << std::stoull(old[0][0]) << ";";
  const std::string old_seqnum = seq.str();  // in the unmarked entry's cursor
  size_t apart = 0, unmarked_seen = 0, boot_moved = 0, message_not_last = 0;
  for (size_t i = 0; i < want_entries.size(); ++i) {
    VerboseEntry want = want_entries[i];
    if (repeats_apart(want)) {
      CHECK(want.fields.back().text == "    MESSAGE=repeats apart\n");  // add_repeats_apart's
      ++apart;
    }
    if (want.fields.front().name != "_BOOT_ID") ++boot_moved;
    if (want.fields.back().name != "MESSAGE") ++message_not_last;
    if (want.header.find(old_seqnum) != std::string::npos) {
      ++unmarked_seen;
      want = moved(want, "MESSAGE", false);
    }
    INFO("entry " << i << "\njournalctl: " << want.header);
    if (!(got_entries[i] == want)) {
      std::string g, w;
      for (const auto& f : got_entries[i].fields) g += f.text.substr(0, 200);
      for (const auto& f : want.fields) w += f.text.substr(0, 200);
      INFO("got:\n" << got_entries[i].header << g << "want:\n" << want.header << w);
      CHECK(got_entries[i] == want);
    }
  }
  CHECK(apart == 1);
  CHECK(unmarked_seen == 1);
  // The comparison covers the orders journalctl's JSON does not keep.
  CHECK(boot_moved > 0);
  CHECK(message_not_last > 1);
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
  check_usage_error(r);
  CHECK(r.err.find("--db") != std::string::npos);
}

TEST_CASE("query pages through $PAGER on a terminal and writes plainly to a pipe",
          "[integration][query]") {
  Collected data({.hosts = 1, .entries = 50, .hostile = false});
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

TEST_CASE("SQL metacharacters in every filter of serve and query match only themselves",
          "[integration][dashboard][query][security]") {
  // The hostile "sql-quotes" entry's message holds each of these: a text search finds exactly
  // the entries that contain it, literally; as a host or unit they name nothing; where a
  // parameter has a syntax, 400; no table changes.
  Collected data({.hosts = 2, .entries = 50, .hostile = true});
  ServerProcess serve(
      "serve", {"--db", data.db.replica_url, "--db-credentials-file", data.db.reader_credentials});
  httplib::Client c("127.0.0.1", serve.port());
  c.set_read_timeout(20);
  std::string entries_before = data.pair.primary("SELECT COUNT(*) FROM infralogs.entries")[0][0];
  Rows tables_before = data.pair.primary("SHOW TABLES FROM infralogs");
  auto lower = [](std::string s) {
    for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return s;
  };
  std::vector<json> journal = journal_of_fleet(data.fleet);
  for (const std::string p :
       {"Robert'); DROP TABLE entries; --", R"(\' OR '1'='1')", "; SELECT SLEEP(5);",
        "_ % LIKE '%'", "%%", R"(\\)", "`backtick`", "/* comment */"}) {
    INFO("payload: " << p);
    size_t want = 0;
    for (const auto& e : journal) {
      if (e.contains("MESSAGE") && e["MESSAGE"].is_string() &&
          lower(e["MESSAGE"].get<std::string>()).find(lower(p)) != std::string::npos)
        ++want;
    }
    REQUIRE(want >= 2);  // the hostile entry of each host
    std::string v = httplib::detail::encode_query_param(p);
    json found = entries_of(c, "q=" + v + "&limit=100");
    CHECK(found.size() == want);
    for (const auto& e : found) {
      CHECK(lower(e["message"].is_string() ? e["message"].get<std::string>() : "").find(lower(p)) !=
            std::string::npos);
    }
    CHECK(entries_of(c, "host=" + v).empty());
    CHECK(entries_of(c, "unit=" + v).empty());
    CHECK(entries_of(c, "host=" + v + "&q=" + v).empty());
    CHECK(get_json(c, "/api/search?priority=" + v, 400)["parameter"] == "priority");
    CHECK(get_json(c, "/api/search?after=" + v, 400)["parameter"] == "after");
    CHECK(get_json(c, "/api/entry?id=" + v, 400)["parameter"] == "id");
    get_json(c, "/api/overview?host=" + v);
    get_json(c, "/api/gaps?host=" + v);
    CHECK(data.query({"-g", p, "-n", "1000", "-o", "json"}).size() == want);
    CHECK(data.query({"-H", p, "-o", "json"}).empty());
    CHECK(data.query({"-u", p, "-o", "json"}).empty());
  }
  // Wildcards as a host name match no host ("vm-0_", "vm-%": LIKE would take both).
  for (const char* host : {"vm-0_", "vm-%", "%"}) {
    INFO(host);
    CHECK(entries_of(c, "host=" + httplib::detail::encode_query_param(host)).empty());
    CHECK(data.query({"-H", host, "-o", "json"}).empty());
  }
  CHECK(data.pair.primary("SELECT COUNT(*) FROM infralogs.entries")[0][0] == entries_before);
  CHECK(data.pair.primary("SHOW TABLES FROM infralogs") == tables_before);
}

// The agent against the oracle: for the same journal files, /logs must give exactly what
// `journalctl -o json --all` gives, in the same order, with and without filters.

#include <httplib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <set>

#include "support/journal.h"
#include "support/ndjson.h"
#include "support/process.h"
#include "support/server_process.h"
#include "support/temp_dir.h"

using namespace infralogs::test;
using nlohmann::json;

namespace {

constexpr const char* kToken = "oracle-test-token";

// Three hosts with the hostile entries, in one journal file.
struct Journal {
  TempDir dir;
  std::string file;
  std::string token_file;
  Journal(int hosts, int entries) {
    file = dir.path() + "/fleet.journal";
    generate_journal(file, {"--hosts", std::to_string(hosts), "--entries", std::to_string(entries),
                            "--hostile", "--boots", "2"});
    token_file = dir.write("tokens", std::string(kToken) + "\n");
  }
};

httplib::Client client(const ServerProcess& agent) {
  httplib::Client c("127.0.0.1", agent.port());
  c.set_bearer_token_auth(kToken);
  c.set_read_timeout(std::chrono::seconds(120));
  return c;
}

// Every entry /logs gives for `query`, following pages of `limit` until an empty page.
// `pages` receives, for each page, the entries seen so far and whether the page said more
// was pending.
std::vector<json> fetch_all(httplib::Client& c, const std::string& query, size_t limit,
                            std::vector<std::pair<size_t, bool>>* pages = nullptr) {
  std::vector<json> all;
  std::string after;
  while (true) {
    std::string url = "/logs?limit=" + std::to_string(limit) + (query.empty() ? "" : "&" + query);
    if (!after.empty()) url += "&after=" + httplib::detail::encode_query_param(after);
    auto res = c.Get(url.c_str());
    REQUIRE(res);
    INFO(url << " -> " << res->body.substr(0, 300));
    REQUIRE(res->status == 200);
    auto page = parse_ndjson(res->body);
    REQUIRE(page.size() <= limit);
    bool more = res->get_header_value("Infralogs-More") == "true";
    for (auto& e : page) all.push_back(std::move(e));
    if (pages) pages->emplace_back(all.size(), more);
    if (page.empty()) break;
    after = all.back()["__CURSOR"];
  }
  return all;
}

void check_same(const std::vector<json>& got, const std::vector<json>& want) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    if (got[i] != want[i]) {
      INFO("entry " << i << "\nagent:      " << got[i].dump().substr(0, 2000)
                    << "\njournalctl: " << want[i].dump().substr(0, 2000));
      CHECK(got[i] == want[i]);
      return;
    }
  }
}

}  // namespace

TEST_CASE("agent serves every entry exactly as journalctl -o json --all", "[integration][oracle]") {
  Journal j(3, 800);
  ServerProcess agent("agent", {"--token-file", j.token_file, "--file", j.file});
  auto c = client(agent);
  auto want = journalctl_json({"--file", j.file});
  REQUIRE(want.size() > 2400);  // 3 hosts x 800 plus the hostile entries
  auto got = fetch_all(c, "", 100000);
  check_same(got, want);
  // order=journal moves members and adds place marks, and is the same JSON for every entry.
  check_same(fetch_all(c, "order=journal", 100000), want);

  // The hostile entries are all there, byte-exact after decoding.
  std::set<std::string> kinds;
  for (const auto& e : got) {
    if (e.contains("HOSTILE")) kinds.insert(e["HOSTILE"].get<std::string>());
  }
  for (const char* k : {"nul-binary", "invalid-utf8", "huge-message", "msg-4096", "html-script",
                        "sql-quotes", "many-fields", "repeated-fields", "control-chars"}) {
    CHECK(kinds.count(k) == 1);
  }
  for (const auto& e : got) {
    if (e.value("HOSTILE", "") == "huge-message")
      CHECK(e["MESSAGE"].get<std::string>().size() == 1048576);
    if (e.value("HOSTILE", "") == "many-fields") CHECK(e.size() > 200);
    if (e.value("HOSTILE", "") == "nul-binary") CHECK(e["MESSAGE"].is_array());
  }
}

TEST_CASE("agent serves a directory of rotated, per-host files like journalctl -D",
          "[integration][oracle]") {
  TempDir dir;
  std::string out = dir.path() + "/hosts";
  std::filesystem::create_directory(out);
  generate_journal(out, {"--hosts", "3", "--entries", "400", "--hostile", "--split-hosts"});
  std::string tokens = dir.write("tokens", std::string(kToken) + "\n");
  ServerProcess agent("agent", {"--token-file", tokens, "--directory", out});
  auto c = client(agent);
  auto want = journalctl_json({"--directory", out});
  REQUIRE(want.size() > 1200);
  check_same(fetch_all(c, "", 100000), want);
}

TEST_CASE("paging with page sizes 1, 7 and 10000 yields every entry exactly once",
          "[integration][paging]") {
  Journal j(2, 300);
  ServerProcess agent("agent", {"--token-file", j.token_file, "--file", j.file});
  auto c = client(agent);
  auto want = journalctl_json({"--file", j.file});
  for (size_t limit : {size_t{1}, size_t{7}, size_t{10000}}) {
    INFO("limit " << limit);
    std::vector<std::pair<size_t, bool>> pages;
    auto got = fetch_all(c, "", limit, &pages);
    check_same(got, want);
    // Full pages, then one empty page that says the client is caught up.
    CHECK(pages.size() == (want.size() + limit - 1) / limit + 1);
    for (const auto& [seen, more] : pages) CHECK(more == (seen < want.size()));
    std::set<std::string> cursors;
    for (const auto& e : got) cursors.insert(e["__CURSOR"].get<std::string>());
    CHECK(cursors.size() == want.size());
  }
}

TEST_CASE("filters agree with journalctl given the same filters", "[integration][filters]") {
  Journal j(3, 600);
  ServerProcess agent("agent", {"--token-file", j.token_file, "--file", j.file});
  auto c = client(agent);
  auto all = journalctl_json({"--file", j.file});
  REQUIRE(!all.empty());
  std::string boot = all[all.size() / 2]["_BOOT_ID"];
  uint64_t mid = std::stoull(all[all.size() / 3]["__REALTIME_TIMESTAMP"].get<std::string>());
  uint64_t late = std::stoull(all[2 * all.size() / 3]["__REALTIME_TIMESTAMP"].get<std::string>());
  std::string since = "@" + std::to_string(mid / 1000000),
              until = "@" + std::to_string(late / 1000000);

  struct Case {
    std::string query;
    std::vector<std::string> journalctl;
  };
  std::vector<Case> cases = {
      {"unit=nginx.service", {"-u", "nginx.service"}},
      {"unit=sshd", {"-u", "sshd"}},
      {"unit=nginx.service&unit=cron.service", {"-u", "nginx.service", "-u", "cron.service"}},
      {"priority=err", {"-p", "err"}},
      {"priority=4", {"-p", "4"}},
      {"priority=debug", {"-p", "debug"}},
      {"match=_HOSTNAME%3Dvm-02", {"_HOSTNAME=vm-02"}},
      {"match=_HOSTNAME%3Dvm-01&match=_HOSTNAME%3Dvm-03", {"_HOSTNAME=vm-01", "_HOSTNAME=vm-03"}},
      {"match=_HOSTNAME%3Dvm-01&match=PRIORITY%3D3", {"_HOSTNAME=vm-01", "PRIORITY=3"}},
      {"boot=" + boot, {"-b", boot}},
      {"since=" + since, {"--since", since}},
      {"until=" + until, {"--until", until}},
      {"since=" + since + "&until=" + until, {"--since", since, "--until", until}},
      {"unit=nginx.service&priority=warning&match=_HOSTNAME%3Dvm-02",
       {"-u", "nginx.service", "-p", "warning", "_HOSTNAME=vm-02"}},
      {"fields=MESSAGE,_PID,HOSTILE", {"--output-fields=MESSAGE,_PID,HOSTILE"}},
  };
  for (const auto& tc : cases) {
    INFO("query: " << tc.query);
    std::vector<std::string> args = {"--file", j.file};
    args.insert(args.end(), tc.journalctl.begin(), tc.journalctl.end());
    auto want = journalctl_json(args);
    if (tc.query.rfind("fields=", 0) != 0 && tc.query.rfind("priority=debug", 0) != 0) {
      CHECK(want.size() < all.size());  // the filter filters
    }
    check_same(fetch_all(c, tc.query, 500), want);
  }
}

TEST_CASE("systemd-journal-remote pulls the whole journal from the agent",
          "[integration][gatewayd]") {
  Journal j(2, 500);
  ServerProcess agent("agent", {"--token-file", j.token_file, "--file", j.file});
  TempDir out;
  std::string copy = out.path() + "/copy.journal";
  std::string url = "http://puller:" + std::string(kToken) +
                    "@127.0.0.1:" + std::to_string(agent.port()) + "/entries";
  auto r = run({"/lib/systemd/systemd-journal-remote", "--url=" + url, "--split-mode=none",
                "--output=" + copy});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto strip_cursors = [](const std::string& export_text) {
    std::string out;
    size_t start = 0;
    // __CURSOR lines name the file the entry sits in, so they differ by design.
    while (start < export_text.size()) {
      size_t nl = export_text.find('\n', start);
      if (nl == std::string::npos) nl = export_text.size();
      std::string_view line(export_text.data() + start, nl - start);
      if (line.rfind("__CURSOR=", 0) != 0) out.append(line).push_back('\n');
      start = nl + 1;
    }
    return out;
  };
  auto a = run({"journalctl", "--file", j.file, "-o", "export"});
  auto b = run({"journalctl", "--file", copy, "-o", "export"});
  REQUIRE(a.exit_code == 0);
  REQUIRE(b.exit_code == 0);
  REQUIRE(a.out.size() > 100000);
  CHECK(strip_cursors(a.out) == strip_cursors(b.out));
}

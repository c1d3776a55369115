// The dashboard in headless Debian Chromium, driven by test/browser/dashboard_test.mjs
// (npm playwright-core): charts drawn, search, hostile entries shown as text, the freshness
// banner. Screenshots are kept in build/test-artifacts/browser/.

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "support/binaries.h"
#include "support/collected.h"
#include "support/files.h"
#include "support/journal.h"
#include "support/mariadb_pair.h"
#include "support/process.h"
#include "support/server_process.h"

using namespace infralogs::test;
using nlohmann::json;

namespace {

CommandResult run_browser(const std::string& url, const std::string& artifacts, const json& expect,
                          const std::vector<std::string>& extra = {}) {
  std::filesystem::create_directories(artifacts);
  std::string expect_file = artifacts + "/expect.json";
  std::ofstream(expect_file) << expect.dump(2);
  std::vector<std::string> argv = {"node",        source_dir() + "/test/browser/dashboard_test.mjs",
                                   "--url",       url,
                                   "--artifacts", artifacts,
                                   "--expect",    expect_file};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return run(argv);
}

}  // namespace

TEST_CASE("the dashboard draws, searches and shows hostile entries as text in Chromium",
          "[browser]") {
  Collected data;
  ServerProcess serve(
      "serve", {"--db", data.db.replica_url, "--db-credentials-file", data.db.reader_credentials});
  std::string url = "http://127.0.0.1:" + std::to_string(serve.port());
  // A known entry to search for: an ordinary message from vm-01.
  auto entries = journalctl_json({"--file", data.fleet.files()[0]});
  std::string known;
  for (size_t i = entries.size() / 2; i < entries.size() && known.empty(); ++i) {
    const json& m = entries[i]["MESSAGE"];
    if (m.is_string() && m.get<std::string>().size() > 30 &&
        m.get<std::string>().find('\n') == std::string::npos) {
      known = m.get<std::string>();
    }
  }
  REQUIRE(!known.empty());
  json expect = {
      {"search",
       {{"host", "vm-01"}, {"q", known.substr(0, 40)}, {"expect_text", known.substr(0, 40)}}},
      {"xss", {{"host", "vm-01"}, {"q", "hostile html"}}},
      {"replica_stopped", false}};
  // The Credentials page shows serve's own user, never its password.
  json reader_creds = json::parse(read_file(data.db.reader_credentials));
  expect["credentials"] = {{"user", reader_creds["username"]},
                           {"password", reader_creds["password"]}};
  std::string artifacts = binary_dir() + "/test-artifacts/browser";
  auto r = run_browser(url, artifacts, expect);
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find(" passed, 0 failed") != std::string::npos);
  CHECK(std::filesystem::exists(artifacts + "/overview.png"));
  CHECK(r.out.find("ok credentials") != std::string::npos);

  data.pair.stop_replica();
  expect["replica_stopped"] = true;
  r = run_browser(url, artifacts, expect, {"--only", "freshness"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(std::filesystem::exists(artifacts + "/freshness.png"));
}

TEST_CASE("the live page shows an entry committed after it opened, hostile text as text",
          "[browser][live]") {
  MariaDbPair pair;
  auto db = pair.create_database("infralogs");
  ServerProcess serve("serve", {"--db", db.replica_url, "--db-credentials-file",
                                db.reader_credentials, "--live-poll-ms", "100"});
  std::string url = "http://127.0.0.1:" + std::to_string(serve.port());
  const std::string message =
      "live <script>window.__xss=1</script><img src=x onerror=\"window.__xss=2\"> end";
  const std::string paused_message = "live entry committed while paused";
  const int burst = 501;  // one more than the page holds while paused (MAX_ROWS, live_format.js)
  std::string artifacts = binary_dir() + "/test-artifacts/browser-live";
  std::filesystem::create_directories(artifacts);
  for (const char* f : {"live.ready", "live.paused", "live.paused-burst"})
    std::filesystem::remove(artifacts + "/" + f);
  std::ofstream(artifacts + "/expect.json") << json{
      {"live",
       {{"message", message},
        {"paused_message", paused_message},
        {"burst", burst},
        {"query", "?unit=app"}}}}.dump();
  BackgroundProcess node({"node", source_dir() + "/test/browser/dashboard_test.mjs", "--url", url,
                          "--artifacts", artifacts, "--expect", artifacts + "/expect.json",
                          "--only", "live"});
  // The page tells where it is by a file in ARTIFACTS; the test fails (with the page's output)
  // when it exits first or takes more than 60 s.
  auto wait_for_page = [&](const std::string& name) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!std::filesystem::exists(artifacts + "/" + name) && !node.poll() &&
           std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (!std::filesystem::exists(artifacts + "/" + name))
      FAIL("no " << name << " from the page (" << (node.poll() ? "it ended" : "not in 60 s")
                 << "): " << node.out() << node.err());
  };
  // Entries committed as the collector does: the entries and their host's checkpoint in one
  // transaction (the host first collected with the first); times from now, 1 µs apart, so
  // they stream in this order.
  uint64_t seqnum = 0;
  auto commit = [&](const std::vector<std::string>& messages) {
    uint64_t now = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                             std::chrono::system_clock::now().time_since_epoch())
                                             .count());
    bool first = seqnum == 0;
    std::string values;
    for (size_t i = 0; i < messages.size(); ++i) {
      values += std::string(i ? ", " : "") + "(@h, UNHEX(REPEAT('ab', 16)), " +
                std::to_string(++seqnum) + ", " + std::to_string(now + i) +
                ", 1, 3, 'app.service', '" + messages[i] + "', '{}')";
    }
    std::string new_host =
        first
            ? "INSERT INTO hosts (name, labels) VALUES ('vm-live', '{}'); INSERT INTO checkpoints "
              "(host_id, journal_cursor) SELECT host_id, '' FROM hosts; "
            : "";
    pair.primary(
        "USE infralogs; " + new_host +
        "SET @h = (SELECT host_id FROM hosts WHERE name = 'vm-live'); BEGIN; "
        "INSERT INTO entries (host_id, seqnum_id, seqnum, realtime_us, monotonic_us, priority, "
        "unit, message, fields) VALUES " +
        values +
        "; UPDATE checkpoints SET realtime_us = " + std::to_string(now + messages.size() - 1) +
        ", entries = " + std::to_string(seqnum) + ", updated_at = NOW(6); COMMIT;");
  };
  // The page is open and its stream connected: the entry is committed after it.
  wait_for_page("live.ready");
  commit({message});
  // Paused: an entry committed now is held, not shown, until Resume.
  wait_for_page("live.paused");
  commit({paused_message});
  // Paused again: more entries than the page holds; the oldest are dropped, and it says so.
  wait_for_page("live.paused-burst");
  std::vector<std::string> many;
  for (int i = 1; i <= burst; ++i) many.push_back("live burst " + std::to_string(i) + ".");
  commit(many);
  auto code = node.wait_for(std::chrono::seconds(90));
  INFO(node.out() << node.err());
  REQUIRE(code);
  CHECK(*code == 0);
  CHECK(node.out().find("ok live") != std::string::npos);
  CHECK(std::filesystem::exists(artifacts + "/live.png"));
}

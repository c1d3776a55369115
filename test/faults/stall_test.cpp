// Stall detection (issue 11, "Fault suite"): a cursor that stops moving while the journal grows
// is reported by the agent's /healthz ("journal": {"stalled": true, ...}) and by the
// collector's metrics file (infralogs_collect_agent_stalled, _last_progress_seconds).

#include <httplib.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "faults/fault_support.h"
#include "support/binaries.h"
#include "support/files.h"
#include "support/journal.h"
#include "support/mariadb_pair.h"
#include "support/process.h"
#include "support/server_process.h"
#include "support/temp_dir.h"

using namespace infralogs::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

json healthz(int port) {
  httplib::Client c("127.0.0.1", port);
  auto res = c.Get("/healthz");
  REQUIRE(res);
  REQUIRE(res->status == 200);
  return json::parse(res->body);
}

// The value of `series` (name{labels}) in a Prometheus text file, or -1 when absent.
double metric(const std::string& text, const std::string& series) {
  size_t at = text.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + series.size() + 2));
}

}  // namespace

TEST_CASE("the agent's /healthz reports a journal growing past what was served",
          "[faults][stall]") {
  TempDir dir;
  std::string file = dir.path() + "/vm.journal";
  generate_journal(file, {"--entries", "100"});
  std::string tokens = dir.write("tokens", "stall-token\n");
  ServerProcess agent("agent", {"--token-file", tokens, "--file", file, "--stall-after", "1"});
  httplib::Client c("127.0.0.1", agent.port());
  c.set_bearer_token_auth("stall-token");
  auto page = c.Get("/logs?limit=1000");
  REQUIRE(page);
  REQUIRE(page->status == 200);
  json j = healthz(agent.port())["journal"];
  INFO(j.dump());
  CHECK(j["stalled"] == false);
  CHECK(j["served_lag_seconds"] == 0);
  CHECK(j["tail_cursor"] == j["last_served_cursor"]);

  // The journal grows by 50 entries (one a second in its clock) and nobody fetches them.
  generate_journal(file, {"--entries", "50", "--skip", "100"});
  std::this_thread::sleep_for(1100ms);
  j = healthz(agent.port())["journal"];
  INFO(j.dump());
  CHECK(j["stalled"] == true);
  CHECK(j["tail_cursor"] != j["last_served_cursor"]);
  CHECK(j["served_lag_seconds"].get<int>() >= 49);
  CHECK(j["served_lag_seconds"].get<int>() <= 51);
  CHECK(j["seconds_since_served"].get<int>() >= 1);

  // A client takes them: no longer stalled.
  auto rest = c.Get(("/logs?limit=1000&after=" + httplib::detail::encode_query_param(
                                                     j["last_served_cursor"].get<std::string>()))
                        .c_str());
  REQUIRE(rest);
  REQUIRE(rest->status == 200);
  j = healthz(agent.port())["journal"];
  INFO(j.dump());
  CHECK(j["stalled"] == false);
  CHECK(j["served_lag_seconds"] == 0);
  CHECK(agent.stop() == 0);
}

TEST_CASE("the collector's metrics report an agent whose cursor stopped while it says more",
          "[faults][stall]") {
  MariaDbPair pair;
  auto db = pair.create_database("infralogs");
  TempDir dir;
  std::string file = dir.path() + "/vm.journal";
  generate_journal(file, {"--entries", "200"});
  std::string tokens = dir.write("tokens", "stall-token\n");
  ServerProcess agent("agent", {"--token-file", tokens, "--file", file});
  // An agent that cannot read past a point: it answers "more" and no entry, every time (what
  // a real agent did with an unreadable journal before issue 11, item 3); `moving` makes it
  // serve one entry and catch up.
  std::atomic<bool> moving{false};
  const std::string entry =
      R"({"__CURSOR":"s=0123456789abcdef0123456789abcdef;i=1;b=0123456789abcdef0123456789abcdef;m=1;t=1;x=1","__REALTIME_TIMESTAMP":"1735689600000000","MESSAGE":"unstuck"})";
  httplib::Server fake;
  fake.Get("/logs", [&](const httplib::Request& req, httplib::Response& res) {
    res.set_header("Infralogs-Protocol", "1");
    bool first = !req.has_param("after");
    // Stuck: "more" and nothing, every time. Moving: the entry, then caught up.
    res.set_header("Infralogs-More", moving ? "false" : "true");
    res.set_header("Infralogs-Cursor-Found", "true");
    res.set_content(moving && first ? entry + "\n" : std::string(), "application/x-ndjson");
  });
  int fake_port = fake.bind_to_any_port("127.0.0.1");
  std::thread fake_thread([&] { fake.listen_after_bind(); });
  std::string inventory = dir.path() + "/inventory.json";
  write_inventory(inventory,
                  {{"vm-01", "http://127.0.0.1:" + std::to_string(agent.port())},
                   {"stuck", "http://127.0.0.1:" + std::to_string(fake_port)}},
                  tokens);
  std::string prom = dir.path() + "/collect.prom";
  BackgroundProcess collect({infralogs_binary(), "collect", "--interval", "1", "--since", "all",
                             "--inventory", inventory, "--db", db.primary_url,
                             "--db-credentials-file", db.collector_credentials, "--metrics-file",
                             prom, "--stall-rounds", "2"});
  auto wait_for = [&](const std::string& series, double value) {
    std::string text;
    for (int i = 0; i < 150; ++i) {
      text = try_read_file(prom).value_or("");
      if (metric(text, series) == value) return text;
      std::this_thread::sleep_for(100ms);
    }
    INFO(collect.log().substr(0, 3000));
    INFO(text);
    FAIL("no " << series << " " << value << " in --metrics-file");
    return text;
  };
  std::string text = wait_for("infralogs_collect_agent_stalled{agent=\"stuck\"}", 1);
  CHECK(metric(text, "infralogs_collect_agent_stalled{agent=\"vm-01\"}") == 0);
  CHECK(metric(text, "infralogs_collect_agent_caught_up{agent=\"stuck\"}") == 0);
  CHECK(metric(text, "infralogs_collect_agent_up{agent=\"stuck\"}") == 1);
  CHECK(metric(text, "infralogs_collect_agent_last_progress_seconds{agent=\"stuck\"}") >= 1);
  CHECK(metric(text, "infralogs_collect_agent_last_progress_seconds{agent=\"vm-01\"}") == 0);
  CHECK(collect.err().find("stalled: the agent says it has more entries") != std::string::npos);

  moving = true;
  text = wait_for("infralogs_collect_agent_stalled{agent=\"stuck\"}", 0);
  CHECK(metric(text, "infralogs_collect_agent_last_progress_seconds{agent=\"stuck\"}") == 0);
  CHECK(collect.err().find("no longer stalled") != std::string::npos);
  collect.signal(SIGTERM);
  CHECK(collect.wait() == 0);
  fake.stop();
  fake_thread.join();
  check_host_exact(pair, false, db.name, "vm-01", {"--file", file});
}

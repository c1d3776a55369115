// The collector asks infralogs agents for order=journal (docs/wire-protocol.md), so that stored
// entries print as journalctl -o verbose does; an agent from before order=journal refuses it with
// 400 naming `order`, and the collector then asks it in journalctl's order, once per agent.

#include <httplib.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <thread>

#include "infralogs/wire/agent_client.h"
#include "support/journal.h"
#include "support/server_process.h"
#include "support/temp_dir.h"

using namespace infralogs;

namespace {

constexpr const char* kToken = "order-test-token";

// An agent from before order=journal: refuses `order` as the agent refuses any unknown
// parameter, and serves one entry in journalctl's order otherwise.
class OldAgent {
 public:
  OldAgent() {
    server_.Get("/logs", [this](const httplib::Request& req, httplib::Response& res) {
      ++requests_;
      if (req.has_param("order")) {
        ++refused_;
        res.status = 400;
        res.set_content(R"({"error":"order: unknown parameter","parameter":"order"})",
                        "application/json");
        return;
      }
      res.set_header("Infralogs-Protocol", "1");
      res.set_header("Infralogs-More", "false");
      if (req.has_param("follow")) res.set_header("Infralogs-Follow", "heartbeat=5");
      res.set_content(
          R"({"__CURSOR":"s=0123456789abcdef0123456789abcdef;i=1","__REALTIME_TIMESTAMP":"1",)"
          R"("__MONOTONIC_TIMESTAMP":"2","_BOOT_ID":"0123456789abcdef0123456789abcdef",)"
          R"("MESSAGE":"old"})"
          "\n",
          "application/x-ndjson");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~OldAgent() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int requests() const { return requests_; }
  int refused() const { return refused_; }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::atomic<int> requests_{0}, refused_{0};
  std::thread thread_;
};

struct Collected : wire::FollowHandler {
  std::vector<LogEntry> entries;
  void on_start(std::chrono::seconds, bool) override {}
  void on_entry(LogEntry e) override { entries.push_back(std::move(e)); }
  void on_alive() override {}
};

}  // namespace

TEST_CASE("the collector reads agents in the journal's order, _BOOT_ID where the journal has it",
          "[integration][wire]") {
  test::TempDir dir;
  const std::string file = dir.path() + "/vm.journal";
  test::generate_journal(file, {"--hosts", "1", "--entries", "300", "--boots", "2"});
  test::ServerProcess agent(
      "agent", {"--token-file", dir.write("tokens", std::string(kToken) + "\n"), "--file", file});
  wire::HttpAgentClient client({});
  wire::AgentSpec spec{"vm", "http://127.0.0.1:" + std::to_string(agent.port()), kToken};
  wire::FetchRequest req;
  req.limit = 1000;
  auto batch = client.fetch(spec, req, {});
  REQUIRE(batch);
  REQUIRE(batch->entries.size() == 300);
  // journalctl's JSON always has _BOOT_ID fourth; in the journal's order it is where its item
  // is, which in a journal that systemd-journal-remote wrote is often not first.
  size_t moved = 0;
  for (const LogEntry& e : batch->entries) {
    auto j = nlohmann::ordered_json::parse(e.fields_json);
    size_t index = 0;
    for (const auto& [name, value] : j.items()) {
      if (name == "_BOOT_ID") break;
      ++index;
    }
    REQUIRE(index < j.size());
    moved += index != 3;
  }
  CHECK(moved > 0);
  CHECK(agent.log().find("order") == std::string::npos);  // no refusal logged
}

TEST_CASE("an agent that refuses order=journal is asked again without it, once per agent",
          "[integration][wire]") {
  OldAgent old;
  wire::HttpAgentClient client({});
  wire::AgentSpec spec{"vm", old.url(), "t"};
  wire::FetchRequest req;
  auto batch = client.fetch(spec, req, {});
  REQUIRE(batch);
  REQUIRE(batch->entries.size() == 1);
  CHECK(batch->entries[0].message == "old");
  CHECK(old.requests() == 2);
  CHECK(old.refused() == 1);
  batch = client.fetch(spec, req, {});  // remembered: no second refusal
  REQUIRE(batch);
  CHECK(old.requests() == 3);
  CHECK(old.refused() == 1);

  wire::HttpAgentClient follower({});  // a new client asks again, and follow falls back too
  Collected got;
  wire::FollowRequest freq;
  freq.wait = std::chrono::seconds(1);
  Status s = follower.follow(spec, freq, got, {});
  INFO(s.to_string());
  CHECK(s.is_ok());
  REQUIRE(got.entries.size() == 1);
  CHECK(got.entries[0].message == "old");
  CHECK(old.refused() == 2);
  CHECK(old.requests() == 5);
}

#include "infralogs/collect/stall.h"

#include <catch2/catch.hpp>

#include "fakes/fake_agent_client.h"
#include "fakes/in_memory_log_store.h"
#include "infralogs/collect/collector.h"
#include "infralogs/collect/round_report.h"

using namespace infralogs;
using namespace std::chrono_literals;

namespace {

std::vector<wire::AgentSpec> specs(std::initializer_list<const char*> names) {
  std::vector<wire::AgentSpec> out;
  for (const char* n : names) {
    wire::AgentSpec spec;
    spec.name = n;
    spec.url = std::string("http://") + n;
    spec.token = "token";
    out.push_back(std::move(spec));
  }
  return out;
}

// One round at a chosen wall clock: poll_round with now_usec fixed to `now`.
collect::RoundReport round_at(collect::Collector& c, const std::vector<wire::AgentSpec>& agents,
                              uint64_t now) {
  collect::RoundOptions o;
  o.now_usec = [now] { return now; };
  return collect::poll_round(c, agents, o, {});
}

}  // namespace

TEST_CASE("an agent saying more but sending nothing is not reported caught up",
          "[collect][stall]") {
  test::FakeAgentClient client;
  test::InMemoryLogStore store;
  client.add_entries("a", 5);
  client.agents["a"].stuck = true;
  collect::CollectorOptions o;
  o.backoff = 1ms;
  collect::Collector c(client, store, o);
  auto reports = c.poll_once(specs({"a"}), {});
  REQUIRE(reports.size() == 1);
  CHECK(reports[0].status.is_ok());
  CHECK(reports[0].entries == 0);
  CHECK(reports[0].more_without_entries);
  CHECK_FALSE(reports[0].caught_up);
}

TEST_CASE("an agent whose cursor does not move for --stall-rounds rounds is stalled, then not",
          "[collect][stall]") {
  test::FakeAgentClient client;
  test::InMemoryLogStore store;
  client.add_entries("stuck", 10);
  client.add_entries("fine", 10);
  client.add_entries("down", 10);
  collect::CollectorOptions o;
  o.backoff = 1ms;
  o.attempts = 1;
  collect::Collector c(client, store, o);
  collect::StallTracker tracker({.rounds = 3});
  auto agents = specs({"stuck", "fine", "down"});

  // Round 1 (t = 100 s): everyone moves but "down", which fails.
  client.agents["down"].failures.push_back(Status::unavailable("refused"));
  auto r = round_at(c, agents, 100'000'000);
  tracker.observe(&r);
  CHECK(r.agents[0].entries == 10);
  CHECK_FALSE(r.agents[0].stalled);
  CHECK(r.agents[0].progress_age_seconds == 0);

  // Rounds 2..4 (t = 110, 120, 130 s): "stuck" says more and sends nothing while its journal
  // grows; "fine" is caught up (progress: it is at the tail); "down" keeps failing.
  client.agents["stuck"].stuck = true;
  client.add_entries("stuck", 5);
  for (int k = 1; k <= 3; ++k) {
    client.agents["down"].failures.push_back(Status::unavailable("refused"));
    r = round_at(c, agents, 100'000'000 + k * 10'000'000ull);
    tracker.observe(&r);
    INFO("round " << k + 1);
    CHECK(r.agents[0].more_without_entries);
    CHECK(r.agents[0].stalled == (k == 3));
    CHECK(r.agents[0].progress_age_seconds == Approx(10.0 * k));
    CHECK_FALSE(r.agents[1].stalled);
    CHECK(r.agents[1].progress_age_seconds == 0);
    // An agent that cannot be reached ages but is not "stalled" (agent_up says it).
    CHECK_FALSE(r.agents[2].stalled);
    CHECK(r.agents[2].progress_age_seconds > 0);
  }
  std::string metrics = collect::render_round_metrics(r);
  CHECK(metrics.find("infralogs_collect_agent_stalled{agent=\"stuck\"} 1") != std::string::npos);
  CHECK(metrics.find("infralogs_collect_agent_stalled{agent=\"fine\"} 0") != std::string::npos);
  CHECK(metrics.find("infralogs_collect_agent_last_progress_seconds{agent=\"stuck\"} 30") !=
        std::string::npos);

  // It moves again: no longer stalled, the age back to 0.
  client.agents["stuck"].stuck = false;
  r = round_at(c, agents, 140'000'000);
  tracker.observe(&r);
  CHECK(r.agents[0].entries == 5);
  CHECK_FALSE(r.agents[0].stalled);
  CHECK(r.agents[0].progress_age_seconds == 0);
}

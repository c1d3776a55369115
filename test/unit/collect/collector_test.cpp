#include "infralogs/collect/collector.h"

#include <catch2/catch.hpp>
#include <mutex>
#include <set>
#include <thread>
#include <type_traits>

#include "fakes/fake_agent_client.h"
#include "fakes/in_memory_log_store.h"

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

collect::CollectorOptions fast_options() {
  collect::CollectorOptions o;
  o.batch_entries = 7;
  o.backoff = 1ms;
  o.attempts = 3;
  return o;
}

std::vector<uint64_t> seqnums(const std::vector<LogEntry>& es) {
  std::vector<uint64_t> out;
  for (const auto& e : es) out.push_back(e.seqnum);
  return out;
}

std::vector<uint64_t> range(uint64_t from, uint64_t to) {
  std::vector<uint64_t> out;
  for (uint64_t i = from; i <= to; ++i) out.push_back(i);
  return out;
}

}  // namespace

// It holds the client and the store by reference; a copy would share them unnoticed.
static_assert(!std::is_copy_constructible_v<collect::Collector>);
static_assert(!std::is_copy_assignable_v<collect::Collector>);

TEST_CASE("collector stores every agent's entries exactly once across rounds", "[collect]") {
  test::FakeAgentClient client;
  test::InMemoryLogStore store;
  client.add_entries("a", 50);
  client.add_entries("b", 3);
  collect::Collector c(client, store, fast_options());
  auto reports = c.poll_once(specs({"a", "b"}), {});
  REQUIRE(reports.size() == 2);
  CHECK(reports[0].status.is_ok());
  CHECK(reports[0].entries == 50);
  CHECK(reports[0].caught_up);
  CHECK(reports[0].batches == 8);
  CHECK(reports[1].entries == 3);
  client.add_entries("a", 10);
  reports = c.poll_once(specs({"a", "b"}), {});
  CHECK(reports[0].entries == 10);
  CHECK(reports[1].entries == 0);
  CHECK(seqnums(store.entries[store.hosts["a"]]) == range(1, 60));
  CHECK(seqnums(store.entries[store.hosts["b"]]) == range(1, 3));
}

TEST_CASE("one failing agent does not stop the others", "[collect]") {
  test::FakeAgentClient client;
  test::InMemoryLogStore store;
  client.add_entries("good", 20);
  client.add_entries("bad", 20);
  client.agents["bad"].failures = {Status::corruption("invalid JSON")};
  collect::Collector c(client, store, fast_options());
  auto reports = c.poll_once(specs({"bad", "down", "good"}), {});
  CHECK(reports[0].status.code() == StatusCode::kCorruption);
  CHECK(reports[0].entries == 0);
  CHECK(reports[1].status.code() == StatusCode::kUnavailable);
  CHECK(reports[2].status.is_ok());
  CHECK(reports[2].entries == 20);
  // The corrupt response committed nothing; the next round takes everything.
  reports = c.poll_once(specs({"bad"}), {});
  CHECK(reports[0].entries == 20);
  CHECK(seqnums(store.entries[store.hosts["bad"]]) == range(1, 20));
}

TEST_CASE("collector retries unavailable agents and stores with backoff", "[collect]") {
  test::FakeAgentClient client;
  test::InMemoryLogStore store;
  client.add_entries("a", 10);
  client.agents["a"].failures = {Status::unavailable("timed out"), Status::unavailable("refused")};
  store.append_failures = {Status::unavailable("server gone")};
  collect::Collector c(client, store, fast_options());
  auto reports = c.poll_once(specs({"a"}), {});
  CHECK(reports[0].status.is_ok());
  CHECK(seqnums(store.entries[store.hosts["a"]]) == range(1, 10));

  SECTION("but gives up after the attempts run out") {
    client.add_entries("a", 5);
    client.agents["a"].failures = {Status::unavailable("1"), Status::unavailable("2"),
                                   Status::unavailable("3")};
    reports = c.poll_once(specs({"a"}), {});
    CHECK(reports[0].status.code() == StatusCode::kUnavailable);
    CHECK(reports[0].status.message() == "3");
  }
  SECTION("and does not retry refusals") {
    client.add_entries("a", 5);
    client.agents["a"].failures = {Status::permission_denied("401")};
    int before = client.agents["a"].fetches;
    reports = c.poll_once(specs({"a"}), {});
    CHECK(reports[0].status.code() == StatusCode::kPermissionDenied);
    CHECK(client.agents["a"].fetches == before + 1);
  }
}

TEST_CASE("a vacuumed cursor records a gap and collection continues", "[collect]") {
  test::FakeAgentClient client;
  test::InMemoryLogStore store;
  client.add_entries("a", 10);
  collect::Collector c(client, store, fast_options());
  c.poll_once(specs({"a"}), {});
  client.add_entries("a", 20);
  client.vacuum("a", 15);  // entries 1..15 gone, including the stored cursor c10
  auto reports = c.poll_once(specs({"a"}), {});
  CHECK(reports[0].status.is_ok());
  CHECK(reports[0].gaps == 1);
  REQUIRE(store.gaps.size() == 1);
  CHECK(store.gaps[0].second.last_cursor == "c10");
  CHECK(store.gaps[0].second.first_cursor == "c16");
  std::vector<uint64_t> want = range(1, 10);
  for (uint64_t s : range(16, 30)) want.push_back(s);
  CHECK(seqnums(store.entries[store.hosts["a"]]) == want);
}

TEST_CASE("a vacuumed cursor whose sequence continues records no gap", "[collect]") {
  test::FakeAgentClient client;
  client.journal_cursors = true;  // the collector reads s= and i= out of the stored cursor
  test::InMemoryLogStore store;
  client.add_entries("a", 10);
  collect::Collector c(client, store, fast_options());
  c.poll_once(specs({"a"}), {});
  client.add_entries("a", 20);
  // A rotation then a vacuum of the archived file: 1..10 gone, the stored cursor (10) with
  // them, and the agent's first entry is 11, the next of the same sequence: nothing was lost.
  client.vacuum("a", 10);
  auto reports = c.poll_once(specs({"a"}), {});
  CHECK(reports[0].status.is_ok());
  CHECK(reports[0].gaps == 0);
  CHECK(store.gaps.empty());
  CHECK(seqnums(store.entries[store.hosts["a"]]) == range(1, 30));

  // Entries really lost: the gap says how many, by seqnum.
  client.add_entries("a", 10);  // 31..40
  client.vacuum("a", 25);       // 11..35 gone; the stored cursor is 30
  reports = c.poll_once(specs({"a"}), {});
  CHECK(reports[0].gaps == 1);
  REQUIRE(store.gaps.size() == 1);
  CHECK(store.gaps[0].second.reason.find("5 entries (seqnum 31..35) are lost") !=
        std::string::npos);
}

TEST_CASE("racing collectors store every entry once and both succeed", "[collect]") {
  test::FakeAgentClient client;
  test::InMemoryLogStore store;
  client.add_entries("a", 3000);
  client.add_entries("b", 3000);
  collect::Collector c1(client, store, fast_options()), c2(client, store, fast_options());
  std::vector<collect::AgentReport> r1, r2;
  std::thread t1([&] { r1 = c1.poll_once(specs({"a", "b"}), {}); });
  std::thread t2([&] { r2 = c2.poll_once(specs({"b", "a"}), {}); });
  t1.join();
  t2.join();
  for (const auto& r : r1) CHECK(r.status.is_ok());
  for (const auto& r : r2) CHECK(r.status.is_ok());
  CHECK(seqnums(store.entries[store.hosts["a"]]) == range(1, 3000));
  CHECK(seqnums(store.entries[store.hosts["b"]]) == range(1, 3000));
}

TEST_CASE("a batch refused while the cursor did not move fails the agent", "[collect]") {
  test::FakeAgentClient client;
  test::InMemoryLogStore store;
  client.add_entries("a", 10);
  collect::Collector c(client, store, fast_options());
  store.append_failures = {Status::aborted("duplicate entry")};
  auto reports = c.poll_once(specs({"a"}), {});
  CHECK(reports[0].status.code() == StatusCode::kAborted);
  CHECK(store.entries[store.hosts["a"]].empty());
}

TEST_CASE("first contact starts at the since policy, not the whole journal", "[collect]") {
  test::FakeAgentClient client;
  test::InMemoryLogStore store;
  client.add_entries("a", 100, 1000000);
  auto o = fast_options();
  o.first_contact_since_usec = 1000000 + 91;
  collect::Collector c(client, store, o);
  c.poll_once(specs({"a"}), {});
  CHECK(seqnums(store.entries[store.hosts["a"]]) == range(91, 100));
}

TEST_CASE("a stop request ends the round early", "[collect]") {
  test::FakeAgentClient client;
  test::InMemoryLogStore store;
  client.add_entries("a", 10);
  collect::Collector c(client, store, fast_options());
  std::stop_source stop;
  stop.request_stop();
  auto reports = c.poll_once(specs({"a"}), stop.get_token());
  CHECK(reports[0].status.code() == StatusCode::kUnavailable);
  CHECK(reports[0].status.message() == "stopped");
  CHECK(client.agents["a"].fetches == 0);
  CHECK(store.appends == 0);
  CHECK(store.entries[store.hosts["a"]].empty());
}

// Issue 11 #9: a fetch's retries used to sleep in the worker, so agents that fail (1,000
// unreachable ones took a round to about 33 minutes at the defaults) held every worker while
// healthy agents waited.
TEST_CASE("an agent waiting for its retry does not hold a worker", "[collect]") {
  test::FakeAgentClient client;
  test::InMemoryLogStore store;
  client.add_entries("flaky", 5);
  client.add_entries("b", 5);
  client.add_entries("c", 5);
  client.agents["flaky"].failures = {Status::unavailable("refused"),
                                     Status::unavailable("refused")};
  auto o = fast_options();
  o.parallel = 1;
  o.backoff = 300ms;
  std::mutex mu;
  std::vector<std::string> stored;  // agent of each stored batch, in order
  collect::Collector c(client, store, o, [&](const collect::AgentReport& r) {
    std::lock_guard lock(mu);
    stored.push_back(r.name);
  });
  auto reports = c.poll_once(specs({"flaky", "b", "c"}), {});
  for (const auto& r : reports) CHECK(r.status.is_ok());
  // One worker: b and c were stored while flaky waited for its second and third try.
  CHECK(stored == std::vector<std::string>{"b", "c", "flaky"});
  CHECK(client.agents["flaky"].fetches == 3);  // 2 failures, then the page (More: false)
  CHECK(seqnums(store.entries[store.hosts["flaky"]]) == range(1, 5));
}

TEST_CASE("a thousand unreachable agents fail within their backoff, not one after another",
          "[collect]") {
  test::FakeAgentClient client;  // agents it does not know answer "connection refused"
  test::InMemoryLogStore store;
  client.add_entries("healthy", 30);
  std::vector<wire::AgentSpec> agents = specs({"healthy"});
  for (int i = 0; i < 1000; ++i) agents.push_back(specs({"gone"})[0]);
  for (int i = 0; i < 1000; ++i) agents[1 + i].name = "gone-" + std::to_string(i);
  auto o = fast_options();
  o.parallel = 4;
  o.attempts = 5;
  o.backoff = 20ms;  // 300 ms of waits per agent: 75 s for 1,000 on 4 workers if they block
  auto started = std::chrono::steady_clock::now();
  collect::Collector c(client, store, o);
  auto reports = c.poll_once(agents, {});
  auto took = std::chrono::steady_clock::now() - started;
  CHECK(reports[0].status.is_ok());
  CHECK(seqnums(store.entries[store.hosts["healthy"]]) == range(1, 30));
  for (size_t i = 1; i < reports.size(); ++i) {
    REQUIRE(reports[i].status.code() == StatusCode::kUnavailable);
    REQUIRE(reports[i].name == "gone-" + std::to_string(i - 1));
  }
  // Not a benchmark: a bound two orders of magnitude above the expected ~0.3 s, and far below
  // the 75 s the blocking retries take.
  CHECK(took < 20s);
}

TEST_CASE("a stop request ends the waits for retries", "[collect]") {
  test::FakeAgentClient client;
  test::InMemoryLogStore store;
  client.add_entries("a", 5);
  client.agents["a"].failures = {Status::unavailable("refused")};
  auto o = fast_options();
  o.backoff = 60s;
  collect::Collector c(client, store, o);
  std::stop_source stop;
  std::thread stopper([&] {
    auto fetched = [&] {
      std::lock_guard lock(client.mutex);
      return client.agents["a"].fetches > 0;
    };
    while (!fetched()) std::this_thread::sleep_for(1ms);
    stop.request_stop();
  });
  auto reports = c.poll_once(specs({"a"}), stop.get_token());
  stopper.join();
  CHECK(reports[0].status.code() == StatusCode::kUnavailable);
  CHECK(reports[0].status.message() == "stopped");
  CHECK(store.entries[store.hosts["a"]].empty());
}

#include "infralogs/collect/follower.h"

#include <catch2/catch.hpp>
#include <thread>

#include "fakes/fake_agent_client.h"
#include "fakes/in_memory_log_store.h"
#include "infralogs/core/time.h"

using namespace infralogs;
using namespace std::chrono_literals;

namespace {

// FakeAgentClient that can follow: each follow response is the page after `after`, then a
// short wait, then a clean end (as wait= does). Agent "old" answers as an agent without follow.
class FollowingFake : public test::FakeAgentClient {
 public:
  std::atomic<int> streams{0};
  Status follow(const wire::AgentSpec& spec, const wire::FollowRequest& req,
                wire::FollowHandler& handler, std::stop_token stop) override {
    if (spec.name == "old") return Status::not_found("follow: unknown parameter");
    ++streams;
    auto b = fetch(spec, wire::FetchRequest{req.after, req.since_usec, 1000000}, stop);
    if (!b) return b.status();
    handler.on_start(1s, b->cursor_found);
    for (auto& e : b->entries) handler.on_entry(e);
    handler.on_alive();
    sleep_for(20ms, stop);
    return stop.stop_requested() ? Status::unavailable("stopped") : Status::ok();
  }
};

wire::AgentSpec spec(const char* name) {
  wire::AgentSpec s;
  s.name = name;
  s.url = std::string("http://") + name;
  return s;
}

size_t stored(test::InMemoryLogStore& store, const std::string& host) {
  std::lock_guard<std::mutex> lock(store.mutex);
  auto it = store.hosts.find(host);
  return it == store.hosts.end() ? 0 : store.entries[it->second].size();
}

bool wait_stored(test::InMemoryLogStore& store, const std::string& host, size_t n) {
  for (int i = 0; i < 500 && stored(store, host) < n; ++i) std::this_thread::sleep_for(10ms);
  return stored(store, host) == n;
}

// Stops and joins the follower's thread however the test ends.
struct Joined {
  std::stop_source& stop;
  std::thread& thread;
  ~Joined() {
    stop.request_stop();
    if (thread.joinable()) thread.join();
  }
};

}  // namespace

TEST_CASE("follower commits streamed entries once, polls agents that cannot follow, records gaps",
          "[collect][follow]") {
  FollowingFake client;
  test::InMemoryLogStore store;
  client.add_entries("f", 50);
  client.add_entries("old", 30);
  collect::CollectorOptions copts;
  copts.backoff = 1ms;
  collect::Collector poller(client, store, copts);
  collect::FollowerOptions o;
  o.commit_entries = 7;  // several transactions per response
  o.commit_delay = 20ms;
  o.backoff_min = 5ms;
  o.poll_interval = 1s;
  o.report_interval = 1s;
  o.collector = "test:1";
  collect::Follower follower(client, store, poller, o);
  std::stop_source stop;
  std::thread t([&] { follower.run({spec("f"), spec("old")}, stop.get_token()); });
  Joined joined{stop, t};

  REQUIRE(wait_stored(store, "f", 50));
  REQUIRE(wait_stored(store, "old", 30));
  client.add_entries("f", 30);  // written while following: the next response brings them
  REQUIRE(wait_stored(store, "f", 80));
  // The stored cursor vanishes (vacuumed): the next response says so, and a gap is recorded.
  {
    std::lock_guard<std::mutex> lock(client.mutex);
    auto& j = client.agents["f"].journal;
    LogEntry last = j.back();
    j.clear();
    for (uint64_t k = 1; k <= 5; ++k) {
      LogEntry e = last;
      e.seqnum = 80 + k;
      e.cursor = client.cursor_for(80 + k);
      e.realtime_usec += k;
      j.push_back(e);
    }
  }
  REQUIRE(wait_stored(store, "f", 85));
  stop.request_stop();
  t.join();

  {
    std::lock_guard<std::mutex> lock(store.mutex);
    const auto& es = store.entries[store.hosts["f"]];
    for (size_t i = 0; i < es.size(); ++i) CHECK(es[i].seqnum == i + 1);  // in order, once
    REQUIRE(store.gaps.size() == 1);
    CHECK(store.gaps[0].second.last_cursor == client.cursor_for(80));
    CHECK(store.gaps[0].second.first_cursor == client.cursor_for(81));
    CHECK(store.appends >= 80 / 7);
  }
  CHECK(client.streams > 1);  // reconnected after each clean end
  auto status = follower.status();
  REQUIRE(status.size() == 2);
  CHECK(status[0].name == "f");
  CHECK(status[0].entries == 85);
  CHECK(status[0].gaps == 1);
  CHECK(status[1].name == "old");
  CHECK(status[1].state == collect::StreamState::kPolling);
  CHECK(status[1].entries == 30);

  std::string prom = collect::render_follow_metrics(status, 2000000);
  CHECK(prom.find("infralogs_collect_follow_state{agent=\"old\",state=\"polling\"} 1") !=
        std::string::npos);
  CHECK(prom.find("infralogs_collect_follow_entries_total{agent=\"f\"} 85") != std::string::npos);
}

TEST_CASE("follower keeps what it received while the store fails, and stores it once after",
          "[collect][follow]") {
  FollowingFake client;
  test::InMemoryLogStore store;
  client.add_entries("f", 20);
  for (int i = 0; i < 4; ++i) store.append_failures.push_back(Status::unavailable("db down"));
  collect::Collector poller(client, store, {});
  collect::FollowerOptions o;
  o.commit_delay = 10ms;
  o.backoff_min = 5ms;
  o.report_interval = 1s;
  collect::Follower follower(client, store, poller, o);
  std::stop_source stop;
  std::thread t([&] { follower.run({spec("f")}, stop.get_token()); });
  Joined joined{stop, t};
  REQUIRE(wait_stored(store, "f", 20));
  client.add_entries("f", 3);
  REQUIRE(wait_stored(store, "f", 23));
  stop.request_stop();
  t.join();
  std::lock_guard<std::mutex> lock(store.mutex);
  const auto& es = store.entries[store.hosts["f"]];
  for (size_t i = 0; i < es.size(); ++i) CHECK(es[i].seqnum == i + 1);
}

TEST_CASE("follower waits backoff_min after a follow response that ends at once with nothing",
          "[collect][follow]") {
  // An agent whose follow responses start and end cleanly at once (its inotify instances ran
  // out, say): reconnecting at once would be a busy loop against it.
  struct EndsAtOnce : test::FakeAgentClient {
    std::atomic<int> streams{0};
    Status follow(const wire::AgentSpec&, const wire::FollowRequest&, wire::FollowHandler& handler,
                  std::stop_token) override {
      ++streams;
      handler.on_start(1s, true);
      return Status::ok();
    }
  } client;
  test::InMemoryLogStore store;
  client.add_entries("f", 0);
  collect::CollectorOptions copts;
  collect::Collector poller(client, store, copts);
  collect::FollowerOptions o;
  o.backoff_min = 100ms;
  o.report_interval = 1s;
  o.collector = "test:1";
  collect::Follower follower(client, store, poller, o);
  std::stop_source stop;
  std::thread t([&] { follower.run({spec("f")}, stop.get_token()); });
  Joined joined{stop, t};
  std::this_thread::sleep_for(1s);
  stop.request_stop();
  t.join();
  // About 10 in 1 s at 100 ms apart (without the wait: 3.5 million, measured); at least 2, so
  // the follower did reconnect.
  CHECK(client.streams >= 2);
  CHECK(client.streams <= 15);
}

namespace {

// A follow stream of big entries that records, after each entry it hands over, how many bytes
// it has handed over and the store has not committed: the follower's pending bytes, at least.
struct Measured : FollowingFake {
  std::atomic<size_t> handed{0}, committed{0}, max_pending{0};
  Status follow(const wire::AgentSpec& spec, const wire::FollowRequest& req,
                wire::FollowHandler& handler, std::stop_token stop) override {
    auto b = fetch(spec, wire::FetchRequest{req.after, req.since_usec, 1000000}, stop);
    if (!b) return b.status();
    handler.on_start(1s, b->cursor_found);
    for (auto& e : b->entries) {
      size_t bytes = collect::follow_entry_bytes(e);
      handler.on_entry(e);
      handed += bytes;
      size_t pending = handed - committed;
      size_t seen = max_pending;
      while (pending > seen && !max_pending.compare_exchange_weak(seen, pending)) {
      }
    }
    handler.on_alive();
    sleep_for(20ms, stop);
    return stop.stop_requested() ? Status::unavailable("stopped") : Status::ok();
  }
};

// Records each committed transaction's bytes and entries; the first appends fail (the
// database is away) so that the stream runs ahead of the commits.
struct RecordingStore : test::InMemoryLogStore {
  Measured* client = nullptr;
  std::mutex m;
  std::vector<std::pair<size_t, size_t>> commits;  // (bytes, entries)
  Status append(uint32_t host, const std::string& expected, const Batch& batch,
                const std::optional<Gap>& gap) override {
    Status s = test::InMemoryLogStore::append(host, expected, batch, gap);
    if (!s.is_ok()) return s;
    size_t bytes = 0;
    for (const auto& e : batch.entries) bytes += collect::follow_entry_bytes(e);
    client->committed += bytes;
    std::lock_guard<std::mutex> lock(m);
    commits.emplace_back(bytes, batch.entries.size());
    return s;
  }
};

void add_big_entries(test::FakeAgentClient& client, const std::string& agent, int n,
                     size_t message_bytes) {
  client.add_entries(agent, n);
  std::lock_guard<std::mutex> lock(client.mutex);
  for (auto& e : client.agents[agent].journal)
    if (!e.message || e.message->size() < message_bytes)
      e.message = std::string(message_bytes, 'x');
}

}  // namespace

TEST_CASE("follower holds at most queue_bytes uncommitted and cuts transactions at commit_bytes",
          "[collect][follow]") {
  Measured client;
  RecordingStore store;
  store.client = &client;
  add_big_entries(client, "f", 60, 100 << 10);  // 60 entries of 100 KiB: 6 MiB
  for (int i = 0; i < 3; ++i) store.append_failures.push_back(Status::unavailable("db down"));
  collect::Collector poller(client, store, {});
  collect::FollowerOptions o;
  o.commit_delay = 10ms;
  o.backoff_min = 50ms;  // 50 + 100 + 200 ms of the database away: the stream runs ahead
  o.report_interval = 1s;
  o.queue_bytes = 1 << 20;
  o.commit_bytes = 300 << 10;
  collect::Follower follower(client, store, poller, o);
  std::stop_source stop;
  std::thread t([&] { follower.run({spec("f")}, stop.get_token()); });
  Joined joined{stop, t};
  REQUIRE(wait_stored(store, "f", 60));
  stop.request_stop();
  t.join();
  // Without the byte bounds: all 6 MiB pending and one transaction of 60 entries.
  CHECK(client.max_pending <= o.queue_bytes);
  CHECK(client.max_pending > o.queue_bytes / 2);  // the bound was reached, so it was tested
  std::lock_guard<std::mutex> lock(store.m);
  CHECK(store.commits.size() >= 60 / 2);
  for (const auto& [bytes, entries] : store.commits) {
    INFO(bytes << " bytes, " << entries << " entries");
    CHECK((bytes <= o.commit_bytes || entries == 1));
  }
  std::lock_guard<std::mutex> lock2(store.mutex);
  const auto& es = store.entries[store.hosts["f"]];
  for (size_t i = 0; i < es.size(); ++i) CHECK(es[i].seqnum == i + 1);
}

TEST_CASE("follower takes an entry larger than queue_bytes alone, one at a time",
          "[collect][follow]") {
  Measured client;
  RecordingStore store;
  store.client = &client;
  add_big_entries(client, "f", 5, 3 << 20);  // each over the 1 MiB bounds
  collect::Collector poller(client, store, {});
  collect::FollowerOptions o;
  o.commit_delay = 10ms;
  o.backoff_min = 5ms;
  o.report_interval = 1s;
  o.queue_bytes = 1 << 20;
  o.commit_bytes = 1 << 20;
  collect::Follower follower(client, store, poller, o);
  std::stop_source stop;
  std::thread t([&] { follower.run({spec("f")}, stop.get_token()); });
  Joined joined{stop, t};
  REQUIRE(wait_stored(store, "f", 5));
  stop.request_stop();
  t.join();
  CHECK(client.max_pending <= collect::follow_entry_bytes(client.agents["f"].journal[0]));
  std::lock_guard<std::mutex> lock(store.m);
  CHECK(store.commits.size() == 5);
  for (const auto& c : store.commits) CHECK(c.second == 1);
}

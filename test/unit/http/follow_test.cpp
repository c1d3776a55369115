// The follow parts of the agent's routes: /logs follow and wait parameters, the followers'
// slots, and the wait at the tail (heartbeat, end, stop), over the fake journal.

#include "http/follow.h"

#include <catch2/catch.hpp>
#include <thread>

#include "fakes/fake_journal_reader.h"
#include "infralogs/http/agent_routes.h"

using namespace infralogs;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

bool parse(std::multimap<std::string, std::string> p, http::LogsQuery* q, http::ParamError* err) {
  http::AgentOptions options;
  options.follow_max_duration = std::chrono::seconds(300);
  return http::parse_logs_query(p, options, q, err);
}

std::unique_ptr<journal::Session> tail_session(test::FakeJournalReader& reader) {
  auto s = reader.open({}, {});
  REQUIRE(s);
  while (*(*s)->advance()) {
  }
  return std::move(*s);
}

}  // namespace

TEST_CASE("parse_logs_query reads follow and wait", "[unit][follow]") {
  http::LogsQuery q;
  http::ParamError err;
  REQUIRE(parse({{"follow", "true"}, {"wait", "300"}}, &q, &err));
  CHECK(q.follow);
  CHECK(q.wait == std::chrono::seconds(300));
  CHECK_FALSE(q.limit_given);
  REQUIRE(parse({{"follow", "true"}, {"limit", "3"}}, &q, &err));
  CHECK(q.limit_given);
  CHECK(q.wait.count() == 0);
  REQUIRE(parse({{"follow", "false"}}, &q, &err));
  CHECK_FALSE(q.follow);
  REQUIRE(parse({}, &q, &err));
  CHECK_FALSE(q.follow);
}

TEST_CASE("parse_logs_query refuses bad follow and wait values, naming them", "[unit][follow]") {
  using P = std::multimap<std::string, std::string>;
  for (const P& p : std::vector<P>{{{"follow", "true"}, {"wait", "0"}},
                                   {{"follow", "true"}, {"wait", "abc"}},
                                   {{"follow", "true"}, {"wait", "100000"}},
                                   {{"follow", "true"}, {"wait", "301"}},
                                   {{"follow", "true"}, {"wait", ""}},
                                   {{"follow", "true"}, {"wait", "5"}, {"wait", "5"}},
                                   {{"wait", "5"}}}) {
    http::LogsQuery q;
    http::ParamError err;
    CHECK_FALSE(parse(p, &q, &err));
    CHECK(err.parameter == "wait");
  }
  for (std::string v : {"", "1", "yes", "TRUE"}) {
    http::LogsQuery q;
    http::ParamError err;
    CHECK_FALSE(parse({{"follow", v}}, &q, &err));
    CHECK(err.parameter == "follow");
  }
}

TEST_CASE("FollowerSlots counts followers up to max and frees slots", "[unit][follow]") {
  MetricsRegistry metrics;
  http::FollowerSlots slots(2, metrics);
  auto a = slots.acquire();
  auto b = slots.acquire();
  REQUIRE(a);
  REQUIRE(b);
  CHECK_FALSE(slots.acquire());
  CHECK(metrics.gauge("infralogs_agent_followers", "").value() == 2);
  CHECK(metrics.counter("infralogs_agent_follow_refused_total", "").value() == 1);
  a.reset();
  CHECK(metrics.gauge("infralogs_agent_followers", "").value() == 1);
  CHECK(slots.acquire());
}

TEST_CASE("Follower: heartbeat when idle, end at its duration", "[unit][follow]") {
  test::FakeJournalReader reader;
  reader.entries.push_back({1, {"MESSAGE=a"}});
  auto session = tail_session(reader);
  std::stop_source stop;
  http::Follower f(milliseconds(100), milliseconds(350), stop.get_token());
  auto t0 = Clock::now();
  auto next = f.wait(*session);
  REQUIRE(next);
  CHECK(*next == http::Follower::Next::kHeartbeat);
  CHECK(Clock::now() - t0 >= milliseconds(90));
  f.sent();
  int beats = 1;
  while (true) {
    next = f.wait(*session);
    REQUIRE(next);
    if (*next == http::Follower::Next::kEnd) break;
    CHECK(*next == http::Follower::Next::kHeartbeat);
    f.sent();
    ++beats;
  }
  CHECK(beats == 3);  // at 100, 200 and 300 ms
  CHECK(Clock::now() - t0 >= milliseconds(340));
  CHECK(f.ended());
}

TEST_CASE("Follower: new entries end the wait; a stop ends it at once", "[unit][follow]") {
  test::FakeJournalReader reader;
  reader.entries.push_back({1, {"MESSAGE=a"}});
  auto session = tail_session(reader);
  std::stop_source stop;
  http::Follower f(milliseconds(60000), milliseconds(60000), stop.get_token());
  reader.entries.push_back({2, {"MESSAGE=b"}});
  auto next = f.wait(*session);
  REQUIRE(next);
  CHECK(*next == http::Follower::Next::kRead);
  CHECK(*session->advance());

  std::thread stopper([&] {
    std::this_thread::sleep_for(milliseconds(100));
    stop.request_stop();
  });
  auto t0 = Clock::now();
  next = f.wait(*session);
  stopper.join();
  REQUIRE(next);
  CHECK(*next == http::Follower::Next::kEnd);
  CHECK(Clock::now() - t0 < milliseconds(2000));
}

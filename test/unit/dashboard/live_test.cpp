// LiveHub over a FakeLogReader: which entries a stream gets, in which order, and that a
// resume with an event id loses and repeats nothing.

#include "infralogs/dashboard/live.h"

#include <catch2/catch.hpp>
#include <thread>

#include "fakes/fake_log_reader.h"

using namespace infralogs;
using dashboard::LiveFilter;
using dashboard::LiveHub;
using test::FakeLogReader;

namespace {

constexpr uint64_t kSec = 1000000;
constexpr uint64_t kT = 1700000000ULL * kSec;  // the fixture's now

storage::SearchRow row(uint32_t host_id, uint64_t time, uint64_t seqnum, std::string message,
                       int priority = 6, std::string unit = "app.service") {
  storage::SearchRow r;
  r.key = {time, host_id, std::string(16, 'a'), seqnum};
  r.host = "vm-" + std::to_string(host_id);
  r.priority = priority;
  r.unit = unit;
  r.message = std::move(message);
  return r;
}

struct Fixture {
  FakeLogReader reader;
  uint64_t now = kT;
  dashboard::LiveOptions options;
  Fixture() {
    options.now_usec = [this] { return now; };
    options.backlog = 2;
  }
  std::unique_ptr<LiveHub> hub;
  LiveHub& start() {
    hub = std::make_unique<LiveHub>(reader, options);
    return *hub;
  }
  void poll() { REQUIRE(hub->poll_once().is_ok()); }
};

std::vector<std::string> messages(const LiveHub::Batch& b) {
  std::vector<std::string> out;
  for (const auto& e : b.entries) out.push_back(e.row.message.value_or("-"));
  return out;
}

using Strings = std::vector<std::string>;

LiveFilter host_is(std::string host) {
  LiveFilter f;
  f.host = std::move(host);
  return f;
}
LiveFilter unit_is(std::string unit) {
  LiveFilter f;
  f.unit = std::move(unit);
  return f;
}
LiveFilter priority_at_most(int p) {
  LiveFilter f;
  f.max_priority = p;
  return f;
}
constexpr std::chrono::milliseconds kNoWait{0};

}  // namespace

TEST_CASE("a stream starts with the newest matching entries, then gets each new one once",
          "[dashboard][live]") {
  Fixture f;
  f.reader.add_entry(row(1, kT - 30 * kSec, 1, "old-1"));
  f.reader.add_entry(row(1, kT - 20 * kSec, 2, "old-2"));
  f.reader.add_entry(row(1, kT - 10 * kSec, 3, "old-3"));
  LiveHub& hub = f.start();
  f.poll();  // the first look: what is stored already is history
  auto s = hub.open({}, std::nullopt);
  REQUIRE(s);
  CHECK(messages(s->next(kNoWait)) == Strings{"old-2", "old-3"});  // backlog 2, oldest first
  CHECK(messages(s->next(kNoWait)).empty());
  f.reader.add_entry(row(1, kT - 5 * kSec, 4, "new-4"));
  f.reader.add_entry(row(1, kT - 4 * kSec, 5, "new-5"));
  f.poll();
  CHECK(messages(s->next(kNoWait)) == Strings{"new-4", "new-5"});
  f.poll();  // nothing new: nothing again
  CHECK(messages(s->next(kNoWait)).empty());
  f.reader.add_entry(row(1, kT - 3 * kSec, 6, "new-6"));
  f.poll();
  CHECK(messages(s->next(kNoWait)) == Strings{"new-6"});
}

TEST_CASE("an entry both in the backlog and buffered after the stream opened comes once",
          "[dashboard][live]") {
  Fixture f;
  LiveHub& hub = f.start();
  f.poll();
  auto s = hub.open({}, std::nullopt);
  // Stored after the open, before the stream's first read: the backlog search finds it and
  // the poller buffers it too.
  f.reader.add_entry(row(1, kT - 1 * kSec, 1, "both"));
  f.poll();
  CHECK(messages(s->next(kNoWait)) == Strings{"both"});
  CHECK(messages(s->next(kNoWait)).empty());
}

TEST_CASE("a resume with the last event id continues without loss or duplicates",
          "[dashboard][live]") {
  Fixture f;
  LiveHub& hub = f.start();
  f.poll();
  std::string last;
  {
    auto s = hub.open({}, std::nullopt);
    s->next(kNoWait);
    f.reader.add_entry(row(1, kT + 1, 1, "a"));
    f.reader.add_entry(row(2, kT + 2, 1, "b"));
    f.poll();
    auto b = s->next(kNoWait);
    REQUIRE(messages(b) == Strings{"a", "b"});
    last = s->event_id(b.entries.back());
  }  // the client went away
  f.reader.add_entry(row(1, kT + 3, 2, "c"));
  f.poll();
  f.reader.add_entry(row(2, kT + 4, 2, "d"));
  f.poll();
  auto s = hub.open({}, last);
  auto b = s->next(kNoWait);
  CHECK(b.reset.empty());
  CHECK(messages(b) == Strings{"c", "d"});
  // The id of an entry in the middle resumes after it.
  std::string mid = s->event_id(b.entries.front());
  auto again = hub.open({}, mid);
  CHECK(messages(again->next(kNoWait)) == Strings{"d"});
}

TEST_CASE("the id of a backlog entry resumes where the live entries start", "[dashboard][live]") {
  Fixture f;
  f.reader.add_entry(row(1, kT - 2 * kSec, 1, "old"));
  LiveHub& hub = f.start();
  f.poll();
  std::string id;
  {
    auto s = hub.open({}, std::nullopt);
    auto b = s->next(kNoWait);
    REQUIRE(messages(b) == Strings{"old"});
    id = s->event_id(b.entries.front());
  }
  f.reader.add_entry(row(1, kT - 1 * kSec, 2, "new"));
  f.poll();
  auto s = hub.open({}, id);
  CHECK(messages(s->next(kNoWait)) == Strings{"new"});
}

TEST_CASE("an id of another serve process, or no longer buffered, resets the stream",
          "[dashboard][live]") {
  Fixture f;
  f.options.buffer_entries = 2;
  LiveHub& hub = f.start();
  f.poll();
  auto other = hub.open({}, std::string("12345-7"));
  auto b = other->next(kNoWait);
  CHECK(b.reset == "the stream position is from another serve process");
  CHECK(b.entries.empty());  // no backlog after a reset: it says entries may be missing
  CHECK(hub.open({}, std::string("garbage"))->next(kNoWait).reset != "");

  std::string first;
  {
    auto s = hub.open({}, std::nullopt);
    s->next(kNoWait);
    f.reader.add_entry(row(1, kT + 1, 1, "e1"));
    f.poll();
    first = s->event_id(s->next(kNoWait).entries.at(0));
  }
  for (uint64_t i = 2; i <= 4; ++i) {
    f.reader.add_entry(row(1, kT + i, i, "e" + std::to_string(i)));
    f.poll();
  }
  // The buffer holds e3 and e4: after e1, e2 is gone.
  auto s = hub.open({}, first);
  b = s->next(kNoWait);
  CHECK(b.reset == "the stream position is no longer buffered");
  CHECK(messages(b).empty());  // continues from now
  f.reader.add_entry(row(1, kT + 5, 5, "e5"));
  f.poll();
  CHECK(messages(s->next(kNoWait)) == Strings{"e5"});
}

TEST_CASE(
    "an entry of a host that is collected later than a newer one of another host still "
    "comes",
    "[dashboard][live]") {
  Fixture f;
  LiveHub& hub = f.start();
  f.poll();
  auto s = hub.open({}, std::nullopt);
  s->next(kNoWait);
  f.reader.add_entry(row(2, kT + 2 * kSec, 1, "vm-2 newer"));
  f.poll();
  CHECK(messages(s->next(kNoWait)) == Strings{"vm-2 newer"});
  // vm-1's collector commits later, with an entry written before vm-2's.
  f.reader.add_entry(row(1, kT + 1 * kSec, 1, "vm-1 older"));
  f.poll();
  CHECK(messages(s->next(kNoWait)) == Strings{"vm-1 older"});
}

TEST_CASE("a host that appears after the first poll streams its recent entries, not its history",
          "[dashboard][live]") {
  Fixture f;
  LiveHub& hub = f.start();
  f.poll();
  auto s = hub.open({}, std::nullopt);
  s->next(kNoWait);
  f.reader.add_entry(row(3, kT - 3600 * kSec, 1, "history"));
  f.reader.add_entry(row(3, kT - 5 * kSec, 2, "recent"));
  f.poll();
  CHECK(messages(s->next(kNoWait)) == Strings{"recent"});
}

TEST_CASE("streams see only their filter's entries", "[dashboard][live]") {
  Fixture f;
  f.options.backlog = 0;
  LiveHub& hub = f.start();
  f.poll();
  auto by_host = hub.open(host_is("vm-2"), std::nullopt);
  auto by_unit = hub.open(unit_is("db.service"), std::nullopt);
  auto errors = hub.open(priority_at_most(3), std::nullopt);
  f.reader.add_entry(row(1, kT + 1, 1, "vm-1 info", 6));
  f.reader.add_entry(row(2, kT + 2, 1, "vm-2 err", 3));
  f.reader.add_entry(row(1, kT + 3, 2, "vm-1 db", 6, "db.service"));
  storage::SearchRow none = row(1, kT + 4, 3, "vm-1 no priority");
  none.priority.reset();
  f.reader.add_entry(none);
  f.poll();
  CHECK(messages(by_host->next(kNoWait)) == Strings{"vm-2 err"});
  CHECK(messages(by_unit->next(kNoWait)) == Strings{"vm-1 db"});
  CHECK(messages(errors->next(kNoWait)) == Strings{"vm-2 err"});
}

TEST_CASE("a poll reads at most poll_limit entries and the next goes on from there",
          "[dashboard][live]") {
  Fixture f;
  f.options.poll_limit = 2;
  f.options.backlog = 0;
  LiveHub& hub = f.start();
  f.poll();
  auto s = hub.open({}, std::nullopt);
  for (uint64_t i = 1; i <= 5; ++i) f.reader.add_entry(row(1, kT + i, i, std::to_string(i)));
  bool more = false;
  REQUIRE(hub.poll_once(&more).is_ok());
  CHECK(more);
  CHECK(messages(s->next(kNoWait)) == Strings{"1", "2"});
  REQUIRE(hub.poll_once(&more).is_ok());
  REQUIRE(hub.poll_once(&more).is_ok());
  CHECK_FALSE(more);
  CHECK(messages(s->next(kNoWait)) == Strings{"3", "4", "5"});
  REQUIRE(hub.poll_once(&more).is_ok());
  CHECK(messages(s->next(kNoWait)).empty());
}

TEST_CASE("at most max_streams are open; a closed one frees its slot", "[dashboard][live]") {
  Fixture f;
  f.options.max_streams = 2;
  LiveHub& hub = f.start();
  auto a = hub.open({}, std::nullopt);
  auto b = hub.open({}, std::nullopt);
  REQUIRE(a);
  REQUIRE(b);
  CHECK_FALSE(hub.open({}, std::nullopt));
  CHECK(hub.open_streams() == 2);
  a.reset();
  CHECK(hub.open({}, std::nullopt));
}

TEST_CASE("stop ends a waiting stream at once", "[dashboard][live]") {
  Fixture f;
  LiveHub& hub = f.start();
  f.poll();
  auto s = hub.open({}, std::nullopt);
  s->next(kNoWait);
  auto started = std::chrono::steady_clock::now();
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    hub.stop();
  });
  auto b = s->next(std::chrono::seconds(30));
  stopper.join();
  CHECK(b.stopped);
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(5));
}

TEST_CASE("a waiting stream wakes when the poller buffers an entry", "[dashboard][live]") {
  Fixture f;
  f.options.poll_interval = std::chrono::milliseconds(10);
  LiveHub& hub = f.start();
  hub.start();
  auto s = hub.open({}, std::nullopt);
  s->next(kNoWait);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // past the first look
  f.reader.add_entry(row(1, kT + 1, 1, "woke"));
  auto b = s->next(std::chrono::seconds(10));
  CHECK(messages(b) == Strings{"woke"});
  hub.stop();
}

TEST_CASE("long messages are cut, and not inside a UTF-8 character", "[dashboard][live]") {
  Fixture f;
  f.options.message_bytes = 5;
  f.options.backlog = 0;
  LiveHub& hub = f.start();
  f.poll();
  auto s = hub.open({}, std::nullopt);
  f.reader.add_entry(row(1, kT + 1, 1, "abcd\xc3\xa9xyz"));  // é at bytes 4-5
  f.reader.add_entry(row(1, kT + 2, 2, "short"));
  f.poll();
  auto b = s->next(kNoWait);
  REQUIRE(b.entries.size() == 2);
  CHECK(*b.entries[0].row.message == "abcd");
  CHECK(b.entries[0].truncated);
  CHECK(*b.entries[1].row.message == "short");
  CHECK_FALSE(b.entries[1].truncated);
  CHECK(dashboard::live_entry_json(b.entries[0])["truncated"] == true);
}

TEST_CASE("the lag says how long ago the replica applied a write and stored the newest entry",
          "[dashboard][live]") {
  Fixture f;
  f.reader.add_entry(row(1, kT - 7 * kSec, 1, "vm-1"));
  f.reader.add_entry(row(2, kT - 3 * kSec, 1, "vm-2"));
  f.reader.set_progress_clock(kT, kT - 2 * kSec);
  LiveHub& hub = f.start();
  CHECK_FALSE(hub.open({}, std::nullopt)->lag().replica_ok);  // before any poll
  f.poll();
  dashboard::LiveLag lag = hub.open({}, std::nullopt)->lag();
  CHECK(lag.replica_ok);
  CHECK(lag.last_write_age_s == 2.0);
  CHECK(lag.newest_entry_age_s == 3.0);
  CHECK(hub.open(host_is("vm-1"), std::nullopt)->lag().newest_entry_age_s == 7.0);
  f.reader.fail_next("progress", Status::unavailable("replica down"));
  CHECK(hub.poll_once().code() == StatusCode::kUnavailable);
  CHECK_FALSE(hub.open({}, std::nullopt)->lag().replica_ok);
}

TEST_CASE("a backlog the replica cannot give is an error, and the stream goes on",
          "[dashboard][live]") {
  Fixture f;
  LiveHub& hub = f.start();
  f.poll();
  auto s = hub.open({}, std::nullopt);
  f.reader.fail_next("search", Status::unavailable("replica down"));
  auto b = s->next(kNoWait);
  CHECK(b.error.code() == StatusCode::kUnavailable);
  f.reader.add_entry(row(1, kT + 1, 1, "later"));
  f.poll();
  CHECK(messages(s->next(kNoWait)) == Strings{"later"});
}

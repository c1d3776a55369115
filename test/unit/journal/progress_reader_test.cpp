#include "infralogs/journal/progress_reader.h"

#include <catch2/catch.hpp>

#include "fakes/fake_journal_reader.h"
#include "infralogs/http/journal_health.h"

using namespace infralogs;

namespace {

void add(test::FakeJournalReader& j, int n, uint64_t first_realtime) {
  for (int i = 0; i < n; ++i)
    j.entries.push_back({first_realtime + static_cast<uint64_t>(i) * 1000000, {"MESSAGE=m"}});
}

// Reads `n` entries from the head (or to the end) through `reader`, as a /logs page does.
void serve(journal::JournalReader& reader, size_t n) {
  auto s = reader.open({}, {});
  REQUIRE(s);
  journal::Entry e;
  for (size_t i = 0; i < n; ++i) {
    auto more = (*s)->advance();
    REQUIRE(more);
    if (!*more) break;
    REQUIRE((*s)->read(&e).is_ok());
  }
}

}  // namespace

TEST_CASE("the agent's stall report: served against the tail, stalled after stall_after",
          "[journal][stall]") {
  test::FakeJournalReader inner;
  add(inner, 10, 1'000'000'000);
  uint64_t now = 5'000'000'000;
  journal::ProgressReader reader(
      inner, {.stall_after = std::chrono::seconds(60), .now_usec = [&now] { return now; }});
  // Nothing served yet: behind the tail, not stalled before stall_after.
  auto p = reader.serve_progress();
  REQUIRE(p);
  CHECK(p->tail_cursor == "fake-9");
  CHECK(p->last_served_cursor.empty());
  CHECK_FALSE(p->stalled);

  serve(reader, 100);  // everything
  p = reader.serve_progress();
  CHECK(p->last_served_cursor == "fake-9");
  CHECK(p->seconds_since_served == 0);
  CHECK_FALSE(p->stalled);
  // Caught up and idle for long: not stalled (nothing new to serve).
  now += 3600'000'000ull;
  CHECK_FALSE(reader.serve_progress()->stalled);

  // The journal grows by 5 entries (the tail 14 s after the last served) and nobody takes them.
  add(inner, 5, 1'000'000'000 + 10'000'000);
  p = reader.serve_progress();
  CHECK(p->tail_cursor == "fake-14");
  CHECK(p->stalled);  // an hour since anything was served
  nlohmann::json j = http::journal_health_json(reader);
  CHECK(j["served_lag_seconds"] == 5);
  CHECK(j["stalled"] == true);
  CHECK(j["last_served_cursor"] == "fake-9");

  // The tail session of serve_progress() is not "served"; a client's page is.
  serve(reader, 100);
  p = reader.serve_progress();
  CHECK(p->last_served_cursor == "fake-14");
  CHECK_FALSE(p->stalled);
  CHECK(http::journal_health_json(reader)["served_lag_seconds"] == 0);

  // A plain reader keeps no such record: /healthz shows null.
  CHECK(http::journal_health_json(inner).is_null());
}

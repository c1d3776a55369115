// MariaDbLogReader::context's statements and the reading of their rows (context_sql.h), with a
// hand-written runner in place of the database.

#include "storage/context_sql.h"

#include <catch2/catch.hpp>

using namespace infralogs;
using storage::ContextSide;
using storage::Row;

namespace {

size_t placeholders(const std::string& sql) { return std::count(sql.begin(), sql.end(), '?'); }

uint64_t bound_u64(storage::SqlBuilder& b, size_t i) {
  auto binds = b.params().binds(b.params().size());
  REQUIRE(binds.has_value());
  REQUIRE((*binds)[i].buffer_type == MYSQL_TYPE_LONGLONG);
  return *static_cast<const uint64_t*>((*binds)[i].buffer);
}

storage::SearchKey key(uint64_t t, uint64_t seqnum = 9) {
  return {t, 2, std::string(16, '\x05'), seqnum};
}

Row row(uint64_t t, uint64_t seqnum = 9) {
  return {std::to_string(t),
          "2",
          std::string(16, '\x05'),
          std::to_string(seqnum),
          "vm-1",
          "3",
          "nginx.service",
          std::nullopt,
          "42",
          "hello"};
}

}  // namespace

TEST_CASE("context statements bind one value per placeholder and walk the right index",
          "[storage][context]") {
  for (bool unit : {false, true}) {
    for (ContextSide side : {ContextSide::kOlder, ContextSide::kNewer}) {
      storage::ContextQuery q;
      q.at = key(3000);
      if (unit) q.unit = "cron?.service";  // a '?' in the data goes into a parameter
      INFO("unit " << unit << ", side " << static_cast<int>(side));
      storage::SqlBuilder b = storage::context_statement(q, side, 20);
      CHECK(placeholders(b.text()) == b.params().size());
      CHECK(b.text().find("cron") == std::string::npos);
      CHECK(b.text().find(unit ? "FORCE INDEX (ix_entries_unit_time)"
                               : "FORCE INDEX (ix_entries_host_time)") != std::string::npos);
      // One row more than asked shows whether there are more.
      CHECK(bound_u64(b, b.params().size() - 1) == 21);
      // The walk goes away from the entry: newest first for older ones.
      bool older = side == ContextSide::kOlder;
      CHECK(b.text().find(older ? "ORDER BY e.realtime_us DESC" : "ORDER BY e.realtime_us ASC") !=
            std::string::npos);
      CHECK(b.text().find(older ? "e.realtime_us <= ?" : "e.realtime_us >= ?") !=
            std::string::npos);
    }
  }
  storage::SqlBuilder at = storage::context_at_statement(key(3000));
  CHECK(placeholders(at.text()) == at.params().size());
  CHECK(bound_u64(at, 0) == 2);
  CHECK(bound_u64(at, 3) == 3000);
}

TEST_CASE("context rows come in journal order, the older ones reversed", "[storage][context]") {
  std::vector<storage::SearchRow> out;
  bool more = true;
  // Older rows arrive nearest first.
  REQUIRE(storage::context_rows({row(300), row(200), row(100)}, ContextSide::kOlder, 2, &out, &more)
              .is_ok());
  REQUIRE(out.size() == 2);
  CHECK(out[0].key.realtime_usec == 200);
  CHECK(out[1].key.realtime_usec == 300);
  CHECK(out[1].unit == "nginx.service");
  CHECK(out[1].pid == 42u);
  CHECK(more);
  REQUIRE(storage::context_rows({row(400), row(500)}, ContextSide::kNewer, 2, &out, &more).is_ok());
  REQUIRE(out.size() == 2);
  CHECK(out[0].key.realtime_usec == 400);
  CHECK_FALSE(more);
  Row bad = row(1);
  bad[0] = "x";
  CHECK(storage::context_rows({bad}, ContextSide::kNewer, 5, &out, &more).code() ==
        StatusCode::kCorruption);
}

TEST_CASE("read_context asks only for the sides wanted and passes failures on",
          "[storage][context]") {
  std::vector<std::string> asked;
  std::vector<std::vector<Row>> answers;
  storage::RunQuery run = [&](storage::SqlBuilder& b) -> Result<std::vector<Row>> {
    asked.push_back(b.text());
    if (answers.empty()) return Status::unavailable("replica down");
    auto a = answers.front();
    answers.erase(answers.begin());
    return a;
  };
  storage::ContextQuery q;
  q.at = key(300);
  q.include_at = true;
  q.before = 1;
  q.after = 5;
  answers = {{row(300)}, {row(200), row(100)}, {row(400)}};
  auto page = storage::read_context(q, run);
  REQUIRE(page.has_value());
  REQUIRE(asked.size() == 3);
  REQUIRE(page->at);
  CHECK(page->at->key.realtime_usec == 300);
  REQUIRE(page->older.size() == 1);
  CHECK(page->older[0].key.realtime_usec == 200);
  CHECK(page->more_older);
  REQUIRE(page->newer.size() == 1);
  CHECK_FALSE(page->more_newer);

  // A page further back: no entry lookup, no newer side.
  asked.clear();
  q.include_at = false;
  q.after.reset();
  answers = {{}};
  page = storage::read_context(q, run);
  REQUIRE(page.has_value());
  CHECK(asked.size() == 1);
  CHECK_FALSE(page->at);
  CHECK(page->older.empty());
  CHECK_FALSE(page->more_older);

  answers.clear();
  CHECK(storage::read_context(q, run).status().code() == StatusCode::kUnavailable);
}

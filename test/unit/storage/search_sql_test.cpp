#include "storage/search_sql.h"

#include <catch2/catch.hpp>

using namespace infralogs;
using storage::Row;
using storage::SearchPlan;

namespace {

size_t placeholders(const std::string& sql) { return std::count(sql.begin(), sql.end(), '?'); }

uint64_t bound_u64(storage::SqlBuilder& b, size_t i) {
  auto binds = b.params().binds(b.params().size());
  REQUIRE(binds.has_value());
  REQUIRE((*binds)[i].buffer_type == MYSQL_TYPE_LONGLONG);
  return *static_cast<const uint64_t*>((*binds)[i].buffer);
}

storage::SearchKey key(uint64_t t) { return {t, 2, std::string(16, '\x05'), 9}; }

Row row(uint64_t t, std::optional<std::string> priority = "3") {
  return {std::to_string(t),
          "2",
          std::string(16, '\x05'),
          "9",
          "vm-1",
          priority,
          "nginx.service",
          std::nullopt,
          "42",
          "hello"};
}

}  // namespace

TEST_CASE("every search statement binds exactly one value per placeholder", "[storage][search]") {
  for (int mask = 0; mask < 32; ++mask) {
    storage::SearchQuery q;
    q.window = {1000, 5000};
    if (mask & 1) q.host = "vm-1";
    if (mask & 2) q.unit = "nginx.service";
    if (mask & 4) q.max_priority = 3;
    if (mask & 8) q.text = "fail?";  // a '?' in the data goes into a parameter, not the text
    if (mask & 16) q.after = key(3000);
    for (SearchPlan plan : {SearchPlan::kTimeWalk, SearchPlan::kSlice}) {
      INFO("filters " << mask << ", plan " << static_cast<int>(plan));
      storage::SqlBuilder b = storage::search_statement(q, plan, 1234);
      CHECK(placeholders(b.text()) == b.params().size());
      CHECK(b.text().find("fail") == std::string::npos);
      CHECK(bound_u64(b, b.params().size() - 1) == q.limit + 1);
    }
  }
}

TEST_CASE("a search without host or unit walks the time index first, within its budget",
          "[storage][search]") {
  storage::SearchQuery q;
  q.window = {1000, 5000};
  CHECK(storage::first_plan(q) == SearchPlan::kTimeWalk);
  storage::SqlBuilder walk = storage::search_statement(q, SearchPlan::kTimeWalk, 1234);
  CHECK(walk.text().find("FORCE INDEX (ix_entries_time)") != std::string::npos);
  CHECK(walk.text().find("ROWS EXAMINED 1234") != std::string::npos);
  storage::SqlBuilder whole = storage::search_statement(q, SearchPlan::kSlice, 1234);
  CHECK(whole.text().find("ROWS EXAMINED") == std::string::npos);
  q.host = "vm-1";
  CHECK(storage::first_plan(q) == SearchPlan::kSlice);
  q.host.reset();
  q.unit = "cron.service";
  CHECK(storage::first_plan(q) == SearchPlan::kSlice);
  // The walk is the answer unless it ran out of budget (a warning) with the page not full.
  CHECK(storage::walk_answered(5, 0, 10, true));
  CHECK_FALSE(storage::walk_answered(5, 1, 10, true));
  CHECK_FALSE(storage::walk_answered(10, 1, 10, true));
  CHECK(storage::walk_answered(11, 1, 10, true));
  // A short walk that may have met its time limit is not trusted, a full page is.
  CHECK_FALSE(storage::walk_answered(5, 0, 10, false));
  CHECK(storage::walk_answered(11, 0, 10, false));
}

TEST_CASE("a slice reads the index of its host, unit or time in the page's order",
          "[storage][search]") {
  // Ordered by time alone (the index gives the rest of the key): ORDER BY the whole key made
  // MariaDB read and sort every row of the unit in the slice before the first row.
  storage::SearchQuery q;
  q.window = {1000, 5000};
  q.text = "x";
  auto index_of = [&] {
    std::string sql = storage::search_statement(q, SearchPlan::kSlice, 1).text();
    CHECK(sql.find("ORDER BY e.realtime_us DESC LIMIT ?") != std::string::npos);
    CHECK(sql.find("e.host_id DESC") == std::string::npos);
    CHECK(sql.find("STRAIGHT_JOIN hosts") != std::string::npos);
    size_t at = sql.find("FORCE INDEX (");
    REQUIRE(at != std::string::npos);
    return sql.substr(at + 13, sql.find(')', at) - at - 13);
  };
  CHECK(index_of() == "ix_entries_time");
  q.unit = "sshd.service";
  CHECK(index_of() == "ix_entries_unit_time");
  q.host = "vm-1";  // a host's rows are fewer than a common unit's across hosts
  CHECK(index_of() == "ix_entries_host_time");
  q.unit.reset();
  CHECK(index_of() == "ix_entries_host_time");
}

TEST_CASE("a page after a key ends at that key's time", "[storage][search]") {
  storage::SearchQuery q;
  q.window = {1000, 5000};
  q.after = key(3000);
  storage::SqlBuilder b = storage::search_statement(q, SearchPlan::kSlice, 1);
  CHECK(bound_u64(b, 0) == 1000);
  CHECK(bound_u64(b, 1) == 3001);
  q.after = key(9000);  // after the window's end: the window's end stays
  b = storage::search_statement(q, SearchPlan::kSlice, 1);
  CHECK(bound_u64(b, 1) == 5000);
}

TEST_CASE("a search page keeps limit rows and points past the last when there were more",
          "[storage][search]") {
  std::vector<Row> rows = {row(300), row(200, std::nullopt), row(100)};
  auto page = storage::search_page(rows, 2);
  REQUIRE(page.has_value());
  REQUIRE(page->rows.size() == 2);
  CHECK(page->rows[0].key.realtime_usec == 300);
  CHECK(page->rows[0].priority == 3);
  CHECK_FALSE(page->rows[1].priority.has_value());
  CHECK(page->rows[0].host == "vm-1");
  CHECK(page->rows[0].unit == "nginx.service");
  CHECK_FALSE(page->rows[0].identifier.has_value());
  CHECK(page->rows[0].pid == 42u);
  CHECK(page->rows[0].message == "hello");
  REQUIRE(page->next.has_value());
  CHECK(page->next->realtime_usec == 200);
  CHECK(page->next->seqnum == 9);
  auto last = storage::search_page(rows, 3);
  REQUIRE(last.has_value());
  CHECK(last->rows.size() == 3);
  CHECK_FALSE(last->next.has_value());
}

TEST_CASE("a stored number that does not parse makes the page corrupt, naming the column",
          "[storage][search]") {
  std::vector<Row> rows = {row(300)};
  rows[0][3] = "9x";
  auto page = storage::search_page(rows, 10);
  REQUIRE_FALSE(page.has_value());
  CHECK(page.status().code() == StatusCode::kCorruption);
  CHECK(page.status().message() == "search: column 4 is '9x', not a number");
  rows[0][3] = std::nullopt;
  CHECK(storage::search_page(rows, 10).status().code() == StatusCode::kCorruption);
}

TEST_CASE("row reads never read past the row", "[storage]") {
  Row r = {"7", std::nullopt};
  storage::RowReader read(r, "test");
  CHECK(read.u64(0) == 7);
  CHECK(read.is_null(1));
  CHECK(read.text(1).empty());
  CHECK_FALSE(read.opt_u64(1).has_value());
  CHECK(read.status().is_ok());
  CHECK(read.text(5).empty());
  CHECK(read.u64(5) == 0);
  CHECK(read.status().code() == StatusCode::kCorruption);
  CHECK(infralogs::parse_u64("18446744073709551615") == UINT64_MAX);
  CHECK_FALSE(infralogs::parse_u64("18446744073709551616").has_value());
  CHECK_FALSE(infralogs::parse_u64(" 1").has_value());
}

TEST_CASE("text matches case-insensitively by default, exactly on request or when it cannot fold",
          "[storage][search]") {
  storage::SearchQuery q;
  q.text = "Kernel panic";
  CHECK(storage::caseless_text(q));
  q.text =
      "\xc3\x89"
      "cole";  // "École": non-ASCII folds too
  CHECK(storage::caseless_text(q));
  q.exact_case = true;
  CHECK_FALSE(storage::caseless_text(q));
  q.exact_case = false;
  // Digits and punctuation match the same either way: the cheaper byte comparison.
  q.text = "10.0.3.4:80";
  CHECK_FALSE(storage::caseless_text(q));
  // Not UTF-8 (a stray byte, an overlong '/', a surrogate, past U+10FFFF, cut short): the
  // bytes are matched exactly.
  for (std::string bad :
       {std::string("caf\xe9"), std::string("a\xc0\xaf"), std::string("a\xed\xa0\x80"),
        std::string("a\xf4\x90\x80\x80"), std::string("a\xe2\x82")}) {
    INFO(bad);
    q.text = bad;
    CHECK_FALSE(storage::caseless_text(q));
  }
  q.text = "a\xf0\x9f\x98\x80";  // U+1F600, four bytes
  CHECK(storage::caseless_text(q));
  q.text.clear();
  CHECK_FALSE(storage::caseless_text(q));
}

TEST_CASE("the caseless pattern quotes every character, \\E included", "[storage][search]") {
  CHECK(storage::caseless_pattern("Kernel panic") == "(?i)\\QKernel panic\\E");
  CHECK(storage::caseless_pattern("50% a_b c\\d (x|y)*") == "(?i)\\Q50% a_b c\\d (x|y)*\\E");
  CHECK(storage::caseless_pattern("x\\Ey") == "(?i)\\Qx\\E\\\\E\\Qy\\E");
  CHECK(storage::caseless_pattern("end\\") == "(?i)\\Qend\\\\E");
}

TEST_CASE("a caseless search uses REGEXP on the message as utf8mb4, an exact one LOCATE",
          "[storage][search]") {
  storage::SearchQuery q;
  q.window = {1000, 5000};
  q.text = "Panic";
  for (SearchPlan plan : {SearchPlan::kTimeWalk, SearchPlan::kSlice}) {
    storage::SqlBuilder b = storage::search_statement(q, plan, 10);
    CHECK(b.text().find("CONVERT(e.message USING utf8mb4) COLLATE utf8mb4_bin REGEXP ?") !=
          std::string::npos);
    CHECK(b.text().find("LOCATE") == std::string::npos);
    CHECK(b.text().find("LIKE") == std::string::npos);
  }
  q.exact_case = true;
  storage::SqlBuilder b = storage::search_statement(q, SearchPlan::kSlice, 10);
  CHECK(b.text().find("LOCATE(?, e.message) > 0") != std::string::npos);
  CHECK(b.text().find("REGEXP") == std::string::npos);
}

TEST_CASE("a resume key continues just before its time", "[storage][search]") {
  storage::SearchKey k = storage::resume_key(4000);
  CHECK(k.realtime_usec == 4000);
  CHECK(k.host_id == 0);
  CHECK(k.seqnum_id == std::string(16, '\0'));
  CHECK(k.seqnum == 0);
  CHECK(storage::is_resume_key(k));
  CHECK_FALSE(storage::is_resume_key(key(4000)));
  // As `after`: the page ends at 4000, exclusive, by the time alone (no key condition).
  storage::SearchQuery q;
  q.window = {1000, 5000};
  q.after = k;
  CHECK(storage::search_end_usec(q) == 4000);
  storage::SqlBuilder b = storage::search_statement(q, SearchPlan::kSlice, 1);
  CHECK(bound_u64(b, 1) == 4000);
  CHECK(b.text().find("(e.host_id, e.seqnum_id, e.seqnum) <") == std::string::npos);
  // A row's key ends the page at its time + 1, the key order deciding at that time.
  q.after = key(4000);
  CHECK(storage::search_end_usec(q) == 4001);
  // Its text form parses back (the dashboard hands it out as `next`).
  auto back = storage::SearchKey::parse(k.to_string());
  REQUIRE(back.has_value());
  CHECK(back->realtime_usec == 4000);
  CHECK(back->seqnum_id == k.seqnum_id);
}

TEST_CASE("a resume key carries the next page's first slice span", "[storage][search]") {
  constexpr uint64_t kHour = 3600000000;
  storage::SearchKey k = storage::resume_key(4000, kHour);
  CHECK(storage::is_resume_key(k));
  auto back = storage::SearchKey::parse(k.to_string());
  REQUIRE(back.has_value());
  CHECK(storage::carried_slice_usec(back) == kHour);
  // Resume keys without a span (as handed out before), row keys and no key carry none.
  CHECK_FALSE(storage::carried_slice_usec(storage::resume_key(4000)).has_value());
  CHECK_FALSE(storage::carried_slice_usec(key(4000)).has_value());
  CHECK_FALSE(storage::carried_slice_usec(std::nullopt).has_value());
  // The span handed on aims the next page's first slice at a third of a whole budget.
  CHECK(storage::carried_slice_usec(kHour, 100, 300) == kHour);
  CHECK(storage::carried_slice_usec(kHour, 10, 300) == 4 * kHour);
  CHECK(storage::carried_slice_usec(kHour, 400, 300) == kHour / 4);
  // With no budget (one slice per page) it grows 4x: time does not limit such a page.
  CHECK(storage::carried_slice_usec(kHour, 1000, 0) == 4 * kHour);
}

TEST_CASE("a page after a partial one skips the walk; the walk gets a third of the budget",
          "[storage][search]") {
  storage::SearchQuery q;
  q.window = {1000, 5000};
  q.after = key(3000);
  CHECK(storage::first_plan(q) == SearchPlan::kTimeWalk);
  q.after = storage::resume_key(3000, 60000000);
  CHECK(storage::first_plan(q) == SearchPlan::kSlice);
  q.after = storage::resume_key(3000);
  CHECK(storage::first_plan(q) == SearchPlan::kSlice);
  CHECK(storage::walk_limit_ms(300) == 100);
  CHECK(storage::walk_limit_ms(200) == Approx(66.67).epsilon(0.01));
  CHECK(storage::walk_limit_ms(0) == 1);
  CHECK(storage::walk_limit_ms(1) == 1);
}

TEST_CASE("time slices grow while cheap and shrink when slow, within 4x", "[storage][search]") {
  constexpr uint64_t kMinute = 60000000;
  CHECK(storage::next_slice_usec(kMinute, 0, 200) == 4 * kMinute);   // too fast to measure
  CHECK(storage::next_slice_usec(kMinute, 1, 200) == 4 * kMinute);   // capped at 4x
  CHECK(storage::next_slice_usec(kMinute, 50, 300) == 2 * kMinute);  // a third of what is left
  CHECK(storage::next_slice_usec(kMinute, 100, 20) == kMinute / 4);  // shrinks at most 4x
  CHECK(storage::next_slice_usec(2000000, 100, 1) == 1000000);       // never below 1 s
}

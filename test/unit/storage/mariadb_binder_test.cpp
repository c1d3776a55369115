#include "storage/mariadb_binder.h"

#include <catch2/catch.hpp>
#include <string>

using namespace infralogs;
using storage::ColumnBinder;
using storage::Params;

namespace {

uint64_t number_at(const MYSQL_BIND& b) { return *static_cast<const uint64_t*>(b.buffer); }

std::string text_at(const MYSQL_BIND& b) {
  return std::string(static_cast<const char*>(b.buffer), *b.length);
}

}  // namespace

TEST_CASE("params take a 17th and a 100th value, and every bind still points at its own",
          "[storage][binder]") {
  Params p;
  for (uint64_t i = 0; i < 100; ++i) {
    if (i % 3 == 1)
      p.str("value " + std::to_string(i));
    else if (i == 50)
      p.null();
    else
      p.u64(i * 1000);
  }
  REQUIRE(p.size() == 100);
  auto binds = p.binds(100);
  REQUIRE(binds.has_value());
  MYSQL_BIND* b = *binds;
  for (uint64_t i = 0; i < 100; ++i) {
    INFO("parameter " << i + 1);
    if (i % 3 == 1) {
      CHECK(b[i].buffer_type == MYSQL_TYPE_BLOB);
      CHECK(b[i].buffer_length == *b[i].length);
      CHECK(text_at(b[i]) == "value " + std::to_string(i));
    } else if (i == 50) {
      CHECK(b[i].buffer_type == MYSQL_TYPE_NULL);
    } else {
      CHECK(b[i].buffer_type == MYSQL_TYPE_LONGLONG);
      CHECK(b[i].is_unsigned);
      CHECK(number_at(b[i]) == i * 1000);
    }
  }
  CHECK(text_at(b[16]) == "value 16");  // the 17th: one past the old fixed array of 16
  CHECK(number_at(b[99]) == 99000);
}

TEST_CASE("params refuse a statement with another number of placeholders", "[storage][binder]") {
  Params p;
  for (int i = 0; i < 17; ++i) p.u64(static_cast<uint64_t>(i));
  auto fewer = p.binds(16);
  REQUIRE_FALSE(fewer.has_value());
  CHECK(fewer.status().code() == StatusCode::kInternal);
  CHECK(fewer.status().message() == "statement has 16 parameters, 17 were bound");
  // The other way round the client would read past the array.
  CHECK(p.binds(18).status().code() == StatusCode::kInternal);
  CHECK(p.binds(17).has_value());
  Params none;
  CHECK(none.binds(0).has_value());
}

TEST_CASE("the column binder binds whole columns with their types and indicators",
          "[storage][binder]") {
  std::vector<uint8_t> prio = {3, 6};
  std::vector<uint32_t> host = {7, 7};
  std::vector<uint64_t> counts = {10, 20};
  std::vector<const char*> units = {"a.service", "b.service"};
  std::vector<unsigned long> unit_lens = {9, 9};
  std::vector<char> unit_ind = {STMT_INDICATOR_NONE, STMT_INDICATOR_NULL};
  ColumnBinder b(2);
  b.numbers(prio);
  b.numbers(host);
  b.numbers(counts);
  b.strings(units, unit_lens, &unit_ind);
  b.strings(units, unit_lens, nullptr, MYSQL_TYPE_STRING);
  REQUIRE(b.size() == 5);
  auto binds = b.binds(5);
  REQUIRE(binds.has_value());
  MYSQL_BIND* m = *binds;
  CHECK(m[0].buffer_type == MYSQL_TYPE_TINY);
  CHECK(m[1].buffer_type == MYSQL_TYPE_LONG);
  CHECK(m[2].buffer_type == MYSQL_TYPE_LONGLONG);
  for (int i = 0; i < 3; ++i) CHECK(m[i].is_unsigned);
  CHECK(m[0].buffer == prio.data());
  CHECK(m[2].buffer == counts.data());
  CHECK(m[3].buffer_type == MYSQL_TYPE_BLOB);
  CHECK(m[3].buffer == units.data());
  CHECK(m[3].length == unit_lens.data());
  CHECK(m[3].u.indicator == unit_ind.data());
  CHECK(m[4].buffer_type == MYSQL_TYPE_STRING);
  CHECK(m[4].u.indicator == nullptr);
  CHECK(b.binds(6).status().code() == StatusCode::kInternal);
}

TEST_CASE("the column binder refuses a column shorter or longer than the rows",
          "[storage][binder]") {
  std::vector<uint64_t> ok = {1, 2, 3};
  std::vector<uint64_t> short_column = {1, 2};
  std::vector<char> long_indicators(4, STMT_INDICATOR_NONE);
  std::vector<const char*> ptrs = {"x", "y", "z"};
  std::vector<unsigned long> short_lens = {1, 1};
  SECTION("values") {
    ColumnBinder b(3);
    b.numbers(ok);
    b.numbers(short_column);
    auto binds = b.binds(2);
    REQUIRE_FALSE(binds.has_value());
    CHECK(binds.status().code() == StatusCode::kInternal);
    CHECK(binds.status().message() == "bulk column 2 has 2 values for 3 rows");
  }
  SECTION("indicators") {
    ColumnBinder b(3);
    b.numbers(ok, &long_indicators);
    CHECK(b.binds(1).status().message() == "bulk column 1 has 4 values for 3 rows");
  }
  SECTION("lengths") {
    ColumnBinder b(3);
    b.strings(ptrs, short_lens);
    CHECK(b.binds(1).status().code() == StatusCode::kInternal);
  }
}

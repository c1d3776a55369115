#include "infralogs/journal/query.h"

#include <catch2/catch.hpp>

using namespace infralogs::journal;

TEST_CASE("times parse as microseconds, @seconds or UTC ISO 8601", "[journal]") {
  CHECK(*parse_time("1735689600000000") == 1735689600000000ULL);
  CHECK(*parse_time("@1735689600") == 1735689600000000ULL);
  CHECK(*parse_time("2025-01-01T00:00:00Z") == 1735689600000000ULL);
  CHECK(*parse_time("2025-01-01 00:00:01") == 1735689601000000ULL);
  CHECK(*parse_time("2025-01-01T00:00:00.25Z") == 1735689600250000ULL);
  CHECK_FALSE(parse_time("yesterday").has_value());
  CHECK_FALSE(parse_time("2025-13-01T00:00:00Z").has_value());
  CHECK_FALSE(parse_time("@").has_value());
  CHECK_FALSE(parse_time("").has_value());
  CHECK_FALSE(parse_time("2025-01-01T00:00:00Zjunk").has_value());
}

TEST_CASE("priorities parse as journalctl's names and numbers", "[journal]") {
  CHECK(*parse_priority("err") == 3);
  CHECK(*parse_priority("debug") == 7);
  CHECK(*parse_priority("0") == 0);
  CHECK_FALSE(parse_priority("8").has_value());
  CHECK_FALSE(parse_priority("error").has_value());
  CHECK(parse_priority("banana").status().code() == infralogs::StatusCode::kInvalidArgument);
}

TEST_CASE("field names follow the journal's rule", "[journal]") {
  CHECK(is_valid_field_name("MESSAGE"));
  CHECK(is_valid_field_name("_SYSTEMD_UNIT"));
  CHECK(is_valid_field_name(std::string(64, 'A')));
  CHECK_FALSE(is_valid_field_name(std::string(65, 'A')));
  CHECK_FALSE(is_valid_field_name("message"));
  CHECK_FALSE(is_valid_field_name("1ABC"));
  CHECK_FALSE(is_valid_field_name(""));
  CHECK_FALSE(is_valid_field_name("A=B"));
}

TEST_CASE("unit names without a suffix become services", "[journal]") {
  CHECK(complete_unit_name("nginx") == "nginx.service");
  CHECK(complete_unit_name("nginx.service") == "nginx.service");
  CHECK(complete_unit_name("system.slice") == "system.slice");
  CHECK(complete_unit_name("a.b") == "a.b.service");
}

TEST_CASE("boot IDs are 32 hex digits, dashes allowed as in a UUID", "[journal]") {
  CHECK(*parse_boot_id("0123456789ABCDEF0123456789abcdef") == "0123456789abcdef0123456789abcdef");
  CHECK(*parse_boot_id("01234567-89ab-cdef-0123-456789abcdef") ==
        "0123456789abcdef0123456789abcdef");
  CHECK_FALSE(parse_boot_id("0123").has_value());
  CHECK_FALSE(parse_boot_id("g123456789abcdef0123456789abcdef").has_value());
}

TEST_CASE("typed times also count back from now: now, now-24h, 30m, 7d", "[journal]") {
  const uint64_t now = 1735689600000000ULL;  // 2025-01-01T00:00:00Z
  constexpr uint64_t kMinute = 60ULL * 1000000ULL;
  CHECK(*parse_time("now", now) == now);
  CHECK(*parse_time("now-24h", now) == now - 24 * 60 * kMinute);
  CHECK(*parse_time("now-30m", now) == now - 30 * kMinute);
  CHECK(*parse_time("now-7d", now) == now - 7 * 24 * 60 * kMinute);
  CHECK(*parse_time("30m", now) == now - 30 * kMinute);
  CHECK(*parse_time("7d", now) == now - 7 * 24 * 60 * kMinute);
  // Absolute times are parse_time's, whatever now is.
  CHECK(*parse_time("@1735689600", 1) == 1735689600000000ULL);
  CHECK(*parse_time("2025-01-01T00:00:00Z", 1) == 1735689600000000ULL);
  CHECK(*parse_time("1735689600000000", 1) == 1735689600000000ULL);
  for (const char* bad :
       {"now-", "now-24", "now-1y", "now+1h", "yesterday", "", "99999999999999999999h"}) {
    INFO(bad);
    auto t = parse_time(bad, now);
    REQUIRE_FALSE(t.has_value());
    CHECK(t.status().code() == infralogs::StatusCode::kInvalidArgument);
  }
  // The agent's since/until stay absolute.
  CHECK_FALSE(parse_time("now-24h").has_value());
  CHECK_FALSE(parse_time("now").has_value());
}

#include "infralogs/core/parse.h"

#include <catch2/catch.hpp>
#include <thread>

#include "infralogs/core/time.h"

using namespace infralogs;

TEST_CASE("parse_u64 takes decimal digits up to UINT64_MAX and nothing else", "[core]") {
  CHECK(parse_u64("0") == std::optional<uint64_t>(0));
  CHECK(parse_u64("18446744073709551615") == std::optional<uint64_t>(UINT64_MAX));
  for (const char* bad : {"", "18446744073709551616", "99999999999999999999999", "-1", "+1", " 1",
                          "1 ", "0x10", "1e3", "abc"}) {
    INFO(bad);
    CHECK_FALSE(parse_u64(bad));
  }
}

TEST_CASE("parse_u64 in base 16 takes hex digits of either case and nothing else", "[core]") {
  CHECK(parse_u64("ff", 16) == std::optional<uint64_t>(255));
  CHECK(parse_u64("FFFFFFFFFFFFFFFF", 16) == std::optional<uint64_t>(UINT64_MAX));
  for (const char* bad : {"", "10000000000000000", "0x10", "-1", "g", "1 "}) {
    INFO(bad);
    CHECK_FALSE(parse_u64(bad, 16));
  }
}

TEST_CASE("parse_listen_address takes host:port, [v6]:port and :port", "[core]") {
  struct Case {
    const char* text;
    const char* host;
    int port;
  };
  for (const Case& c :
       {Case{"127.0.0.1:8080", "127.0.0.1", 8080}, Case{"[::1]:19532", "::1", 19532},
        Case{":0", "", 0}, Case{"0.0.0.0:65535", "0.0.0.0", 65535},
        Case{"host.example:1", "host.example", 1}}) {
    INFO(c.text);
    auto a = parse_listen_address(c.text);
    REQUIRE(a);
    CHECK(a->host == c.host);
    CHECK(a->port == c.port);
  }
  for (const char* bad :
       {"", "8080", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1",
        "127.0.0.1:123456789012345678901234567890", "::1:80", "[]:80", "127.0.0.1:80x"}) {
    INFO(bad);
    auto a = parse_listen_address(bad);
    REQUIRE_FALSE(a);
    CHECK(a.status().code() == StatusCode::kInvalidArgument);
  }
}

TEST_CASE("parse_relative_time counts back from now, and refuses overflow", "[core]") {
  const uint64_t now = 1'700'000'000'000'000;
  struct Case {
    const char* text;
    uint64_t want;
  };
  for (const Case& c :
       {Case{"now", now}, Case{"30s", now - 30'000'000}, Case{"90m", now - 5'400'000'000},
        Case{"24h", now - 86'400'000'000}, Case{"7d", now - 604'800'000'000},
        Case{"now-24h", now - 86'400'000'000}, Case{"0h", now}, Case{"100000d", 0}}) {
    INFO(c.text);
    auto t = parse_relative_time(c.text, now);
    REQUIRE(t);
    REQUIRE(t->has_value());
    CHECK(**t == c.want);
  }
  // Not relative: left to the absolute parser.
  for (const char* other :
       {"", "@1700000000", "1700000000000000", "2024-01-01T00:00:00Z", "h", "24x", "whenever"}) {
    INFO(other);
    auto t = parse_relative_time(other, now);
    REQUIRE(t);
    CHECK_FALSE(t->has_value());
  }
  for (const char* bad : {"99999999999999999999h", "18446744073709551615s", "213503982336d", "now-",
                          "now-x", "now-24", "now-99999999999999999999d"}) {
    INFO(bad);
    auto t = parse_relative_time(bad, now);
    REQUIRE_FALSE(t);
    CHECK(t.status().code() == StatusCode::kInvalidArgument);
  }
}

TEST_CASE("sleep_for sleeps its time, and a stop request cuts it short", "[core]") {
  using namespace std::chrono_literals;
  std::stop_source running;
  auto t0 = std::chrono::steady_clock::now();
  CHECK(sleep_for(20ms, running.get_token()));
  CHECK(std::chrono::steady_clock::now() - t0 >= 20ms);

  std::stop_source stopped;
  stopped.request_stop();
  t0 = std::chrono::steady_clock::now();
  CHECK_FALSE(sleep_for(std::chrono::hours(1), stopped.get_token()));
  CHECK(std::chrono::steady_clock::now() - t0 < 5s);

  std::stop_source later;
  std::thread stopper([&] {
    std::this_thread::sleep_for(20ms);
    later.request_stop();
  });
  CHECK_FALSE(sleep_for(std::chrono::hours(1), later.get_token()));
  stopper.join();
}

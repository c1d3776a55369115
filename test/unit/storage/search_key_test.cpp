#include <catch2/catch.hpp>

#include "infralogs/storage/log_reader.h"

using namespace infralogs;

TEST_CASE("search keys round-trip through their text form", "[storage]") {
  storage::SearchKey k{
      1735689600000001, 7,
      std::string("\x00\x01\xfe\xff\x10\x20\x30\x40\x50\x60\x70\x80\x90\xa0\xb0\xc0", 16), 42};
  CHECK(k.to_string() == "1735689600000001-7-0001feff102030405060708090a0b0c0-42");
  auto back = storage::SearchKey::parse(k.to_string());
  REQUIRE(back.has_value());
  CHECK(back->realtime_usec == k.realtime_usec);
  CHECK(back->host_id == 7);
  CHECK(back->seqnum_id == k.seqnum_id);
  CHECK(back->seqnum == 42);
}

TEST_CASE("malformed search keys do not parse", "[storage]") {
  for (const char* bad :
       {"", "1-2-3", "x-1-00000000000000000000000000000000-1",
        "1-2-zz000000000000000000000000000000-3",
        "1-99999999999-00000000000000000000000000000000-1", "1-2-00-3",
        "1-2-00000000000000000000000000000000-", "-2-00000000000000000000000000000000-3",
        "1-2-00000000000000000000000000000000-3-4", "1-+2-00000000000000000000000000000000-3"}) {
    INFO(bad);
    CHECK_FALSE(storage::SearchKey::parse(bad).has_value());
  }
}

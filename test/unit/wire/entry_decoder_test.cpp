#include "infralogs/wire/entry_decoder.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "infralogs/journal/entry_format.h"

using namespace infralogs;
using nlohmann::json;

namespace {

constexpr const char* kCursor =
    "s=0123456789abcdef0123456789abcdef;i=1f;b=fedcba9876543210fedcba9876543210;m=10;t=62a;x=ab";

// The line the agent would send for these items.
std::string agent_line(const std::vector<std::string>& items) {
  journal::Entry e;
  e.cursor = kCursor;
  e.realtime_usec = 1735689600000001;
  e.monotonic_usec = 16;
  e.boot_id = "fedcba9876543210fedcba9876543210";
  for (const auto& i : items) e.add_item(i.data(), i.size());
  std::string out;
  journal::append_json(e, {}, &out);
  out.pop_back();  // the newline
  return out;
}

}  // namespace

TEST_CASE("decoder reads the address and selected fields", "[wire]") {
  std::string line = agent_line({"MESSAGE=hello", "PRIORITY=3", "_SYSTEMD_UNIT=nginx.service",
                                 "SYSLOG_IDENTIFIER=nginx", "_PID=42", "_UID=33", "_COMM=nginx",
                                 "_TRANSPORT=journal", "OTHER=x"});
  LogEntry e;
  REQUIRE(wire::decode_entry(line, &e).is_ok());
  CHECK(e.cursor == kCursor);
  CHECK(e.seqnum == 0x1f);
  CHECK(e.seqnum_id ==
        std::string("\x01\x23\x45\x67\x89\xab\xcd\xef\x01\x23\x45\x67\x89\xab\xcd\xef", 16));
  CHECK(e.realtime_usec == 1735689600000001);
  CHECK(e.monotonic_usec == 16);
  CHECK(e.boot_id.size() == 16);
  CHECK(*e.message == "hello");
  CHECK(*e.priority == 3);
  CHECK(*e.unit == "nginx.service");
  CHECK(*e.identifier == "nginx");
  CHECK(*e.pid == 42);
  CHECK(*e.uid == 33);
  CHECK(*e.comm == "nginx");
  CHECK(*e.transport == "journal");
  // fields_json is the served object less MESSAGE.
  json full = json::parse(line), rest = json::parse(e.fields_json);
  full.erase("MESSAGE");
  CHECK(rest == full);
}

TEST_CASE("decoder keeps binary, escaped and unicode values byte-exact", "[wire]") {
  for (std::string msg :
       {std::string("a\0b\xff\xfe", 5), std::string("tab\there \"q\" back\\slash\nnl"),
        std::string("caf\xc3\xa9 \xf0\x9f\x98\x80 \xe2\x80\xae"), std::string(""),
        std::string("\x1b[31mred\x1b[0m\r\n"), std::string(5000, 'x')}) {
    LogEntry e;
    REQUIRE(wire::decode_entry(agent_line({"MESSAGE=" + msg}), &e).is_ok());
    CHECK(*e.message == msg);
  }
  // JSON escapes another writer might use: \u with a surrogate pair, \/.
  LogEntry e;
  std::string line = std::string("{\"__CURSOR\":\"") + kCursor +
                     "\",\"__REALTIME_TIMESTAMP\":\"5\",\"MESSAGE\":\"\\u00e9\\ud83d\\ude00\\/\"}";
  REQUIRE(wire::decode_entry(line, &e).is_ok());
  CHECK(*e.message == "\xc3\xa9\xf0\x9f\x98\x80/");
  CHECK(e.fields_json ==
        std::string("{\"__CURSOR\":\"") + kCursor + "\",\"__REALTIME_TIMESTAMP\":\"5\" }");
}

TEST_CASE("decoder leaves repeated fields whole in fields_json", "[wire]") {
  std::string line =
      agent_line({"MESSAGE=first", "MESSAGE=second", "PRIORITY=3", "PRIORITY=4", "TAG=a", "TAG=b"});
  LogEntry e;
  REQUIRE(wire::decode_entry(line, &e).is_ok());
  CHECK(*e.message == "first");
  CHECK_FALSE(e.priority.has_value());
  CHECK(json::parse(e.fields_json) == json::parse(line));
}

TEST_CASE("decoder takes MESSAGE out wherever it stands in the object", "[wire]") {
  std::string head = std::string("{\"MESSAGE\":[1,2],\"__CURSOR\":\"") + kCursor +
                     "\",\"__REALTIME_TIMESTAMP\":\"5\"}";
  LogEntry e;
  REQUIRE(wire::decode_entry(head, &e).is_ok());
  CHECK(*e.message == std::string("\x01\x02", 2));
  CHECK(json::parse(e.fields_json) == json::parse(std::string("{\"__CURSOR\":\"") + kCursor +
                                                  "\",\"__REALTIME_TIMESTAMP\":\"5\"}"));
}

TEST_CASE("decoder marks MESSAGE's place with its one space", "[wire]") {
  const std::string c = std::string("\"__CURSOR\":\"") + kCursor + "\"";
  const std::string t = "\"__REALTIME_TIMESTAMP\":\"5\"";
  for (auto [line, stored] : std::vector<std::pair<std::string, std::string>>{
           {"{\"MESSAGE\":\"m\"," + c + "," + t + "}", "{ " + c + "," + t + "}"},
           {"{" + c + ",\"MESSAGE\":[1,2]," + t + "}", "{" + c + " ," + t + "}"},
           {"{" + c + "," + t + ",\"MESSAGE\":\"a b\"}", "{" + c + "," + t + " }"},
           // A line with whitespace of its own gets no mark (it would not be the only one).
           {"{" + c + ", \"MESSAGE\":\"m\"," + t + "}", "{" + c + "," + t + "}"},
           {"{" + c + ",\"MESSAGE\":\"m\"," + t + "} ", "{" + c + "," + t + "} "}}) {
    INFO(line);
    LogEntry e;
    REQUIRE(wire::decode_entry(line, &e).is_ok());
    CHECK(e.fields_json == stored);
  }
  // The agent's line: the mark where MESSAGE was, the rest as sent.
  std::string line = agent_line({"A=1", "MESSAGE=hello world", "Z=2"});
  LogEntry e;
  REQUIRE(wire::decode_entry(line, &e).is_ok());
  std::string want = line;
  want.replace(want.find(",\"MESSAGE\""), std::string(",\"MESSAGE\":\"hello world\"").size(), " ");
  CHECK(e.fields_json == want);
}

TEST_CASE("decoder refuses what is not a protocol entry", "[wire]") {
  LogEntry e;
  std::string base =
      std::string("{\"__CURSOR\":\"") + kCursor + "\",\"__REALTIME_TIMESTAMP\":\"5\"";
  CHECK(wire::decode_entry(base + "}", &e).is_ok());
  for (std::string bad :
       {std::string("not json"), std::string("[1,2]"), base, base + ",}", base + "} x",
        base + ",\"M\":[256]}", base + ",\"M\":[1,]}", base + ",\"M\":\"\\x\"}",
        base + ",\"M\":\"\\ud800\"}", base + ",\"M\":12}", base + ",\"M\":\"unterminated}",
        std::string("{\"__REALTIME_TIMESTAMP\":\"5\"}"),
        std::string("{\"__CURSOR\":\"no-seqnum\",\"__REALTIME_TIMESTAMP\":\"5\"}"),
        std::string("{\"__CURSOR\":\"") + kCursor + "\"}",
        std::string("{\"__CURSOR\":\"") + kCursor + "\",\"__REALTIME_TIMESTAMP\":\"soon\"}",
        std::string("{\"__CURSOR\":\"") + kCursor +
            "\",\"__REALTIME_TIMESTAMP\":\"5\",\"M\":\"a\x01\"}"}) {
    INFO(bad);
    Status s = wire::decode_entry(bad, &e);
    CHECK(s.code() == StatusCode::kCorruption);
    CHECK_FALSE(s.message().empty());
  }
}

// Found by test/fuzz/decode_entry_fuzz.cpp: a key with a byte that is not UTF-8 was accepted,
// and the entry's fields_json was then invalid JSON.
TEST_CASE("lines with invalid UTF-8 in a key or value are refused", "[wire]") {
  std::string line = agent_line({"MESSAGE=hello", "_COMM=sh"});
  LogEntry e;
  REQUIRE(wire::decode_entry(line, &e).is_ok());
  std::string bad_key = line;
  bad_key.replace(bad_key.find("_COMM"), 5, "_COMM\x84");
  Status st = wire::decode_entry(bad_key, &e);
  CHECK(st.code() == StatusCode::kCorruption);
  CHECK_THAT(st.message(), Catch::Contains("UTF-8"));
  std::string bad_value = line;
  bad_value.replace(bad_value.find("\"sh\""), 4, "\"s\xc3\x28\"");
  CHECK(wire::decode_entry(bad_value, &e).code() == StatusCode::kCorruption);
  // Valid multi-byte UTF-8 still passes.
  std::string accented = line;
  accented.replace(accented.find("\"sh\""), 4, "\"\xc3\xa9t\xc3\xa9\"");
  REQUIRE(wire::decode_entry(accented, &e).is_ok());
  CHECK(e.comm == "\xc3\xa9t\xc3\xa9");
  // Also found by the fuzzer: a byte number with a leading zero is not JSON.
  std::string bytes = agent_line({"MESSAGE=hello", std::string("BIN=\xff\x2f", 6)});
  REQUIRE(wire::decode_entry(bytes, &e).is_ok());
  bytes.replace(bytes.find("47]"), 3, "047]");
  CHECK(wire::decode_entry(bytes, &e).code() == StatusCode::kCorruption);
}

// The string scan skips plain ASCII 16 bytes at a time: a quote, a backslash escape, a control
// byte, UTF-8 or invalid UTF-8 at any offset of a block, or in the bytes left after the last
// whole block, is still found there.
TEST_CASE("decoder finds escapes, control bytes and UTF-8 at every offset of the fast scan",
          "[wire]") {
  for (size_t len = 0; len <= 40; ++len) {
    for (size_t at = 0; at <= len; ++at) {
      std::string head(at, 'a'), tail(len - at, 'z');
      for (std::string special : {std::string("\""), std::string("\\"), std::string("\n"),
                                  std::string("\x7f"), std::string("\xc3\xa9")}) {
        std::string msg = head + special + tail;
        LogEntry e;
        INFO("len " << len << ", at " << at << ", special byte " << int(special[0]));
        REQUIRE(wire::decode_entry(agent_line({"MESSAGE=" + msg}), &e).is_ok());
        CHECK(*e.message == msg);
      }
      // Written raw, not by the agent: a control byte and invalid UTF-8 are refused there.
      for (std::string bad : {std::string("\x01"), std::string("\xff")}) {
        std::string line = std::string("{\"__CURSOR\":\"") + kCursor +
                           "\",\"__REALTIME_TIMESTAMP\":\"5\",\"MESSAGE\":\"" + head + bad + tail +
                           "\"}";
        LogEntry e;
        INFO("len " << len << ", at " << at << ", raw byte " << int(bad[0]));
        CHECK(wire::decode_entry(line, &e).code() == StatusCode::kCorruption);
      }
    }
  }
}

#include "infralogs/journal/entry_format.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "infralogs/journal/query.h"

using namespace infralogs::journal;
using nlohmann::json;

namespace {

Entry make_entry(const std::vector<std::string>& items) {
  Entry e;
  e.cursor = "s=abc;i=1";
  e.realtime_usec = 1735689600000001;
  e.monotonic_usec = 42;
  e.boot_id = "0123456789abcdef0123456789abcdef";
  for (const auto& i : items) e.add_item(i.data(), i.size());
  return e;
}

json to_json(const Entry& e, const FieldSet& fields = {}) {
  std::string out;
  append_json(e, fields, &out);
  REQUIRE(out.back() == '\n');
  REQUIRE(out.find('\n') == out.size() - 1);
  return json::parse(out);
}

}  // namespace

TEST_CASE("printable UTF-8 follows systemd's rule", "[journal]") {
  CHECK(is_printable_utf8("plain text\twith tab", false));
  CHECK(is_printable_utf8("line1\nline2", true));
  CHECK_FALSE(is_printable_utf8("line1\nline2", false));
  CHECK(is_printable_utf8("caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80", false));
  CHECK_FALSE(is_printable_utf8(std::string("a\0b", 3), true));
  CHECK_FALSE(is_printable_utf8("\r\n", true));
  CHECK_FALSE(is_printable_utf8("\x7f", true));
  CHECK_FALSE(is_printable_utf8("\xc2\x85", true));      // C1 NEL
  CHECK_FALSE(is_printable_utf8("\xff\xfe", true));      // invalid bytes
  CHECK_FALSE(is_printable_utf8("\xc0\xaf", true));      // overlong
  CHECK_FALSE(is_printable_utf8("\xed\xa0\x80", true));  // surrogate
  CHECK_FALSE(is_printable_utf8("\xef\xb7\x90", true));  // U+FDD0 noncharacter
  CHECK_FALSE(is_printable_utf8("\xef\xbf\xbf", true));  // U+FFFF
  CHECK_FALSE(is_printable_utf8("\xe2\x82", true));      // truncated
  CHECK(is_printable_utf8("", true));
}

TEST_CASE("json output has the address fields and every data field", "[journal]") {
  json j = to_json(make_entry(
      {"MESSAGE=hello \"world\"", "PRIORITY=6", "_BOOT_ID=0123456789abcdef0123456789abcdef"}));
  CHECK(j["__CURSOR"] == "s=abc;i=1");
  CHECK(j["__REALTIME_TIMESTAMP"] == "1735689600000001");
  CHECK(j["__MONOTONIC_TIMESTAMP"] == "42");
  CHECK(j["_BOOT_ID"] == "0123456789abcdef0123456789abcdef");
  CHECK(j["MESSAGE"] == "hello \"world\"");
  CHECK(j["PRIORITY"] == "6");
  CHECK(j.size() == 6);
}

TEST_CASE("json output turns non-printable values into byte arrays", "[journal]") {
  json j = to_json(
      make_entry({std::string("MESSAGE=a\0b", 11), "LATIN=caf\xe9", "CRLF=x\r\n", "ML=a\nb"}));
  CHECK(j["MESSAGE"] == json::array({97, 0, 98}));
  CHECK(j["LATIN"] == json::array({99, 97, 102, 0xe9}));
  CHECK(j["CRLF"] == json::array({120, 13, 10}));
  CHECK(j["ML"] == "a\nb");
}

TEST_CASE("json output groups repeated fields into arrays in journal order", "[journal]") {
  json j = to_json(make_entry(
      {"TAG=one", "MESSAGE=first", "TAG=two", std::string("TAG=t\0", 6), "MESSAGE=second"}));
  CHECK(j["TAG"] == json::array({"one", "two", json::array({116, 0})}));
  CHECK(j["MESSAGE"] == json::array({"first", "second"}));
}

TEST_CASE("json output keeps huge, empty and hostile values whole", "[journal]") {
  std::string huge = "MESSAGE=" + std::string(1 << 20, 'x');
  json j = to_json(make_entry({huge, "EMPTY=", "HTML=<script>alert(1)</script>", "Q=\"\\'"}));
  CHECK(j["MESSAGE"].get<std::string>().size() == (1u << 20));
  CHECK(j["EMPTY"] == "");
  CHECK(j["HTML"] == "<script>alert(1)</script>");
  CHECK(j["Q"] == "\"\\'");
}

TEST_CASE("json output can be limited to some fields", "[journal]") {
  json j = to_json(make_entry({"MESSAGE=m", "PRIORITY=3", "_PID=1"}), {"PRIORITY"});
  CHECK(j.contains("__CURSOR"));
  CHECK(j["PRIORITY"] == "3");
  CHECK_FALSE(j.contains("MESSAGE"));
  CHECK_FALSE(j.contains("_PID"));
}

TEST_CASE("export output uses the binary form for values that are not single-line text",
          "[journal]") {
  std::string out;
  append_export(
      make_entry({"MESSAGE=a\nb", "PRIORITY=6", "_BOOT_ID=0123456789abcdef0123456789abcdef"}),
      &out);
  std::string want =
      "__CURSOR=s=abc;i=1\n__REALTIME_TIMESTAMP=1735689600000001\n__MONOTONIC_TIMESTAMP=42\n"
      "_BOOT_ID=0123456789abcdef0123456789abcdef\n"
      "MESSAGE\n" +
      std::string("\x03\0\0\0\0\0\0\0", 8) +
      "a\nb\n"
      "PRIORITY=6\n\n";
  CHECK(out == want);
}

TEST_CASE("short output reads like journalctl's", "[journal]") {
  std::string out;
  append_short(
      make_entry({"_HOSTNAME=web-1", "SYSLOG_IDENTIFIER=sshd", "_PID=77", "MESSAGE=one\ntwo"}),
      &out);
  std::string prefix = "Jan 01 00:00:00 web-1 sshd[77]: ";
  CHECK(out == prefix + "one\n" + std::string(prefix.size(), ' ') + "two\n");
  out.clear();
  append_short(make_entry({"_HOSTNAME=h", "_COMM=c", std::string("MESSAGE=a\0b", 11)}), &out);
  CHECK(out == "Jan 01 00:00:00 h c: [3B blob data]\n");
}

// Wide entries (60+ fields) find their repeated names through a hash table, and entries with
// more names than it holds through the plain scan: both must group exactly the repeated names,
// at the first one's place, in journal order.
TEST_CASE("json output groups repeats among many fields, in order", "[journal]") {
  for (size_t width : {100, 150}) {
    INFO("fields: " << width);
    std::vector<std::string> items;
    for (size_t i = 0; i < width; ++i) {
      if (i == 5) items.push_back("REPEAT=a");
      if (i == width / 2) items.push_back("REPEAT=b");
      if (i == width - 1) items.push_back("REPEAT=c");
      char name[32];  // "F_" and up to 20 digits: no truncation warning
      std::snprintf(name, sizeof name, "F_%03zu", i);
      items.push_back(std::string(name) + "=" + std::to_string(i));
    }
    items.push_back("F_010=again");
    std::string out;
    append_json(make_entry(items), {}, &out);
    nlohmann::ordered_json j = nlohmann::ordered_json::parse(out);
    std::vector<std::string> keys;
    for (const auto& [key, value] : j.items()) keys.push_back(key);
    REQUIRE(keys.size() == 4 + width + 1);
    CHECK(keys[4] == "F_000");
    CHECK(keys[9] == "REPEAT");  // where its first value was
    CHECK(j["REPEAT"] == nlohmann::ordered_json::array({"a", "b", "c"}));
    CHECK(j["F_010"] == nlohmann::ordered_json::array({"10", "again"}));
    CHECK(j["F_011"] == "11");
    char last[16];
    std::snprintf(last, sizeof last, "F_%03zu", width - 1);
    CHECK(j.at(last) == std::to_string(width - 1));
  }
}

// The string encoder skips plain bytes eight at a time: escapes must still be found at every
// offset, including right after a plain run and in the last bytes.
TEST_CASE("json strings are escaped at every offset", "[journal]") {
  const std::string plain = "abcdefghijklmnopqrstuvwxyz0123456789";
  for (size_t at = 0; at <= plain.size(); ++at) {
    for (std::string_view special : {"\"", "\\", "\n", "\x01", "\xc3\xa9", "\x7f"}) {
      std::string s = plain.substr(0, at) + std::string(special) + plain.substr(at);
      std::string out;
      append_json_string(s, &out);
      INFO("at " << at << " special " << json(std::string(special)).dump());
      std::string want = "\"" + plain.substr(0, at);
      if (special == "\"")
        want += "\\\"";
      else if (special == "\\")
        want += "\\\\";
      else if (special == "\n")
        want += "\\n";
      else if (special == "\x01")
        want += "\\u0001";
      else
        want += special;  // UTF-8 and DEL pass through
      want += plain.substr(at) + "\"";
      CHECK(out == want);
    }
  }
}

TEST_CASE("json byte arrays spell every byte value", "[journal]") {
  std::string item = "BLOB=";
  json want = json::array();
  for (int round = 0; round < 3; ++round) {  // long enough to need the buffer to grow
    for (int b = 0; b < 256; ++b) {
      item.push_back(static_cast<char>(b));
      want.push_back(b);
    }
  }
  std::string out = "prefix";  // appended after what is already there
  append_json(make_entry({item, "AFTER=x"}), {}, &out);
  REQUIRE(out.starts_with("prefix{"));
  json j = json::parse(out.substr(6));
  CHECK(j["BLOB"] == want);
  CHECK(j["AFTER"] == "x");
}

// Keys take a one-append path when they need no escape; any other name still comes out as a
// correct JSON string (an Entry may be built by hand, not only read from a journal).
TEST_CASE("json keys are escaped when they need it, whatever their length", "[journal]") {
  const std::string long_name(65, 'N');
  std::string out;
  append_json(make_entry({"A\"B=1", "C\\D=2",
                          "E\x01"
                          "F=3",
                          long_name + "=4", "PLAIN_1=5"}),
              {}, &out);
  CHECK(out.find(",\"A\\\"B\":\"1\"") != std::string::npos);
  CHECK(out.find(",\"C\\\\D\":\"2\"") != std::string::npos);
  // A control character makes the name not printable: left out (see the test below).
  CHECK(out.find("F\":\"3\"") == std::string::npos);
  CHECK(out.find(",\"" + long_name + "\":\"4\"") != std::string::npos);
  CHECK(out.find(",\"PLAIN_1\":\"5\"") != std::string::npos);
  CHECK(json::parse(out).size() == 4 + 4);
}

// Found by test/fuzz/journal_encoders_fuzz.cpp: a field name that is not UTF-8 (a corrupted
// file) was written as a JSON key, so the whole line was invalid JSON.
TEST_CASE("json output skips fields whose name is not printable UTF-8", "[journal]") {
  Entry e = make_entry({"MESSAGE=kept", "MESS\x94GE=dropped", std::string("BAD\x01=x")});
  json j = to_json(e);
  CHECK(j["MESSAGE"] == "kept");
  CHECK(j.size() == 5);  // the four address fields and MESSAGE
}

TEST_CASE("json output never repeats the address fields, whatever the entry's data holds",
          "[journal]") {
  Entry e = make_entry(
      {"__CURSOR=\x01forged", "__REALTIME_TIMESTAMP=1", "__MONOTONIC_TIMESTAMP=2", "MESSAGE=m"});
  std::string out;
  append_json(e, {}, &out);
  CHECK(out.find("\"__CURSOR\"") == out.rfind("\"__CURSOR\""));
  CHECK(out.find("\"__REALTIME_TIMESTAMP\"") == out.rfind("\"__REALTIME_TIMESTAMP\""));
  CHECK(out.find("\"__MONOTONIC_TIMESTAMP\"") == out.rfind("\"__MONOTONIC_TIMESTAMP\""));
  json j = json::parse(out);
  CHECK(j["__CURSOR"] == "s=abc;i=1");
  CHECK(j["__REALTIME_TIMESTAMP"] == "1735689600000001");
  CHECK(j["__MONOTONIC_TIMESTAMP"] == "42");
  CHECK(j["MESSAGE"] == "m");
}

TEST_CASE("export output with fields keeps the address fields and the chosen ones", "[journal]") {
  std::string out;
  append_export(make_entry({"_BOOT_ID=0123456789abcdef0123456789abcdef", "MESSAGE=m", "A=1"}),
                {"A"}, &out);
  CHECK(out ==
        "__CURSOR=s=abc;i=1\n__REALTIME_TIMESTAMP=1735689600000001\n__MONOTONIC_TIMESTAMP=42\n"
        "_BOOT_ID=0123456789abcdef0123456789abcdef\nA=1\n\n");
}

TEST_CASE("verbose output prints every item in journal order under the header", "[journal]") {
  std::string out;
  Entry e = make_entry({"_BOOT_ID=0123456789abcdef0123456789abcdef", "MESSAGE=two\nlines", "TAG=a",
                        "TAG=b", std::string("BLOB=\x01\xff", 7)});
  append_verbose(e, {}, &out);
  CHECK(out ==
        "Wed 2025-01-01 00:00:00.000001 UTC [s=abc;i=1]\n"
        "    _BOOT_ID=0123456789abcdef0123456789abcdef\n"
        "    MESSAGE=two\n"
        "            lines\n"
        "    TAG=a\n"
        "    TAG=b\n"
        "    BLOB=\x01\xff\n");
  // --output-fields: only those items, _BOOT_ID too; the header stays.
  out.clear();
  append_verbose(e, {"TAG"}, &out);
  CHECK(out == "Wed 2025-01-01 00:00:00.000001 UTC [s=abc;i=1]\n    TAG=a\n    TAG=b\n");
}

TEST_CASE("verbose output shows the last _SOURCE_REALTIME_TIMESTAMP when it parses", "[journal]") {
  auto first_line = [](const std::vector<std::string>& items) {
    std::string out;
    append_verbose(make_entry(items), {}, &out);
    return out.substr(0, out.find('\n'));
  };
  const std::string journal_time = "Wed 2025-01-01 00:00:00.000001 UTC [s=abc;i=1]";
  CHECK(first_line({"MESSAGE=m"}) == journal_time);
  CHECK(first_line({"_SOURCE_REALTIME_TIMESTAMP=5"}) ==
        "Thu 1970-01-01 00:00:00.000005 UTC [s=abc;i=1]");
  CHECK(first_line({"_SOURCE_REALTIME_TIMESTAMP=9", "MESSAGE=m", "_SOURCE_REALTIME_TIMESTAMP=5"}) ==
        "Thu 1970-01-01 00:00:00.000005 UTC [s=abc;i=1]");
  // The last value decides: one that does not parse gives the journal's time.
  CHECK(first_line({"_SOURCE_REALTIME_TIMESTAMP=5", "_SOURCE_REALTIME_TIMESTAMP=x"}) ==
        journal_time);
  CHECK(first_line({"_SOURCE_REALTIME_TIMESTAMP=-5"}) == journal_time);
}

TEST_CASE("json in the journal's order places _BOOT_ID and marks repeated values", "[journal]") {
  Entry e =
      make_entry({"A=1", "B=2", "_BOOT_ID=0123456789abcdef0123456789abcdef", "A=3", "C=4", "B=5"});
  std::string ordered, plain;
  append_json(e, {}, JsonOrder::kJournal, &ordered);
  append_json(e, {}, &plain);
  // Places: A=1 0, B=2 1, _BOOT_ID 2, A=3 3, C=4 4, B=5 5; a later value has its place in spaces.
  CHECK(ordered ==
        "{\"__CURSOR\":\"s=abc;i=1\",\"__REALTIME_TIMESTAMP\":\"1735689600000001\","
        "\"__MONOTONIC_TIMESTAMP\":\"42\",\"A\":[\"1\",   \"3\"],\"B\":[\"2\",     \"5\"],"
        "\"_BOOT_ID\":\"0123456789abcdef0123456789abcdef\",\"C\":\"4\"}\n");
  CHECK(plain.find(' ') == std::string::npos);
  CHECK(json::parse(ordered) == json::parse(plain));  // the same object

  // fields= and skipped items take no place; _BOOT_ID is written whatever fields= says.
  ordered.clear();
  append_json(e, {"B"}, JsonOrder::kJournal, &ordered);
  CHECK(ordered.substr(ordered.find(",\"B\"")) ==
        ",\"B\":[\"2\",  \"5\"],\"_BOOT_ID\":\"0123456789abcdef0123456789abcdef\"}\n");

  // An entry without a _BOOT_ID item gets the header's, last; a second one is not written.
  Entry none = make_entry({"A=1", "B=2"});
  ordered.clear();
  append_json(none, {}, JsonOrder::kJournal, &ordered);
  CHECK(ordered.substr(ordered.find(",\"A\"")) ==
        ",\"A\":\"1\",\"B\":\"2\",\"_BOOT_ID\":\"0123456789abcdef0123456789abcdef\"}\n");
  Entry two = make_entry({"_BOOT_ID=0123456789abcdef0123456789abcdef", "A=1",
                          "_BOOT_ID=ffffffffffffffffffffffffffffffff", "A=2"});
  ordered.clear();
  append_json(two, {}, JsonOrder::kJournal, &ordered);
  CHECK(ordered.substr(ordered.find(",\"_BOOT_ID\"")) ==
        ",\"_BOOT_ID\":\"0123456789abcdef0123456789abcdef\",\"A\":[\"1\",  \"2\"]}\n");
}

TEST_CASE("Entry's name, value and is_field agree with split_item and is_valid_field_name",
          "[journal][entry]") {
  // add_item finds the '=' and checks the name in one pass over at most 65 bytes; this is the
  // plain definition it must match, around the edges of that pass.
  const std::string n64(64, 'A'), n65(65, 'A');
  const std::vector<std::string> items = {"MESSAGE=hello",
                                          "_PID=1",
                                          "A=",
                                          "=value",
                                          "lower=x",
                                          "9LIVES=x",
                                          "_9=x",
                                          "NO_EQUALS",
                                          n64 + "=x",
                                          n65 + "=x",
                                          n64,
                                          n65,
                                          n65 + "B",
                                          n65 + "b=x",
                                          "A-B=x",
                                          "A=B=C",
                                          std::string("NUL\0=x", 6),
                                          "\xff\xfe=x",
                                          ""};
  Entry e;
  for (const auto& it : items) e.add_item(it.data(), it.size());
  REQUIRE(e.item_count() == items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    INFO("item " << i << ": " << items[i]);
    std::string_view name, value;
    split_item(items[i], &name, &value);
    CHECK(e.item(i) == items[i]);
    CHECK(e.name(i) == name);
    CHECK(e.value(i) == value);
    const bool has_eq = items[i].find('=') != std::string::npos;
    CHECK(e.is_field(i) == (has_eq && is_valid_field_name(name)));
  }
  CHECK(e.is_field(0));
  CHECK(e.is_field(8));        // a 64-byte name
  CHECK_FALSE(e.is_field(9));  // 65 bytes
}

#include "infralogs/dashboard/cli_format.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "infralogs/dashboard/dashboard.h"
#include "infralogs/journal/entry_format.h"
#include "infralogs/wire/entry_decoder.h"

using namespace infralogs;

namespace {

storage::SearchRow row(std::optional<std::string> message) {
  storage::SearchRow r;
  r.key = {1735689600000001, 3, std::string(16, '\x01'), 9};
  r.host = "vm-01";
  r.priority = 3;
  r.unit = "nginx.service";
  r.identifier = "nginx";
  r.pid = 42;
  r.message = std::move(message);
  return r;
}

}  // namespace

TEST_CASE("short output reads like journalctl's, in UTC", "[dashboard]") {
  CHECK(dashboard::format_rows({row("hello")}, dashboard::CliFormat::kShort) ==
        "2025-01-01T00:00:00.000001Z vm-01 nginx[42]: hello\n");
  std::string multi = dashboard::format_rows({row("one\ntwo")}, dashboard::CliFormat::kShort);
  CHECK(multi.find("one\n") != std::string::npos);
  CHECK(multi.find(
            "\n" +
            std::string(std::string("2025-01-01T00:00:00.000001Z vm-01 nginx[42]: ").size(), ' ') +
            "two\n") != std::string::npos);
}

TEST_CASE("binary values are escaped in text formats and bytes in JSON", "[dashboard]") {
  std::string bin("a\0b\xff", 4);
  CHECK(dashboard::escape_text(bin) == "a\\x00b\\xff");
  CHECK(dashboard::escape_text("x\x1b[31m") == "x\\x1b[31m");
  CHECK(dashboard::format_rows({row(bin)}, dashboard::CliFormat::kShort).find("a\\x00b\\xff") !=
        std::string::npos);
  auto j = nlohmann::json::parse(dashboard::format_rows({row(bin)}, dashboard::CliFormat::kJson));
  CHECK(j["message"]["bytes"] == nlohmann::json::array({97, 0, 98, 255}));
  CHECK(j["host"] == "vm-01");
  CHECK(j["priority"] == 3);
  CHECK(dashboard::text_or_bytes("<script>") == "<script>");
}

TEST_CASE("csv quotes fields and table aligns columns", "[dashboard]") {
  std::string csv =
      dashboard::format_rows({row("say \"hi\", then\nleave")}, dashboard::CliFormat::kCsv);
  CHECK(csv.rfind("time,host,priority,unit,identifier,pid,message\n", 0) == 0);
  CHECK(csv.find(",err,nginx.service,nginx,42,\"say \"\"hi\"\", then\nleave\"\n") !=
        std::string::npos);
  std::string table =
      dashboard::format_rows({row("m"), row(std::nullopt)}, dashboard::CliFormat::kTable);
  CHECK(table.rfind("TIME", 0) == 0);
  CHECK(std::count(table.begin(), table.end(), '\n') == 3);
  dashboard::CliFormat f;
  CHECK(dashboard::parse_cli_format("csv", &f));
  CHECK_FALSE(dashboard::parse_cli_format("xml", &f));
}

TEST_CASE("verbose prints every stored field as journalctl -o verbose --all", "[dashboard]") {
  dashboard::CliFormat f;
  REQUIRE(dashboard::parse_cli_format("verbose", &f));
  CHECK(f == dashboard::CliFormat::kVerbose);

  // As the collector stored it before marking MESSAGE's place (wire/entry_decoder.h): the
  // agent's JSON line without MESSAGE, which is its own column. Such a row prints MESSAGE last.
  storage::EntryDetail e;
  e.host = "vm-01";
  e.realtime_usec = 1735689600311005;
  e.fields_json =
      R"({"__CURSOR":"s=ab;i=1","__REALTIME_TIMESTAMP":"1735689600311005",)"
      R"("__MONOTONIC_TIMESTAMP":"42","_BOOT_ID":"0123456789abcdef0123456789abcdef",)"
      R"("_HOSTNAME":"vm-01","TAG":["one","two"],"BLOB":[0,104,105,10,255],"NOTE":"a\nb"})";
  e.message = std::string("hello\x1b[31m", 10);
  CHECK(dashboard::format_verbose({e}) ==
        "Wed 2025-01-01 00:00:00.311005 UTC [s=ab;i=1]\n"
        "    _BOOT_ID=0123456789abcdef0123456789abcdef\n"
        "    _HOSTNAME=vm-01\n"
        "    TAG=one\n"
        "    TAG=two\n"
        "    BLOB=\n"  // a NUL first: journalctl's line stops there
        "         \xff\n"
        "    NOTE=a\n"
        "         b\n"
        "    MESSAGE=hello\x1b[31m\n");
}

TEST_CASE("verbose dates a stored entry by its source time and keeps a MESSAGE in fields",
          "[dashboard]") {
  storage::EntryDetail e;
  e.realtime_usec = 1735689600000001;
  e.fields_json =
      R"({"__CURSOR":"c","_SOURCE_REALTIME_TIMESTAMP":["9","5"],"MESSAGE":["m1",[1,2]]})";
  e.message = "m1";  // the first of several; all of them are in fields
  CHECK(dashboard::format_verbose({e}) ==
        "Thu 1970-01-01 00:00:00.000005 UTC [c]\n"
        "    _SOURCE_REALTIME_TIMESTAMP=9\n"
        "    _SOURCE_REALTIME_TIMESTAMP=5\n"
        "    MESSAGE=m1\n"
        "    MESSAGE=\x01\x02\n");
  // A source time that does not parse, or damaged fields: the stored time, and what is there.
  e.fields_json = R"({"__CURSOR":"c","_SOURCE_REALTIME_TIMESTAMP":"-1"})";
  CHECK(dashboard::format_verbose({e}).rfind("Wed 2025-01-01 00:00:00.000001 UTC [c]\n", 0) == 0);
  e.fields_json = "{not json";
  CHECK(dashboard::format_verbose({e}) ==
        "Wed 2025-01-01 00:00:00.000001 UTC []\n    MESSAGE=m1\n");
}

TEST_CASE("verbose prints MESSAGE where the collector marked its place", "[dashboard]") {
  // The collector's own decoding of an agent line: MESSAGE between two fields.
  journal::Entry j;
  j.cursor = "s=0123456789abcdef0123456789abcdef;i=1;b=0123456789abcdef0123456789abcdef";
  j.realtime_usec = 1735689600000001;
  j.boot_id = "0123456789abcdef0123456789abcdef";
  for (std::string item : {"A=1", "MESSAGE=m\nnext", "TAG=x", "TAG=y", "Z=2"})
    j.add_item(item.data(), item.size());
  std::string line;
  journal::append_json(j, {}, &line);
  line.pop_back();
  LogEntry decoded;
  REQUIRE(wire::decode_entry(line, &decoded).is_ok());
  storage::EntryDetail e{"vm-01", decoded.realtime_usec, decoded.fields_json, decoded.message};
  const std::string head = "Wed 2025-01-01 00:00:00.000001 UTC [" + j.cursor + "]\n" +
                           "    _BOOT_ID=0123456789abcdef0123456789abcdef\n";
  CHECK(dashboard::format_verbose({e}) == head +
                                              "    A=1\n"
                                              "    MESSAGE=m\n"
                                              "            next\n"
                                              "    TAG=x\n"
                                              "    TAG=y\n"
                                              "    Z=2\n");
  // The mark first and last.
  e.message = "m";
  e.fields_json = R"({ "__CURSOR":"c","A":"1"})";
  CHECK(dashboard::format_verbose({e}) ==
        "Wed 2025-01-01 00:00:00.000001 UTC [c]\n"
        "    MESSAGE=m\n    A=1\n");
  e.fields_json = R"({"__CURSOR":"c","A":["1",[2]] })";
  CHECK(dashboard::format_verbose({e}) ==
        "Wed 2025-01-01 00:00:00.000001 UTC [c]\n"
        "    A=1\n    A=\x02\n    MESSAGE=m\n");
  // What is not the collector's one mark places nothing: MESSAGE last.
  for (std::string other :
       {R"({"__CURSOR":"c" ,"A":"1" ,"B":"2"})", R"({"__CURSOR":"c", "A":"1","B":"2"})",
        R"({"__CURSOR":"c","A":"1"	,"B":"2"})", R"({"__CURSOR":"c","A":["1" ,"x"],"B":"2"})",
        R"({"__CURSOR":"c","A":"1" ,"A":"3","B":"2"})"}) {
    INFO(other);
    e.fields_json = other;
    std::string got = dashboard::format_verbose({e});
    CHECK(got.substr(got.size() - 14) == "    MESSAGE=m\n");
  }
  // A space inside a string is no mark.
  e.fields_json = R"({"__CURSOR":"c","A":"a b"})";
  CHECK(dashboard::format_verbose({e}) ==
        "Wed 2025-01-01 00:00:00.000001 UTC [c]\n"
        "    A=a b\n    MESSAGE=m\n");
}

TEST_CASE("verbose of entries collected with order=journal is the agent's verbose, byte for byte",
          "[dashboard]") {
  // The whole path of a stored entry: the agent's line in the journal's order, the collector's
  // decoding (MESSAGE cut, its place marked), and query's printing, against the agent's own
  // verbose encoder (checked against journalctl by agent_formats_oracle_test.cpp). Entries with
  // _BOOT_ID anywhere, fields repeated with others between their values, MESSAGE anywhere or
  // repeated, binary values; pseudo-random with a fixed seed.
  const std::string boot = "0123456789abcdef0123456789abcdef";
  std::vector<std::vector<std::string>> cases = {
      {"A=1", "B=2", "_BOOT_ID=" + boot, "A=3", "MESSAGE=m", "C=4", "B=5"},
      {"MESSAGE=first", "_BOOT_ID=" + boot, "T=x", "U=y", "T=z", "U=w", "T=v"},
      {"_BOOT_ID=" + boot, "MESSAGE=a", "X=1", "MESSAGE=b"},
      {"P=1", "P=2", "P=3", "_BOOT_ID=" + boot, "MESSAGE=end"},
      {std::string("BIN=a\0b", 7), "MESSAGE=m", std::string("BIN=\xff", 5), "_BOOT_ID=" + boot}};
  uint32_t seed = 12345;
  auto next = [&seed](uint32_t n) {
    seed = seed * 1103515245u + 12345u;
    return (seed >> 16) % n;
  };
  for (int k = 0; k < 400; ++k) {
    std::vector<std::string> items;
    const uint32_t n = 1 + next(12);
    const uint32_t boot_at = next(n + 1), message_at = next(n + 1);
    for (uint32_t i = 0; i <= n; ++i) {
      if (i == boot_at) items.push_back("_BOOT_ID=" + boot);
      if (i == message_at)
        items.push_back(next(4) ? "MESSAGE=msg " + std::to_string(k) : "MESSAGE=a\nb");
      if (i == n) break;
      std::string name = std::string("F") + static_cast<char>('A' + next(5));
      items.push_back(name + "=" +
                      (next(6) ? std::to_string(next(100)) : std::string("\x01\x02", 2)));
    }
    cases.push_back(items);
  }
  for (const auto& items : cases) {
    journal::Entry j;
    j.cursor = "s=0123456789abcdef0123456789abcdef;i=7;b=0123456789abcdef0123456789abcdef";
    j.realtime_usec = 1735689600000001;
    j.monotonic_usec = 5;
    j.boot_id = boot;
    for (const std::string& item : items) j.add_item(item.data(), item.size());
    std::string line, want;
    journal::append_json(j, {}, journal::JsonOrder::kJournal, &line);
    line.pop_back();
    journal::append_verbose(j, {}, &want);
    LogEntry decoded;
    REQUIRE(wire::decode_entry(line, &decoded).is_ok());
    storage::EntryDetail e{"vm-01", decoded.realtime_usec, decoded.fields_json, decoded.message};
    INFO("line: " << line << "\nstored: " << decoded.fields_json);
    REQUIRE(dashboard::format_verbose({e}) == want);
  }
}

// ExportDecoder, the reader of gatewayd's export-format /entries: each entry becomes the JSON
// line `journalctl -o json --all` prints for it (the line an infralogs agent sends, so
// decode_entry() stores the same thing either way), however the body is cut into chunks; and a
// clear error, never a crash or a large allocation, for each way a body can be bad.

#include "wire/export_decoder.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "infralogs/journal/entry_format.h"
#include "infralogs/wire/entry_decoder.h"

using namespace infralogs;
using infralogs::wire::ExportDecoder;
using nlohmann::json;

namespace {

constexpr const char* kCursor =
    "s=0123456789abcdef0123456789abcdef;i=1f;b=fedcba9876543210fedcba9876543210;m=10;t=62a;x=ab";
constexpr const char* kHead =
    "__CURSOR=s=0123456789abcdef0123456789abcdef;i=1f;b=fedcba9876543210fedcba9876543210;m=10;"
    "t=62a;x=ab\n__REALTIME_TIMESTAMP=1735689600000001\n__MONOTONIC_TIMESTAMP=16\n"
    "_BOOT_ID=fedcba9876543210fedcba9876543210\n";
constexpr const char* kHeadJson =
    R"({"__CURSOR":"s=0123456789abcdef0123456789abcdef;i=1f;b=fedcba9876543210fedcba9876543210;)"
    R"(m=10;t=62a;x=ab","__REALTIME_TIMESTAMP":"1735689600000001","__MONOTONIC_TIMESTAMP":"16",)"
    R"("_BOOT_ID":"fedcba9876543210fedcba9876543210")";

// NAME\n, the length as 64-bit little-endian, the bytes, \n.
std::string binary(const std::string& name, const std::string& value) {
  std::string out = name + "\n";
  for (int b = 0; b < 8; ++b) out.push_back(static_cast<char>((value.size() >> (8 * b)) & 0xFF));
  return out + value + "\n";
}

std::string length_only(const std::string& name, uint64_t length) {
  std::string out = name + "\n";
  for (int b = 0; b < 8; ++b) out.push_back(static_cast<char>((length >> (8 * b)) & 0xFF));
  return out;
}

struct Decoded {
  std::vector<std::string> lines;
  Status status = Status::ok();  // feed()'s error, else finish()'s
};

// The stream fed in chunks of `chunk` bytes (0: all at once).
Decoded decode(const std::string& stream, size_t chunk = 0, size_t limit = 64u << 20) {
  ExportDecoder d(limit);
  Decoded out;
  auto on_entry = [&](std::string_view line) {
    out.lines.emplace_back(line);
    return true;
  };
  size_t step = chunk ? chunk : std::max<size_t>(stream.size(), 1);
  for (size_t at = 0; at < stream.size(); at += step) {
    if (!d.feed(stream.data() + at, std::min(step, stream.size() - at), on_entry)) {
      out.status = d.error();
      REQUIRE_FALSE(out.status.is_ok());
      return out;
    }
  }
  out.status = d.finish("");
  return out;
}

journal::Entry make_entry(const std::vector<std::string>& items) {
  journal::Entry e;
  e.cursor = kCursor;
  e.realtime_usec = 1735689600000001;
  e.monotonic_usec = 16;
  e.boot_id = "fedcba9876543210fedcba9876543210";
  for (const auto& i : items) e.add_item(i.data(), i.size());
  return e;
}

std::string agent_json(const journal::Entry& e) {
  std::string out;
  journal::append_json(e, {}, &out);
  out.pop_back();  // its '\n'
  return out;
}

std::string export_of(const journal::Entry& e) {
  std::string out;
  journal::append_export(e, &out);
  return out;
}

void check_same_entry(const LogEntry& a, const LogEntry& b) {
  CHECK(a.cursor == b.cursor);
  CHECK(a.seqnum_id == b.seqnum_id);
  CHECK(a.seqnum == b.seqnum);
  CHECK(a.realtime_usec == b.realtime_usec);
  CHECK(a.monotonic_usec == b.monotonic_usec);
  CHECK(a.boot_id == b.boot_id);
  CHECK(a.priority == b.priority);
  CHECK(a.unit == b.unit);
  CHECK(a.identifier == b.identifier);
  CHECK(a.pid == b.pid);
  CHECK(a.uid == b.uid);
  CHECK(a.comm == b.comm);
  CHECK(a.transport == b.transport);
  CHECK(a.message == b.message);
  CHECK(a.fields_json == b.fields_json);
}

}  // namespace

TEST_CASE("export decoder: text fields become the JSON line journalctl prints", "[wire]") {
  std::string stream = std::string(kHead) +
                       "MESSAGE=hello \"world\" \\ x\tTAB\nPRIORITY=3\n_PID=42\nEMPTY=\nEQ=a=b\n\n";
  Decoded d = decode(stream);
  REQUIRE(d.status.is_ok());
  REQUIRE(d.lines.size() == 1);
  CHECK(d.lines[0] == std::string(kHeadJson) +
                          R"(,"MESSAGE":"hello \"world\" \\ x\tTAB","PRIORITY":"3","_PID":"42",)"
                          R"("EMPTY":"","EQ":"a=b"})");
  LogEntry e;
  REQUIRE(wire::decode_entry(d.lines[0], &e).is_ok());
  CHECK(e.cursor == kCursor);
  CHECK(e.realtime_usec == 1735689600000001);
  CHECK(*e.message == "hello \"world\" \\ x\tTAB");
  CHECK(*e.priority == 3);
  CHECK(*e.pid == 42);
}

TEST_CASE("export decoder: binary fields, NUL and non-UTF-8 become byte arrays", "[wire]") {
  std::string blob;
  for (int c = 0; c < 256; ++c) blob.push_back(static_cast<char>(c));
  std::string stream =
      std::string(kHead) + binary("MESSAGE", std::string("a\0b", 3)) + binary("BLOB", blob) +
      binary("LATIN", "caf\xe9") + binary("CRLF", "x\r\n") + binary("ML", "line1\nline2\tend") +
      binary("NUL_ONLY", std::string(4, '\0')) + binary("BIN_EMPTY", "") + "LATIN_TEXT=caf\xe9\n\n";
  Decoded d = decode(stream);
  REQUIRE(d.status.is_ok());
  REQUIRE(d.lines.size() == 1);
  json j = json::parse(d.lines[0]);
  CHECK(j["MESSAGE"] == json({97, 0, 98}));
  json all = json::array();
  for (int c = 0; c < 256; ++c) all.push_back(c);
  CHECK(j["BLOB"] == all);
  CHECK(j["LATIN"] == json({99, 97, 102, 233}));
  CHECK(j["CRLF"] == json({120, 13, 10}));
  // A newline (and TAB) alone keeps a value printable for JSON, though export sends it binary.
  CHECK(j["ML"] == "line1\nline2\tend");
  CHECK(j["NUL_ONLY"] == json({0, 0, 0, 0}));
  CHECK(j["BIN_EMPTY"] == "");
  // Non-UTF-8 sent in the text form (not what systemd writes) is still a byte array.
  CHECK(j["LATIN_TEXT"] == json({99, 97, 102, 233}));
  LogEntry e;
  REQUIRE(wire::decode_entry(d.lines[0], &e).is_ok());
  CHECK(*e.message == std::string("a\0b", 3));
}

TEST_CASE("export decoder: repeated fields become arrays at their first place", "[wire]") {
  std::string stream = std::string(kHead) + "TAG=one\nMESSAGE=first\nOTHER=x\n" +
                       binary("TAG", std::string("t\0wo", 4)) + "MESSAGE=second\nTAG=three\n\n";
  Decoded d = decode(stream);
  REQUIRE(d.status.is_ok());
  REQUIRE(d.lines.size() == 1);
  CHECK(d.lines[0] == std::string(kHeadJson) +
                          R"(,"TAG":["one",[116,0,119,111],"three"],"MESSAGE":["first","second"],)"
                          R"("OTHER":"x"})");
  LogEntry e;
  REQUIRE(wire::decode_entry(d.lines[0], &e).is_ok());
  CHECK(*e.message == "first");  // the first of several; all stay in fields_json
  CHECK(json::parse(e.fields_json)["MESSAGE"] == json({"first", "second"}));
}

TEST_CASE("export decoder: the agent's export of an entry decodes to the agent's JSON", "[wire]") {
  // What journalctl -o export and -o json --all give for the same entry, as the agent's encoders
  // (tested against journalctl in test/integration) write them: the same line, byte for byte, so
  // decode_entry stores the same LogEntry from a gatewayd as from an infralogs agent.
  std::string blob;
  for (int c = 0; c < 256; ++c) blob.push_back(static_cast<char>(c));
  std::vector<std::string> many;
  for (int k = 0; k < 220; ++k)
    many.push_back("MANY_FIELD_" + std::to_string(k) + "=v" + std::to_string(k));
  many.push_back("MESSAGE=many");
  const std::vector<std::vector<std::string>> entries = {
      {"MESSAGE=plain", "PRIORITY=6", "_SYSTEMD_UNIT=nginx.service", "SYSLOG_IDENTIFIER=nginx",
       "_PID=7", "_UID=33", "_COMM=nginx", "_TRANSPORT=syslog"},
      {std::string("MESSAGE=before\0after\0end", 24), "BINARY_BLOB=" + blob,
       std::string("NUL_ONLY=\0\0\0\0", 13)},
      {"MESSAGE=bad \x80 \xc0\xaf \xed\xa0\x80 \xff\xfe", "LATIN1_FIELD=caf\xe9"},
      {"MESSAGE=" + std::string(1u << 20, 'x')},  // 1 MiB
      {"MESSAGE=" + std::string(4087, 'y')},      // journalctl's JSON limit
      {"MESSAGE=" + std::string(4088, 'z'), "BIG=" + std::string(70000, 'q')},  // ... and above
      {"BIG_BINARY=" + std::string(5000, '\x01'), "MESSAGE=m"},
      {"MESSAGE=line1\nline2\ttab", "CRLF=a\r\nb", "ESC=\x1b[31mred\x1b[0m"},
      {"MESSAGE=one", "MESSAGE=two", "TAG=a", "TAG=b", "TAG=c"},
      {"MESSAGE=", "EMPTY_FIELD=", "SYSLOG_IDENTIFIER="},
      {"MESSAGE=\", \"PRIORITY\": \"0\", \\\"x",
       "UNICODE=h\xc3\xa9llo \xf0\x9f\x98\x80 \xe2\x80\xae", "NONCHAR=\xef\xb7\x90"},
      many,
      {},
  };
  for (size_t i = 0; i < entries.size(); ++i) {
    INFO("entry " << i);
    journal::Entry e = make_entry(entries[i]);
    // The whole stream at once, and cut every 7 bytes (inside names, lengths and values).
    for (size_t chunk : {size_t{0}, size_t{7}}) {
      Decoded d = decode(export_of(e), chunk);
      REQUIRE(d.status.is_ok());
      REQUIRE(d.lines.size() == 1);
      CHECK(d.lines[0] == agent_json(e));
      LogEntry from_export, from_agent;
      REQUIRE(wire::decode_entry(d.lines[0], &from_export).is_ok());
      REQUIRE(wire::decode_entry(agent_json(e), &from_agent).is_ok());
      check_same_entry(from_export, from_agent);
    }
  }
}

TEST_CASE("export decoder: entries come out the same however the stream is cut", "[wire]") {
  std::string stream;
  std::vector<std::string> want;
  for (int k = 0; k < 3; ++k) {
    journal::Entry e =
        make_entry({"MESSAGE=entry " + std::to_string(k),
                    std::string("BIN=\0\n", 6) + std::to_string(k), "TAG=a", "TAG=b"});
    stream += export_of(e);
    want.push_back(agent_json(e));
  }
  for (size_t chunk = 1; chunk <= 16; ++chunk) {
    INFO("chunk " << chunk);
    Decoded d = decode(stream, chunk);
    REQUIRE(d.status.is_ok());
    CHECK(d.lines == want);
  }
  // Every cut in two.
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    ExportDecoder d(1u << 20);
    std::vector<std::string> got;
    auto on = [&](std::string_view l) {
      got.emplace_back(l);
      return true;
    };
    REQUIRE(d.feed(stream.data(), cut, on));
    REQUIRE(d.feed(stream.data() + cut, stream.size() - cut, on));
    REQUIRE(d.finish("").is_ok());
    REQUIRE(got == want);
  }
}

TEST_CASE("export decoder: on_entry returning false stops the stream", "[wire]") {
  std::string stream = std::string(kHead) + "MESSAGE=a\n\n" + kHead + "MESSAGE=b\n\n";
  ExportDecoder d(1u << 20);
  int seen = 0;
  CHECK_FALSE(d.feed(stream.data(), stream.size(), [&](std::string_view) {
    ++seen;
    return false;
  }));
  CHECK(seen == 1);
  CHECK(d.error().is_ok());  // stopped, not corrupt
}

TEST_CASE("export decoder: truncated streams are refused", "[wire]") {
  const std::string whole = std::string(kHead) + binary("MESSAGE", std::string("a\0b", 3)) + "\n";
  REQUIRE(decode(whole).status.is_ok());
  // Every proper prefix that ends inside the entry: in a line, in the length, in the value,
  // before the value's newline, before the empty line.
  for (size_t n = 1; n < whole.size(); ++n) {
    INFO("prefix of " << n << " bytes");
    Decoded d = decode(whole.substr(0, n));
    CHECK(d.lines.empty());
    CHECK(d.status.code() == StatusCode::kCorruption);
    CHECK(d.status.message() == "the response ended inside an entry (truncated)");
  }
}

TEST_CASE("export decoder: lengths and entries beyond the bound are refused unallocated",
          "[wire]") {
  SECTION("a binary length past the bound, with no bytes after it") {
    // 2^63: refused from the 8 length bytes alone, before anything is kept for the value.
    Decoded d = decode(std::string(kHead) + length_only("MESSAGE", uint64_t{1} << 63), 0, 4096);
    CHECK(d.status.code() == StatusCode::kCorruption);
    CHECK(d.status.message() ==
          "binary field MESSAGE says it has 9223372036854775808 bytes: more than the entry limit "
          "of 4096 bytes");
  }
  SECTION("the largest length") {
    Decoded d = decode(length_only("X", ~uint64_t{0}));
    CHECK(d.status.code() == StatusCode::kCorruption);
    CHECK(d.status.message().find("says it has 18446744073709551615 bytes") != std::string::npos);
  }
  SECTION("a length that fits alone but not with the entry so far") {
    Decoded d = decode(std::string(kHead) + length_only("MESSAGE", 4096 - 100), 0, 4096);
    CHECK(d.status.message().find("more than the entry limit of 4096 bytes") != std::string::npos);
  }
  SECTION("a text line past the bound") {
    Decoded d = decode(std::string(kHead) + "MESSAGE=" + std::string(5000, 'x'), 100, 4096);
    CHECK(d.status.message() == "an entry longer than 4096 bytes");
  }
  SECTION("a JSON line past the bound (a byte array takes up to 4 bytes a byte)") {
    std::string stream = std::string(kHead) + binary("BIN", std::string(1500, '\xff')) + "\n";
    Decoded d = decode(stream, 0, 4096);
    CHECK(d.status.message().rfind("an entry whose JSON is ", 0) == 0);
    CHECK(d.status.message().find("more than 4096") != std::string::npos);
    CHECK(decode(stream, 0, 16384).status.is_ok());
  }
  SECTION("too many fields") {
    std::string stream = kHead;
    for (size_t k = 0; k <= ExportDecoder::kMaxFields; ++k) stream += "F=1\n";
    Decoded d = decode(stream);
    CHECK(d.status.message() == "an entry with more than 16384 fields");
  }
}

TEST_CASE("export decoder: garbage is refused with a clear error", "[wire]") {
  SECTION("a binary value not followed by a newline (a wrong length)") {
    std::string stream = std::string(kHead) + length_only("MESSAGE", 2) + "abc\n\n";
    Decoded d = decode(stream);
    CHECK(d.status.message() ==
          "binary field MESSAGE of 2 bytes is not followed by a newline (a wrong length?)");
  }
  SECTION("a field with an empty name") {
    CHECK(decode(std::string(kHead) + "=x\n\n").status.message() ==
          "a field with an empty name (not the export format)");
  }
  SECTION("a name that is not printable text") {
    Decoded d = decode(std::string(kHead) + "NA\x01ME=x\n\n");
    CHECK(d.status.message() ==
          "a field name that is not printable text: 'NA\\x01ME' (not the export format)");
  }
  SECTION("an HTML page") {
    Decoded d = decode("<html>\n<head><title>Welcome to nginx!</title></head>\n</html>\n", 0, 4096);
    CHECK(d.status.code() == StatusCode::kCorruption);
    CHECK(d.status.message().rfind("binary field <html> says it has ", 0) == 0);
  }
  SECTION("JSON, as gatewayd sends it to Accept: application/json") {
    Decoded d = decode(R"({"__CURSOR":"s=1;i=1","MESSAGE":"x"})"
                       "\n");
    // '{"__CURSOR":"s' reads as a field's name (printable text); the stream then ends inside
    // that "entry".
    CHECK(d.status.code() == StatusCode::kCorruption);
  }
  SECTION("an entry without a cursor decodes, and decode_entry refuses it") {
    Decoded d = decode("__REALTIME_TIMESTAMP=1\nMESSAGE=x\n\n");
    REQUIRE(d.status.is_ok());
    REQUIRE(d.lines.size() == 1);
    LogEntry e;
    Status s = wire::decode_entry(d.lines[0], &e);
    CHECK(s.code() == StatusCode::kCorruption);
    CHECK(s.message() == "entry has no __CURSOR");
  }
  SECTION("nothing more is taken after an error") {
    ExportDecoder dec(4096);
    auto on = [](std::string_view) { return true; };
    std::string bad = "=x\n";
    CHECK_FALSE(dec.feed(bad.data(), bad.size(), on));
    std::string good = std::string(kHead) + "MESSAGE=x\n\n";
    CHECK_FALSE(dec.feed(good.data(), good.size(), on));
    CHECK(dec.finish("GET /entries: ").message() ==
          "GET /entries: a field with an empty name (not the export format)");
  }
  SECTION("empty lines between entries are no entries") {
    Decoded d = decode("\n\n" + std::string(kHead) + "MESSAGE=x\n\n\n");
    REQUIRE(d.status.is_ok());
    CHECK(d.lines.size() == 1);
  }
}

TEST_CASE("export decoder: random bytes give entries or an error, within the bound", "[wire]") {
  // Valid entries with bytes flipped, cut short or spliced: whatever comes out is valid JSON of
  // at most the bound, or a corruption error; never a crash.
  std::mt19937 rng(1);
  std::string base;
  for (int k = 0; k < 3; ++k) {
    base += export_of(make_entry(
        {"MESSAGE=m" + std::to_string(k), std::string("B=\0\xff\n", 5), "TAG=a", "TAG=b"}));
  }
  for (int round = 0; round < 2000; ++round) {
    std::string s = base;
    int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) s[rng() % s.size()] = static_cast<char>(rng() & 0xFF);
    if (rng() % 3 == 0) s.resize(rng() % s.size());
    Decoded d = decode(s, 1 + rng() % 64, 2048);
    for (const auto& line : d.lines) {
      CHECK(line.size() <= 2048);
      CHECK(json::accept(line));
    }
    if (!d.status.is_ok()) CHECK(d.status.code() == StatusCode::kCorruption);
  }
}

#include "infralogs/core/log.h"

#include <catch2/catch.hpp>

using namespace infralogs;
using log::Format;
using log::Level;
using nlohmann::json;

namespace {

constexpr std::string_view kTs = "2026-12-02T05:00:00.123Z";

std::string text(std::string_view msg, const json& fields = json::object()) {
  return log::format_line(Format::kText, kTs, Level::kInfo, "agent", msg, fields);
}

}  // namespace

TEST_CASE("text log lines read TIME LEVEL COMPONENT MESSAGE key=value", "[core][log]") {
  CHECK(text("listening", {{"listen", "127.0.0.1:9100"}}) ==
        "2026-12-02T05:00:00.123Z info agent listening listen=127.0.0.1:9100\n");
  CHECK(log::format_line(Format::kText, kTs, Level::kWarn, "collect", "agent unreachable",
                         {{"agent", "vm-01"}, {"attempt", 3}, {"ok", false}}) ==
        "2026-12-02T05:00:00.123Z warn collect agent unreachable agent=vm-01 attempt=3 ok=false\n");
  CHECK(text("no fields") == "2026-12-02T05:00:00.123Z info agent no fields\n");
}

TEST_CASE("text log values with spaces, quotes, '=' or backslashes are quoted", "[core][log]") {
  CHECK(text("m", {{"error", "connection refused"}}) == std::string(kTs) +
                                                            " info agent m "
                                                            "error=\"connection refused\"\n");
  CHECK(text("m", {{"v", "say \"hi\""}}) ==
        std::string(kTs) + " info agent m v=\"say \\\"hi\\\"\"\n");
  CHECK(text("m", {{"v", "a=b"}}) == std::string(kTs) + " info agent m v=\"a=b\"\n");
  CHECK(text("m", {{"v", "C:\\x"}}) == std::string(kTs) + " info agent m v=\"C:\\\\x\"\n");
  CHECK(text("m", {{"v", ""}}) == std::string(kTs) + " info agent m v=\"\"\n");
  CHECK(text("m", {{"v", "café"}}) == std::string(kTs) + " info agent m v=café\n");
  // Other JSON values are written as JSON (quoted, since JSON text has quotes).
  CHECK(text("m", {{"v", json::array({1, "a"})}}) ==
        std::string(kTs) + " info agent m v=\"[1,\\\"a\\\"]\"\n");
}

TEST_CASE("a hostile text log value cannot forge a second line or send escape codes",
          "[core][log]") {
  const std::string hostile =
      "x\n2026-12-02T05:00:00.000Z error agent forged\r\x1b[31m\x07\x7f\xc2\x9b\xff\t";
  std::string line = text("msg\nforged " + hostile, {{"path", hostile}, {"bad\nkey", 1}});
  // One line: the only LF is the last byte, and no control byte is left.
  CHECK(line.find('\n') == line.size() - 1);
  for (size_t i = 0; i + 1 < line.size(); ++i) {
    auto c = static_cast<unsigned char>(line[i]);
    INFO(i);
    CHECK((c >= 0x20 && c != 0x7f));
  }
  CHECK(line.find("path=\"x\\n2026-12-02T05:00:00.000Z error agent "
                  "forged\\r\\x1b[31m\\x07\\x7f\\xc2\\x9b\\xff\\t\"") != std::string::npos);
  CHECK(line.find("info agent msg\\nforged x\\n") != std::string::npos);
  CHECK(line.find(" \"bad\\nkey\"=1") != std::string::npos);
}

TEST_CASE("json log lines stay JSON objects with the fields", "[core][log]") {
  std::string line = log::format_line(Format::kJson, kTs, Level::kError, "serve", "failed",
                                      {{"error", "a\nb"}, {"n", 2}});
  REQUIRE(line.back() == '\n');
  CHECK(line.find('\n') == line.size() - 1);
  json j = json::parse(line);
  CHECK(j == json{{"ts", kTs},
                  {"level", "error"},
                  {"component", "serve"},
                  {"msg", "failed"},
                  {"error", "a\nb"},
                  {"n", 2}});
  // Invalid UTF-8 does not throw; it is replaced.
  CHECK_NOTHROW(json::parse(
      log::format_line(Format::kJson, kTs, Level::kInfo, "c", "m", {{"v", std::string("\xff")}})));
}

TEST_CASE("log formats parse by name", "[core][log]") {
  Format f = Format::kJson;
  CHECK(log::parse_format("text", &f));
  CHECK(f == Format::kText);
  CHECK(log::parse_format("json", &f));
  CHECK(f == Format::kJson);
  CHECK_FALSE(log::parse_format("logfmt", &f));
  CHECK_FALSE(log::parse_format("", &f));
}

#include "infralogs/core/verbose_text.h"

#include <catch2/catch.hpp>
#include <vector>

using namespace infralogs;

namespace {

std::string field(std::string_view name, std::string_view value) {
  std::string out;
  append_verbose_field(name, value, &out);
  return out;
}

std::string header(uint64_t usec) {
  std::string out;
  append_verbose_header(usec, "s=1;i=2", &out);
  return out;
}

}  // namespace

TEST_CASE("verbose header is systemd's TIMESTAMP_US in UTC and the cursor", "[core]") {
  CHECK(header(1735689600311005) == "Wed 2025-01-01 00:00:00.311005 UTC [s=1;i=2]\n");
  CHECK(header(1) == "Thu 1970-01-01 00:00:00.000001 UTC [s=1;i=2]\n");
  CHECK(header(951782400000000) == "Tue 2000-02-29 00:00:00.000000 UTC [s=1;i=2]\n");
  CHECK(header(36028797018963967) == "Sat 3111-09-16 23:10:18.963967 UTC [s=1;i=2]\n");
  // format_timestamp_style's refusals, as journalctl prints them.
  CHECK(header(0) == "(no timestamp) [s=1;i=2]\n");
  CHECK(header(UINT64_MAX) == "(no timestamp) [s=1;i=2]\n");
  CHECK(header(253402214399999999) == "Thu 9999-12-30 23:59:59.999999 UTC [s=1;i=2]\n");
  CHECK(header(253402214400000000) == "--- XXXX-XX-XX XX:XX:XX.XXXXXX [s=1;i=2]\n");
}

TEST_CASE("verbose fields print raw bytes, continuation lines indented under the value", "[core]") {
  CHECK(field("MESSAGE", "hello") == "    MESSAGE=hello\n");
  CHECK(field("MESSAGE", "") == "    MESSAGE=\n");
  CHECK(field("M", "a\nb\n\nc") == "    M=a\n      b\n      \n      c\n");
  CHECK(field("M", "a\n") == "    M=a\n");  // a trailing LF adds no empty line
  CHECK(field("M", "\n") == "    M=\n");
  CHECK(field("M", "\n\n") == "    M=\n      \n");
  // Control characters, invalid UTF-8 and escapes are written as they are (journalctl --all).
  CHECK(field("X", "\x1b[31mred\t\r\xff") == "    X=\x1b[31mred\t\r\xff\n");
}

TEST_CASE("verbose fields stop each line at its first NUL, as journalctl's printf does", "[core]") {
  using namespace std::string_literals;
  CHECK(field("M", "before\0after"s) == "    M=before\n");
  CHECK(field("M", "\0"s) == "    M=\n");
  CHECK(field("B", "a\0b\nc\0d\ne"s) == "    B=a\n      c\n      e\n");
}

TEST_CASE("source realtime parses as journalctl 252's safe_atou64 and VALID_REALTIME", "[core]") {
  using namespace std::string_literals;
  CHECK(parse_source_realtime("1735689600123456") == 1735689600123456u);
  CHECK(parse_source_realtime("0x10") == 16u);
  CHECK(parse_source_realtime("0755") == 493u);
  CHECK(parse_source_realtime(" \t12") == 12u);
  CHECK(parse_source_realtime("+12") == 12u);
  CHECK(parse_source_realtime("12\0 junk"s) == 12u);
  CHECK(parse_source_realtime("36028797018963967") == 36028797018963967u);
  for (const std::string& bad : std::vector<std::string>{
           "", "-5", "-0", "  -0", "abc", "12 ", "12\n", "0", "36028797018963968",
           "18446744073709551615", "18446744073709551616", "1.5", "\0 12"s}) {
    INFO(bad);
    CHECK_FALSE(parse_source_realtime(bad));
  }
}

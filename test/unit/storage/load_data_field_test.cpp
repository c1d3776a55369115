// The LOAD DATA field encoding of the insert-path benchmark's load-data method: every byte must
// come back as it went in, so only the bytes LOAD DATA's default format treats specially are
// escaped.

#include <catch2/catch.hpp>
#include <string>

#include "storage/entry_insert.h"

using infralogs::storage::append_load_data_field;

namespace {

std::string field(const std::string& v) {
  std::string out = "x";
  append_load_data_field(out, v);
  return out.substr(1);  // appends, never replaces
}

}  // namespace

TEST_CASE("LOAD DATA fields escape backslash, tab, newline and NUL only", "[storage]") {
  CHECK(field("plain text") == "plain text");
  CHECK(field("") == "");
  CHECK(field("a\\b") == "a\\\\b");
  CHECK(field("a\tb\nc") == "a\\tb\\nc");
  CHECK(field(std::string("a\0b", 3)) == "a\\0b");
  // A value that reads as NULL stays a value: its backslash is escaped.
  CHECK(field("\\N") == "\\\\N");
  // Other bytes pass as they are: LOAD DATA ... CHARACTER SET binary keeps them.
  CHECK(field("\r\xff\xfe<script>") == "\r\xff\xfe<script>");
  CHECK(field("\t\t") == "\\t\\t");
}

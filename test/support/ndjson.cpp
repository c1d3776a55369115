#include "support/ndjson.h"

#include <catch2/catch.hpp>
#include <string_view>

namespace infralogs::test {
namespace {

// Calls `each(line, number)` for every line ending in '\n', and for the unterminated last line
// if `with_partial`.
template <typename Fn>
void for_each_line(const std::string& text, bool with_partial, Fn each) {
  size_t start = 0, number = 1;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos && !with_partial) return;
    size_t end = nl == std::string::npos ? text.size() : nl;
    each(std::string_view(text).substr(start, end - start), number++);
    start = end + 1;
  }
}

}  // namespace

std::vector<nlohmann::json> parse_ndjson(const std::string& body) {
  std::vector<nlohmann::json> out;
  for_each_line(body, true, [&](std::string_view line, size_t number) {
    if (line.empty()) return;
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded()) FAIL("NDJSON line " << number << " is not JSON: " << line.substr(0, 300));
    out.push_back(std::move(j));
  });
  return out;
}

std::vector<nlohmann::json> parse_json_lines(const std::string& text) {
  std::vector<nlohmann::json> out;
  for_each_line(text, false, [&](std::string_view line, size_t) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_discarded()) out.push_back(std::move(j));
  });
  return out;
}

}  // namespace infralogs::test

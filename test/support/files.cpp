#include "support/files.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

namespace infralogs::test {

std::optional<std::string> try_read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string read_file(const std::string& path) {
  auto content = try_read_file(path);
  if (!content) FAIL("cannot read " << path);
  return *content;
}

}  // namespace infralogs::test

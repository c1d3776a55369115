#include "support/temp_dir.h"

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace infralogs::test {

TempDir::TempDir() {
  char tmpl[] = "/tmp/infralogs-test-XXXXXX";
  const char* p = mkdtemp(tmpl);
  if (!p) FAIL("mkdtemp " << tmpl << ": " << std::strerror(errno));
  path_ = p;
}

TempDir::~TempDir() {
  // Best effort: a directory left behind in /tmp must not fail the test that used it.
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string TempDir::file(const std::string& name) const { return path_ + "/" + name; }

std::string TempDir::write(const std::string& name, const std::string& content) const {
  std::string p = file(name);
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << content;
  out.close();
  if (!out) FAIL("cannot write " << p);
  return p;
}

}  // namespace infralogs::test

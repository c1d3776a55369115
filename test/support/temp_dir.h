#pragma once
// A fresh directory for one test, removed with everything in it when the TempDir goes out of
// scope: also when a REQUIRE fails, since Catch2 unwinds the stack. Not thread-safe; owned by
// one test.

#include <string>

namespace infralogs::test {

class TempDir {
 public:
  // Creates /tmp/infralogs-test-XXXXXX; fails the test if it cannot.
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // path()/name; creates nothing.
  std::string file(const std::string& name) const;
  // Writes `content` to path()/name (replacing it) and returns the full path; fails the test if
  // the file cannot be written.
  std::string write(const std::string& name, const std::string& content) const;

 private:
  std::string path_;
};

}  // namespace infralogs::test

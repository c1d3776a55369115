#include "support/binaries.h"

#include <unistd.h>

#include <cstdlib>
#include <stdexcept>

namespace infralogs::test {

// INFRALOGS_TEST_BINARY when set (scripts/check-sanitizers runs this build's tests against
// build-asan/infralogs), else the binary this build made.
std::string test_binary_from(const char* env_value, const std::string& built) {
  if (env_value == nullptr || *env_value == '\0') return built;
  const std::string path = env_value;
  if (path.front() != '/' || ::access(path.c_str(), X_OK) != 0) {
    throw std::runtime_error("INFRALOGS_TEST_BINARY=" + path +
                             ": not an absolute path to an executable");
  }
  return path;
}

const std::string& infralogs_binary() {
  static const std::string path =
      test_binary_from(std::getenv("INFRALOGS_TEST_BINARY"), INFRALOGS_BINARY);
  return path;
}

const std::string& make_journal_binary() {
  static const std::string path = MAKE_JOURNAL_BINARY;
  return path;
}

const std::string& source_dir() {
  static const std::string path = INFRALOGS_SOURCE_DIR;
  return path;
}

const std::string& binary_dir() {
  static const std::string path = INFRALOGS_BINARY_DIR;
  return path;
}

}  // namespace infralogs::test

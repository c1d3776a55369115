#include "support/binaries.h"

namespace infralogs::test {

const std::string& infralogs_binary() {
  static const std::string path = INFRALOGS_BINARY;
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

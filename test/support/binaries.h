#pragma once
// Where the build put what the integration tests run (set by CMake on itest_support, so test
// files need no compile definitions of their own).

#include <string>

namespace infralogs::test {

const std::string& infralogs_binary();     // build/infralogs
const std::string& make_journal_binary();  // build/make-journal
const std::string& source_dir();           // the repository's root
const std::string& binary_dir();           // the build directory

}  // namespace infralogs::test

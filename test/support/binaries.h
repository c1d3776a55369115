#pragma once
// Where the build put what the integration tests run (set by CMake on itest_support, so test
// files need no compile definitions of their own).

#include <string>

namespace infralogs::test {

// build/infralogs, or $INFRALOGS_TEST_BINARY when set (an absolute path to an executable;
// anything else throws): scripts/check-sanitizers runs build/'s tests against the ASan build.
const std::string& infralogs_binary();
// What infralogs_binary() picks given that variable's value (nullptr when unset) and the
// built binary's path.
std::string test_binary_from(const char* env_value, const std::string& built);
const std::string& make_journal_binary();  // build/make-journal
const std::string& source_dir();           // the repository's root
const std::string& binary_dir();           // the build directory

}  // namespace infralogs::test

#pragma once
// Whole-file reads for tests.

#include <optional>
#include <string>

namespace infralogs::test {

// The bytes of the file at `path`; fails the test if it cannot be read.
std::string read_file(const std::string& path);

// The bytes of the file at `path`, or nullopt if it cannot be opened (for files another process
// may not have created yet).
std::optional<std::string> try_read_file(const std::string& path);

}  // namespace infralogs::test

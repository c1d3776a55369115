#include "support/exit_codes.h"

#include <catch2/catch.hpp>

namespace infralogs::test {

void check_usage_error(const CommandResult& r) {
  INFO("exit " << r.exit_code << ", signal " << r.signal << ", stderr: " << r.err);
  CHECK(r.signal == 0);
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("--help") != std::string::npos);
}

}  // namespace infralogs::test

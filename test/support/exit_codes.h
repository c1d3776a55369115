#pragma once
// The exit-code contract of infralogs (docs/modes.md): 0 ok, 1 a run-time failure, 2 bad usage.

#include "support/process.h"

namespace infralogs::test {

// Checks (CHECK, so the test goes on) that `r` is a usage error: an exit, not a signal, with
// code 2 (CLI11's own parse errors included: modes/main.cpp maps them to 2), and stderr pointing
// at --help.
void check_usage_error(const CommandResult& r);

}  // namespace infralogs::test

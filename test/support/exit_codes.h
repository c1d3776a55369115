#pragma once
// The exit-code contract of infralogs (docs/modes.md): 0 ok, 1 a run-time failure, 2 bad usage.

#include "support/process.h"

namespace infralogs::test {

// Checks (CHECK, so the test goes on) that `r` is a usage error: an exit, not a signal, with a
// code that is neither success nor a run-time failure, and stderr pointing at --help. CLI11's
// own parse errors (a missing subcommand or option, a file that does not exist) still exit
// with CLI11's codes (105-109) until modes/main.cpp maps them to 2, so any code from 2 up is
// accepted here; where the binary already exits 2, tests check `exit_code == 2` themselves.
void check_usage_error(const CommandResult& r);

}  // namespace infralogs::test

#pragma once
// The subcommand table's shape. Each mode file adds its options to its CLI11 subcommand and
// returns the function main() runs when that subcommand is chosen; the function returns the
// process exit code (0 ok, 1 runtime failure, 2 bad usage or not available).

#include <CLI/CLI.hpp>
#include <functional>

#include "signal_watcher.h"

namespace infralogs::modes {

using RunFn = std::function<int()>;
using SetupFn = RunFn (*)(CLI::App& sub);

struct Mode {
  const char* name;
  const char* description;
  SetupFn setup;
};

RunFn setup_agent(CLI::App& sub);
RunFn setup_collect(CLI::App& sub);
RunFn setup_serve(CLI::App& sub);
RunFn setup_rotate_creds(CLI::App& sub);
RunFn setup_query(CLI::App& sub);

// For modes whose issue has not landed: accepts any arguments, says so, exits 2.
RunFn not_built_yet(CLI::App& sub, const char* issue);

// Adds --log-level (env INFRALOGS_LOG_LEVEL) and --log-format (env INFRALOGS_LOG_FORMAT) to a
// subcommand and applies them at parse time.
void add_log_level_option(CLI::App& sub);

}  // namespace infralogs::modes

// infralogs: one executable, one subcommand per mode (see docs/modes.md).

#include <csignal>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "infralogs/core/log.h"
#include "infralogs/core/version.h"
#include "mode.h"

namespace infralogs::modes {

RunFn not_built_yet(CLI::App& sub, const char* issue) {
  sub.allow_extras();
  std::string name = sub.get_name();
  return [name, issue] {
    std::fprintf(stderr, "infralogs %s: not built yet (tracked in %s)\n", name.c_str(), issue);
    return 2;
  };
}

void add_log_level_option(CLI::App& sub) {
  sub.add_option_function<std::string>(
         "--log-level",
         [](const std::string& v) {
           log::Level level;
           if (!log::parse_level(v, &level))
             throw CLI::ValidationError("--log-level", "want debug, info, warn or error");
           log::set_min_level(level);
         },
         "Least severe log level written: debug, info, warn, error (default info). Logs are "
         "one line per event on stderr (--log-format).")
      ->envname("INFRALOGS_LOG_LEVEL");
  // Next to --log-level so that every mode that logs has both.
  sub.add_option_function<std::string>(
         "--log-format",
         [](const std::string& v) {
           log::Format format;
           if (!log::parse_format(v, &format))
             throw CLI::ValidationError("--log-format", "want json or text");
           log::set_format(format);
         },
         "json: JSON lines; text: 'TIME LEVEL COMPONENT MESSAGE key=value...' for a person. "
         "Default: text when stderr is a terminal, else json.")
      ->envname("INFRALOGS_LOG_FORMAT");
}

namespace {

const Mode kModes[] = {
    {"agent",
     "Serve this machine's systemd journal over token-protected HTTP(S) (/logs, /entries).",
     setup_agent},
    {"collect", "Poll every agent and write new entries to the MySQL primary, exactly once.",
     setup_collect},
    {"serve", "Serve the dashboard from the MySQL replica.", setup_serve},
    {"rotate-creds", "Rotate the MySQL credentials through HashiCorp Vault with no downtime.",
     setup_rotate_creds},
    {"query", "Query collected entries from a terminal, journalctl-style.", setup_query},
};

}  // namespace
}  // namespace infralogs::modes

int main(int argc, char** argv) {
  using namespace infralogs::modes;
  // A peer that hangs up mid-response must cost a write error, not the process: OpenSSL writes
  // with write(2), which raises SIGPIPE on a closed connection.
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App app{"infralogs " INFRALOGS_VERSION
               ": the systemd journal of a fleet of machines, collected into MySQL.\n"
               "Run 'infralogs MODE --help' for a mode's options."};
  app.set_version_flag("--version", "infralogs " INFRALOGS_VERSION);
  app.require_subcommand(1);
  std::vector<RunFn> runs;
  std::vector<CLI::App*> subs;
  for (const Mode& mode : kModes) {
    CLI::App* sub = app.add_subcommand(mode.name, mode.description);
    subs.push_back(sub);
    runs.push_back(mode.setup(*sub));
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version are ParseErrors too, with code 0; every other one is bad usage,
    // which exits 2 like a mode's own usage errors (docs/modes.md, "Exit codes").
    return app.exit(e) == 0 ? 0 : 2;
  }
  for (size_t i = 0; i < subs.size(); ++i) {
    if (!subs[i]->parsed()) continue;
    // The one catch point for a mode (docs/architecture.md): what a mode throws is a bug or a
    // value no parser checked, and costs one line and exit 2, not an abort.
    try {
      return runs[i]();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "infralogs %s: %s\n", subs[i]->get_name().c_str(), e.what());
      return 2;
    }
  }
  return 2;
}

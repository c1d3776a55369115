#include "support/journal.h"

#include <catch2/catch.hpp>

#include "support/binaries.h"
#include "support/ndjson.h"
#include "support/process.h"

namespace infralogs::test {

void generate_journal(const std::string& output, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {make_journal_binary(), "-o", output};
  argv.insert(argv.end(), args.begin(), args.end());
  CommandResult r = run(argv);
  INFO("make-journal stderr: " << r.err);
  REQUIRE(r.exit_code == 0);
}

std::vector<nlohmann::json> journalctl_json(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"journalctl"};
  argv.insert(argv.end(), args.begin(), args.end());
  for (const char* a : {"-o", "json", "--all", "-q", "--no-pager"}) argv.push_back(a);
  CommandResult r = run(argv, {"TZ=UTC", "SYSTEMD_COLORS=0"});
  INFO("journalctl stderr: " << r.err);
  // journalctl exits 1 when a filter matches nothing ("No entries" is not printed with -q).
  REQUIRE((r.exit_code == 0 || (r.exit_code == 1 && r.out.empty())));
  return parse_ndjson(r.out);
}

}  // namespace infralogs::test

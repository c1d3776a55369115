// infralogs query: journalctl-like questions to the replica, from a terminal.

#include "infralogs/journal/query.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "credentials_options.h"
#include "db_options.h"
#include "infralogs/core/log.h"
#include "infralogs/core/time.h"
#include "infralogs/dashboard/cli_format.h"
#include "infralogs/secrets/credential_source.h"
#include "infralogs/storage/mariadb_log_reader.h"
#include "mode.h"

namespace infralogs::modes {
namespace {

struct QueryConfig {
  std::string db_url;
  DbTlsFlags db_tls;
  secrets::CredentialsConfig credentials;
  std::string host, unit, priority, since, until, grep;
  bool case_sensitive = false;
  size_t lines = 50;
  std::string output = "short";
  bool no_pager = false;
};

int fail(const std::string& msg, int code) {
  std::fprintf(stderr, "infralogs query: %s\n", msg.c_str());
  return code;
}

// Writes through a pager when stdout is a terminal.
void emit(const std::string& text, bool pager) {
  if (pager && isatty(STDOUT_FILENO)) {
    const char* p = std::getenv("PAGER");
    std::string cmd = p && *p ? p : "less -FRSX";
    if (FILE* f = popen(cmd.c_str(), "w")) {
      std::fwrite(text.data(), 1, text.size(), f);
      pclose(f);
      return;
    }
  }
  std::fwrite(text.data(), 1, text.size(), stdout);
}

int run_query(const QueryConfig& cfg) {
  dashboard::CliFormat format;
  if (!dashboard::parse_cli_format(cfg.output, &format))
    return fail("-o: want short, json, csv, table or verbose", 2);
  auto db = storage::parse_mysql_url(cfg.db_url);
  if (!db) return fail(db.status().message(), 2);
  if (Status s = apply_db_tls(cfg.db_tls, &*db); !s.is_ok()) return fail(s.message(), 2);
  storage::SearchQuery q;
  q.window = {0, UINT64_MAX};
  if (!cfg.since.empty()) {
    auto t = journal::parse_time(cfg.since, now_usec());
    if (!t) return fail("--since: " + t.status().message(), 2);
    q.window.from_usec = *t;
  }
  if (!cfg.until.empty()) {
    auto t = journal::parse_time(cfg.until, now_usec());
    if (!t) return fail("--until: " + t.status().message(), 2);
    q.window.to_usec = *t;
  }
  if (q.window.from_usec >= q.window.to_usec) return fail("--since must be before --until", 2);
  if (!cfg.host.empty()) q.host = cfg.host;
  if (!cfg.unit.empty()) q.unit = journal::complete_unit_name(cfg.unit);
  if (!cfg.priority.empty()) {
    auto p = journal::parse_priority(cfg.priority);
    if (!p) return fail("--priority: " + p.status().message(), 2);
    q.max_priority = *p;
  }
  q.text = cfg.grep;
  q.exact_case = cfg.case_sensitive;
  q.limit = cfg.lines;
  auto credentials = open_credentials(cfg.credentials);
  if (!credentials)
    return fail(credentials.status().message(), credentials_exit_code(credentials.status()));
  db->connect_timeout = std::chrono::seconds(5);
  storage::MariaDbLogReader reader(*db, **credentials);
  // A page that stopped at the reader's time budget (SearchPage::searched_from_usec) is the
  // newest part of the answer: go on from its `next` until --lines rows or no more.
  std::vector<storage::SearchRow> rows;
  while (true) {
    auto page = reader.search(q);
    if (!page) return fail(page.status().message(), 1);
    for (auto& r : page->rows) rows.push_back(std::move(r));
    if (!page->searched_from_usec || !page->next || rows.size() >= cfg.lines) break;
    q.after = page->next;
    q.limit = cfg.lines - rows.size();
  }
  std::reverse(rows.begin(), rows.end());  // the newest N, printed oldest first like journalctl -n
  if (format != dashboard::CliFormat::kVerbose) {
    emit(dashboard::format_rows(rows, format), !cfg.no_pager);
    return 0;
  }
  // Verbose prints every stored field: one more read per entry (an entry gone since the search,
  // say to retention, is left out).
  std::vector<storage::EntryDetail> entries;
  for (const auto& row : rows) {
    auto detail = reader.entry(row.key);
    if (!detail) return fail(detail.status().message(), 1);
    if (*detail) entries.push_back(std::move(**detail));
  }
  emit(dashboard::format_verbose(entries), !cfg.no_pager);
  return 0;
}

}  // namespace

RunFn setup_query(CLI::App& sub) {
  auto cfg = std::make_shared<QueryConfig>();
  sub.footer(
      "Prints the newest --lines entries that match, oldest first, like journalctl -n. Reads the\n"
      "replica. --grep matches a substring of the message (not a regex), case-insensitively\n"
      "(Unicode simple case folding of the message as UTF-8) unless --case-sensitive (bytes).\n"
      "Times: @SECONDS, microseconds, YYYY-MM-DDTHH:MM:SS[Z] (UTC), or a duration back from now\n"
      "(30m, 2h, 7d). Exit: 0 ok, 1 database error, 2 bad usage.");
  sub.add_option("--db", cfg->db_url, "The replica: mysql://HOST:PORT/DATABASE.")
      ->envname("INFRALOGS_DB")
      ->required();
  add_db_tls_options(&sub, &cfg->db_tls);
  sub.add_option("-H,--host", cfg->host, "Only this host (the inventory name).");
  sub.add_option("-u,--unit", cfg->unit,
                 "Only this systemd unit (.service is added when no suffix).");
  sub.add_option("-p,--priority", cfg->priority,
                 "Only this priority and more severe: 0-7 or emerg..debug.");
  sub.add_option("-S,--since", cfg->since, "Entries at or after this time.");
  sub.add_option("-U,--until", cfg->until, "Entries before this time.");
  sub.add_option("-g,--grep", cfg->grep, "Only entries whose message contains this text.");
  sub.add_flag("--case-sensitive", cfg->case_sensitive,
               "--grep matches the message's bytes exactly (default: ignoring case).");
  sub.add_option("-n,--lines", cfg->lines, "How many entries (the newest).")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{100000}));
  sub.add_option("-o,--output", cfg->output,
                 "short, json (one object per line), csv, table, or verbose (every stored field, "
                 "as journalctl -o verbose --all prints it, in the journal's order except that "
                 "_BOOT_ID comes first and a repeated field's values are printed together).")
      ->capture_default_str();
  add_credentials_options(&sub, &cfg->credentials,
                          {.role_help = "a reader on the replica",
                           .example_creds_path = "database/creds/infralogs-read"});
  sub.add_flag("--no-pager", cfg->no_pager, "Do not page output on a terminal.");
  return [cfg] { return run_query(*cfg); };
}

}  // namespace infralogs::modes

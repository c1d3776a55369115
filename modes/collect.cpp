// infralogs collect: options -> CollectConfig -> validate -> build the parts -> run rounds.

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "credentials_options.h"
#include "db_options.h"
#include "infralogs/collect/collector.h"
#include "infralogs/collect/discovery.h"
#include "infralogs/collect/follower.h"
#include "infralogs/collect/inventory.h"
#include "infralogs/collect/round_report.h"
#include "infralogs/collect/shard.h"
#include "infralogs/collect/stall.h"
#include "infralogs/core/log.h"
#include "infralogs/core/time.h"
#include "infralogs/journal/query.h"
#include "infralogs/secrets/credential_source.h"
#include "infralogs/secrets/forwarding_listener.h"
#include "infralogs/storage/mariadb_log_store.h"
#include "mode.h"

namespace infralogs::modes {
namespace {

constexpr std::string_view kComponent = "collect";

struct CollectConfig {
  std::string inventory;
  std::string db_url;
  DbTlsFlags db_tls;
  secrets::CredentialsConfig credentials;
  bool once = false;
  bool follow = false;
  collect::FollowerOptions follower;
  bool migrate = false;
  int interval_s = 60;
  std::string since = "24h";
  int retain_days = 0;
  int timeout_s = 30;
  int response_timeout_s = 300;
  int db_timeout_s = 30;
  bool gzip = false;
  std::string metrics_file;
  int stall_rounds = 3;  // StallOptions::rounds
  collect::CollectorOptions collector;
  std::string shard_flag;    // --shard INDEX/COUNT
  uint64_t shard_count = 0;  // --shard-count, with JOB_COMPLETION_INDEX
  collect::Shard shard;      // resolved in run_collect
  std::string discover;      // --discover-agents dns:NAME:PORT
  std::string discover_token_file;
  collect::DiscoveryOptions discovery;  // parsed in run_collect
};

// "all", or a time as journal::parse_time reads it: "24h" back from now, "now-7d", a time.
Result<std::optional<uint64_t>> parse_since(const std::string& s) {
  if (s == "all") return std::optional<uint64_t>();
  auto t = journal::parse_time(s, now_usec());
  if (!t) return Status::invalid_argument("--since: want all or a time: " + t.status().message());
  return std::optional<uint64_t>(*t);
}

std::string collector_name() {
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  return std::string(host) + ":" + std::to_string(getpid());
}

// One line per agent per round; a live progress line on a terminal.
class Reporter {
 public:
  explicit Reporter(bool tty) : tty_(tty) {}
  void progress(const collect::AgentReport& a) {
    if (!tty_) return;
    std::lock_guard<std::mutex> lock(m_);
    std::fprintf(stderr, "\r\033[Kcollect: %s: %llu entries, %.1f MB, %.0f entries/s",
                 a.name.c_str(), static_cast<unsigned long long>(a.entries),
                 static_cast<double>(a.bytes) / 1e6,
                 a.seconds > 0 ? static_cast<double>(a.entries) / a.seconds : 0.0);
  }
  void clear() {
    if (tty_) std::fprintf(stderr, "\r\033[K");
  }

 private:
  bool tty_;
  std::mutex m_;
};

// The agents of this round: the inventory (re-read every round) and the discovered ones.
Result<std::vector<wire::AgentSpec>> round_agents(const CollectConfig& cfg,
                                                  wire::AgentClient& client, std::stop_token stop) {
  auto inventory = cfg.inventory.empty()
                       ? Result<std::vector<wire::AgentSpec>>(std::vector<wire::AgentSpec>{})
                       : collect::load_inventory(cfg.inventory);
  if (!inventory) return inventory.status();
  return collect::agents_for_round(std::move(*inventory), cfg.discovery, cfg.discover_token_file,
                                   cfg.shard, client, stop);
}

// Parses the flags that need more than CLI11's checks into *db and *cfg; the first usage error.
Status resolve_flags(CollectConfig* cfg, storage::MariaDbConnectionOptions* db) {
  auto url = storage::parse_mysql_url(cfg->db_url);
  if (!url) return url.status();
  *db = *url;
  // A frozen primary fails a store after this instead of holding the round forever; the
  // batch is not committed, so the next round stores it again, exactly once.
  db->read_timeout = db->write_timeout = std::chrono::seconds(cfg->db_timeout_s);
  if (Status s = apply_db_tls(cfg->db_tls, db); !s.is_ok()) return s;
  auto since = parse_since(cfg->since);
  if (!since) return since.status();
  cfg->collector.first_contact_since_usec = *since;
  auto shard = collect::resolve_shard(cfg->shard_flag, std::getenv("JOB_COMPLETION_INDEX"),
                                      cfg->shard_count);
  if (!shard) return shard.status();
  cfg->shard = *shard;
  if (!cfg->discover.empty()) {
    if (Status d = collect::parse_discovery(cfg->discover, &cfg->discovery); !d.is_ok()) return d;
    if (cfg->discover_token_file.empty())
      return Status::invalid_argument("--discover-agents needs --discover-token-file");
  }
  cfg->follower.first_contact_since_usec = *since;
  cfg->follower.poll_interval = std::chrono::seconds(cfg->interval_s);
  if (cfg->follow && cfg->once)
    return Status::invalid_argument("--follow and --once exclude each other");
  if (cfg->follow && !cfg->discover.empty())
    return Status::invalid_argument(
        "--follow takes its agents from --inventory, not --discover-agents");
  if (!cfg->migrate && cfg->inventory.empty() && cfg->discover.empty())
    return Status::invalid_argument("--inventory or --discover-agents is required (or --migrate)");
  return Status::ok();
}

// collect --follow: the inventory's agents, each followed until SIGTERM (collect::Follower).
int run_follow(CollectConfig& cfg, wire::AgentClient& client, storage::LogStore& store,
               std::stop_token stop) {
  auto agents = round_agents(cfg, client, stop);
  if (!agents) {
    log::error(kComponent, "cannot use --inventory", {{"error", agents.status().message()}});
    return 2;
  }
  collect::Collector poller(client, store, cfg.collector);
  cfg.follower.collector = collector_name();
  cfg.follower.report = [&cfg](const std::vector<collect::FollowStatus>& agents) {
    for (const auto& a : agents) {
      log::info(kComponent, "follow status",
                {{"agent", a.name},
                 {"state", collect::stream_state_name(a.state)},
                 {"entries", a.entries},
                 {"reconnects", a.reconnects},
                 {"lag_s", a.last_realtime_usec
                               ? static_cast<double>(now_usec() - a.last_realtime_usec) / 1e6
                               : 0.0},
                 {"error", a.last_error}});
    }
    if (cfg.metrics_file.empty()) return;
    Status s = collect::write_textfile(cfg.metrics_file,
                                       collect::render_follow_metrics(agents, now_usec()));
    if (!s.is_ok()) log::warn(kComponent, "cannot write --metrics-file", {{"error", s.message()}});
  };
  collect::Follower follower(client, store, poller, cfg.follower);
  log::info(kComponent, "following", {{"agents", agents->size()}});
  follower.run(*agents, stop);
  log::info(kComponent, "stopped: everything received is committed");
  return 0;
}

int run_collect(CollectConfig cfg) {
  storage::MariaDbConnectionOptions db;
  if (Status s = resolve_flags(&cfg, &db); !s.is_ok()) {
    log::error(kComponent, s.message());
    return 2;
  }
  // The store follows rotations (verify, then drain the old connections); it exists only once
  // the source has given its first credentials.
  secrets::ForwardingRotationListener rotations;
  auto credentials = open_credentials(cfg.credentials, &rotations);
  if (!credentials) {
    log::error(kComponent, "cannot obtain the database credentials",
               {{"error", credentials.status().message()}});
    return credentials_exit_code(credentials.status());
  }
  storage::MariaDbLogStore store(db, **credentials);
  secrets::ListenerBinding follow(rotations, store);
  if (cfg.migrate) {
    Status s = store.migrate();
    if (!s.is_ok()) {
      log::error(kComponent, "migration failed", {{"error", s.message()}});
      return 1;
    }
    log::info(kComponent, "schema is up to date", {{"version", storage::schema_version()}});
    return 0;
  }
  Status schema = store.check_schema();
  if (!schema.is_ok()) {
    log::error(kComponent, "cannot use the database", {{"error", schema.message()}});
    return schema.code() == StatusCode::kInvalidArgument ? 2 : 1;
  }

  std::stop_source stop;
  SignalWatcher signals([&stop](const char* signal) {
    log::info(kComponent, "stopping: finishing the current transaction", {{"signal", signal}});
    stop.request_stop();
  });

  wire::HttpAgentClientOptions http;
  http.read_timeout = std::chrono::seconds(cfg.timeout_s);
  http.response_timeout = std::chrono::seconds(cfg.response_timeout_s);
  http.gzip = cfg.gzip;
  wire::HttpAgentClient client(http);
  if (cfg.follow) return run_follow(cfg, client, store, stop.get_token());
  Reporter reporter(isatty(STDERR_FILENO));
  collect::Collector collector(
      client, store, cfg.collector,
      [&reporter](const collect::AgentReport& a) { reporter.progress(a); });
  collect::RoundOptions round;
  round.collector = collector_name();
  round.retain = std::chrono::days(cfg.retain_days);
  collect::StallTracker stalls({.rounds = cfg.stall_rounds});
  while (true) {
    auto agents = round_agents(cfg, client, stop.get_token());
    if (!agents) {
      log::error(kComponent, "cannot use --inventory", {{"error", agents.status().message()}});
      return 2;
    }
    auto report = collect::poll_round(collector, *agents, round, stop.get_token());
    stalls.observe(&report);
    reporter.clear();
    collect::record_round(report, store, round);
    if (!cfg.metrics_file.empty()) {
      Status s = collect::write_round_textfile(report, cfg.metrics_file);
      if (!s.is_ok())
        log::warn(kComponent, "cannot write --metrics-file", {{"error", s.message()}});
    }
    // The one-line-per-failed-agent summary, plain, for a CronJob's log.
    for (const auto& line : report.failed_agents())
      std::fprintf(stderr, "collect: %s\n", line.c_str());
    if (stop.stop_requested()) return cfg.once ? 1 : 0;
    if (cfg.once) return report.all_ok() ? 0 : 1;
    if (!sleep_for(std::chrono::seconds(cfg.interval_s), stop.get_token())) return 0;
  }
}

}  // namespace

RunFn setup_collect(CLI::App& sub) {
  auto cfg = std::make_shared<CollectConfig>();
  sub.footer(
      "Polls every agent in the inventory from its stored cursor and writes new entries to the\n"
      "MySQL primary; each page of entries, its rollups and the new cursor commit in one\n"
      "transaction, so a collector killed at any moment neither loses nor duplicates an entry.\n"
      "Inventory: {\"agents\": [{\"name\": \"vm-1\", \"url\": \"https://vm-1:19532\", "
      "\"token_file\": \"...\"}]}\n"
      "Credentials file: {\"username\": \"...\", \"password\": \"...\"} (as a Vault Agent renders "
      "it).\n"
      "Exit: 0 every agent ok; 1 some agent failed (one line each on stderr); 2 bad usage.\n"
      "See docs/modes.md and docs/schema.md.");
  sub.add_option("--inventory", cfg->inventory, "JSON file listing the agents to poll.")
      ->envname("INFRALOGS_INVENTORY");
  sub.add_option("--db", cfg->db_url, "The primary: mysql://HOST:PORT/DATABASE.")
      ->envname("INFRALOGS_DB")
      ->required();
  add_db_tls_options(&sub, &cfg->db_tls);
  add_credentials_options(&sub, &cfg->credentials,
                          {.role_help = "the writer on the primary",
                           .example_creds_path = "database/creds/infralogs-collect"});
  sub.add_flag("--once", cfg->once, "Catch every agent up to its tail, then exit (a CronJob).");
  sub.add_flag("--follow", cfg->follow,
               "Follow every agent (a Deployment): new entries are committed within about "
               "--commit-delay; agents that cannot follow are polled every --interval.");
  sub.add_option("--commit-entries", cfg->follower.commit_entries,
                 "With --follow: entries per transaction at most.")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{100000}));
  sub.add_option("--commit-bytes", cfg->follower.commit_bytes,
                 "With --follow: bytes per transaction at most (a larger entry alone still "
                 "goes); a size such as 8MiB (default).")
      ->transform(CLI::AsSizeValue(false))
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 40));
  sub.add_option("--queue-bytes", cfg->follower.queue_bytes,
                 "With --follow: bytes received and not yet committed per agent at most; the "
                 "agent's stream is held back beyond them (default 32MiB).")
      ->transform(CLI::AsSizeValue(false))
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 40));
  sub.add_option_function<int>(
         "--commit-delay",
         [cfg](int ms) { cfg->follower.commit_delay = std::chrono::milliseconds(ms); },
         "With --follow: milliseconds from the first uncommitted entry to its commit (default "
         "200).")
      ->check(CLI::Range(1, 60000));
  sub.add_flag("--migrate", cfg->migrate, "Apply missing schema migrations and exit (idempotent).");
  sub.add_option("--interval", cfg->interval_s, "Seconds between rounds without --once.")
      ->capture_default_str()
      ->check(CLI::Range(1, 86400));
  sub.add_option("--parallel", cfg->collector.parallel, "Agents polled at once.")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{256}));
  sub.add_option("--batch", cfg->collector.batch_entries, "Entries per page and per transaction.")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{100000}));
  sub.add_option("--since", cfg->since,
                 "First contact with an agent (no stored cursor): 'all' for its whole journal, a "
                 "duration back from now (30m, 24h, 7d), or a time.")
      ->capture_default_str();
  sub.add_option("--retain-days", cfg->retain_days,
                 "Drop day partitions older than this many days (0: keep all).")
      ->capture_default_str()
      ->check(CLI::Range(0, 100000));
  sub.add_option("--timeout", cfg->timeout_s, "Seconds an agent may stay silent within a response.")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  sub.add_option("--response-timeout", cfg->response_timeout_s,
                 "Seconds one page from an agent may take in all, however steadily it trickles "
                 "(0: no limit); the page is then fetched again.")
      ->capture_default_str()
      ->check(CLI::Range(0, 86400));
  sub.add_option("--db-timeout", cfg->db_timeout_s,
                 "Seconds one read or write to the primary may take before the store fails.")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  sub.add_option("--attempts", cfg->collector.attempts,
                 "Tries per fetch or store before an agent fails.")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  sub.add_flag(
      "--gzip", cfg->gzip,
      "Ask agents to compress responses: for slow or metered links. Off by default: on a LAN "
      "it costs more CPU on both ends than the bandwidth saves (docs/performance.md).");
  sub.add_option("--metrics-file", cfg->metrics_file,
                 "Write the round's metrics here in Prometheus text format (node-exporter textfile "
                 "collector).")
      ->envname("INFRALOGS_METRICS_FILE");
  sub.add_option("--stall-rounds", cfg->stall_rounds,
                 "Rounds in a row in which an agent says it has more entries but sends none "
                 "before it is reported stalled (log line, infralogs_collect_agent_stalled).")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  sub.add_option("--shard", cfg->shard_flag,
                 "INDEX/COUNT: poll only the agents whose name hashes (FNV-1a 64 mod COUNT) to "
                 "INDEX; default JOB_COMPLETION_INDEX/--shard-count when that is set.");
  sub.add_option("--shard-count", cfg->shard_count,
                 "Shards in all, with the index from JOB_COMPLETION_INDEX (an Indexed Job).")
      ->envname("INFRALOGS_SHARD_COUNT")
      ->check(CLI::Range(uint64_t{1}, uint64_t{100000}));
  sub.add_option("--discover-agents", cfg->discover,
                 "dns:NAME:PORT (or dns+https:): each round, every address NAME resolves to is an "
                 "agent named by that address, added to the inventory's (a headless Service).")
      ->envname("INFRALOGS_DISCOVER_AGENTS");
  sub.add_option("--discover-token-file", cfg->discover_token_file,
                 "The token file for discovered agents.")
      ->envname("INFRALOGS_DISCOVER_TOKEN_FILE");
  sub.add_option("--discover-ca-file", cfg->discovery.ca_file,
                 "With dns+https: the CA bundle for discovered agents (default: the system's).");
  add_log_level_option(sub);
  return [cfg] { return run_collect(*cfg); };
}

}  // namespace infralogs::modes

// infralogs serve: options -> ServeConfig -> validate -> build the parts -> serve.

#include <stop_token>

#include "credentials_options.h"
#include "db_options.h"
#include "infralogs/core/log.h"
#include "infralogs/core/metrics.h"
#include "infralogs/core/parse.h"
#include "infralogs/dashboard/dashboard.h"
#include "infralogs/dashboard/live.h"
#include "infralogs/http/dashboard_routes.h"
#include "infralogs/http/server.h"
#include "infralogs/secrets/credential_source.h"
#include "infralogs/secrets/forwarding_listener.h"
#include "infralogs/storage/mariadb_log_reader.h"
#include "mode.h"
#include "server_flags.h"

namespace infralogs::modes {
namespace {

constexpr std::string_view kComponent = "serve";

struct ServeConfig {
  std::string listen = "127.0.0.1:8080";
  std::string db_url;
  DbTlsFlags db_tls;
  secrets::CredentialsConfig credentials;
  int stale_after_s = 900;
  ServerFlags server;
  int db_timeout_s = 10;
  size_t search_walk_rows = 30000;
  unsigned search_budget_ms = 200;
  size_t live_streams = 64;
  int live_poll_ms = 250;
};

int run_serve(const ServeConfig& cfg) {
  auto listen = parse_listen_address(cfg.listen);
  if (!listen) {
    log::error(kComponent, "--listen: " + listen.status().message());
    return 2;
  }
  auto db = storage::parse_mysql_url(cfg.db_url);
  if (!db) {
    log::error(kComponent, db.status().message());
    return 2;
  }
  if (Status s = apply_db_tls(cfg.db_tls, &*db); !s.is_ok()) {
    log::error(kComponent, s.message());
    return 2;
  }
  // The reader follows rotations once it exists (verify on the replica, then drain).
  secrets::ForwardingRotationListener rotations;
  auto credentials = open_credentials(cfg.credentials, &rotations);
  if (!credentials) {
    log::error(kComponent, "cannot obtain the database credentials",
               {{"error", credentials.status().message()}});
    return credentials_exit_code(credentials.status());
  }
  db->connect_timeout = std::chrono::seconds(3);
  // A frozen replica holds a request this long on a pooled connection (then connect_timeout on
  // a new one) before it answers 503: short, since a person is waiting.
  db->read_timeout = std::chrono::seconds(cfg.db_timeout_s);
  db->write_timeout = std::chrono::seconds(cfg.db_timeout_s);
  storage::MariaDbLogReader reader(
      *db, **credentials,
      {.search_walk_rows = cfg.search_walk_rows, .search_budget_ms = cfg.search_budget_ms});
  secrets::ListenerBinding follow(rotations, reader);
  if (Status s = reader.ping(); !s.is_ok()) {
    log::warn(kComponent, "the replica does not answer yet; pages say so until it does",
              {{"error", s.message()}});
  }
  dashboard::DashboardOptions options;
  options.stale_after = std::chrono::seconds(cfg.stale_after_s);
  dashboard::Dashboard dash(reader, options);
  MetricsRegistry metrics;
  // Before the server, so that it outlives every stream a connection thread still holds.
  dashboard::LiveOptions live_options;
  live_options.max_streams = cfg.live_streams;
  live_options.poll_interval = std::chrono::milliseconds(cfg.live_poll_ms);
  dashboard::LiveHub live(reader, live_options);
  http::ServerOptions server_options;
  apply_server_flags(cfg.server, &server_options);
  auto server = http::Server::create({}, server_options);
  if (!server) {
    log::error(kComponent, "cannot create the HTTP server", {{"error", server.status().message()}});
    return 1;
  }
  http::attach_dashboard_routes(**server, dash, reader, metrics, http::embedded_assets(), &live);
  std::stop_source stop;
  SignalWatcher signals([&stop, &live](const char* signal) {
    log::info(kComponent, "stopping", {{"signal", signal}});
    live.stop();  // live streams end now, not at the server's stop grace
    stop.request_stop();
  });
  // After the watcher: a thread started before it would take SIGTERM's default action.
  live.start();
  return http::listen_and_serve(**server, *listen, kComponent, stop.get_token(),
                                {{"db", cfg.db_url}});
}

}  // namespace

RunFn setup_serve(CLI::App& sub) {
  auto cfg = std::make_shared<ServeConfig>();
  sub.footer(
      "The internal dashboard: overview, host pages and search, drawn with BokehJS (embedded: no\n"
      "internet needed), over a JSON API under /api/ (docs/dashboard-api.md). Reads only the\n"
      "replica, with a read-only account. /healthz: 200 while the replica answers. Put it behind\n"
      "the VPN: it has no login of its own.");
  sub.add_option("--listen", cfg->listen,
                 "Address and port, ADDR:PORT (port 0: any free port, logged).")
      ->envname("INFRALOGS_LISTEN")
      ->capture_default_str();
  sub.add_option("--db", cfg->db_url, "The replica: mysql://HOST:PORT/DATABASE.")
      ->envname("INFRALOGS_DB")
      ->required();
  add_db_tls_options(&sub, &cfg->db_tls);
  add_credentials_options(&sub, &cfg->credentials,
                          {.role_help = "a read-only account on the replica",
                           .example_creds_path = "database/creds/infralogs-read"});
  sub.add_option(
         "--stale-after", cfg->stale_after_s,
         "Seconds after which the collector's heartbeat, or a host's last poll, counts as stale.")
      ->capture_default_str()
      ->check(CLI::Range(10, 86400 * 30));
  add_server_flags(sub, &cfg->server);
  sub.add_option("--db-timeout", cfg->db_timeout_s,
                 "Seconds one read or write to the replica may take; past it the request answers "
                 "503 (a frozen replica cannot hold serve's requests longer).")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  sub.add_option(
         "--search-walk-rows", cfg->search_walk_rows,
         "A search without host or unit walks the time index newest first and stops at a full "
         "page; past this many rows examined (rare or absent text) it reads the window in "
         "time slices instead.")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{100000000}));
  sub.add_option("--live-streams", cfg->live_streams,
                 "Live view streams (/api/live) open at once; more are answered 503.")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{10000}));
  sub.add_option("--live-poll-ms", cfg->live_poll_ms,
                 "Milliseconds between the live view's reads of the replica (one reader for all "
                 "streams).")
      ->capture_default_str()
      ->check(CLI::Range(50, 60000));
  sub.add_option("--search-budget-ms", cfg->search_budget_ms,
                 "Milliseconds a search reads before it answers with the matches found so far "
                 "and where it stopped (the page says how far back it searched; 'next' goes on "
                 "from there). 0: one time slice per request.")
      ->capture_default_str()
      ->check(CLI::Range(0u, 600000u));
  add_log_level_option(sub);
  return [cfg] { return run_serve(*cfg); };
}

}  // namespace infralogs::modes

// infralogs agent: options -> AgentConfig -> validate -> build the parts -> serve.

#include <malloc.h>
#include <unistd.h>

#include <filesystem>
#include <stop_token>

#include "credentials_options.h"
#include "infralogs/core/log.h"
#include "infralogs/core/metrics.h"
#include "infralogs/core/parse.h"
#include "infralogs/http/agent_routes.h"
#include "infralogs/http/server.h"
#include "infralogs/http/token_auth.h"
#include "infralogs/journal/progress_reader.h"
#include "infralogs/journal/sd_journal_reader.h"
#include "infralogs/secrets/vault_kv_tokens.h"
#include "infralogs/wire/protocol.h"
#include "mode.h"
#include "server_flags.h"
#include "vault_token_source.h"

namespace infralogs::modes {
namespace {

// --file and -D as absolute paths: libsystemd cannot watch a journal opened by a bare relative
// file name (following failed with "cannot watch the journal: Destination address required").
const CLI::Validator kAbsolutePath(
    [](std::string& path) {
      std::error_code ec;
      auto abs = std::filesystem::absolute(path, ec);
      if (!ec) path = abs.lexically_normal().string();
      return std::string();
    },
    "", "absolute path");

constexpr std::string_view kComponent = "agent";

struct AgentConfig {
  std::string listen = "0.0.0.0:19532";
  std::string token_file;
  // --tokens-vault-path: the KV v2 secret of the tokens instead of the file, read with the
  // Vault flags in `vault` and re-read every tokens_poll_s.
  std::string tokens_vault_path;
  secrets::CredentialsConfig vault;
  int tokens_poll_s = 30;
  journal::ReaderOptions reader;
  http::TlsOptions tls;
  http::AgentOptions agent;
  ServerFlags server;
  size_t auth_fail_limit = 10;
  int auth_fail_window_s = 60;
  int follow_heartbeat_s = 5;
  int follow_max_duration_s = 300;
  int stall_after_s = 300;  // /healthz says "stalled" after this long with nothing served
  // --write-timeout: a response write that cannot go on for this long drops the connection
  // (a follower that stopped reading frees its slot after it).
  int write_timeout_s = 60;
};

int run_agent(const AgentConfig& cfg) {
  auto listen = parse_listen_address(cfg.listen);
  if (!listen) {
    log::error(kComponent, "--listen: " + listen.status().message());
    return 2;
  }
  if (cfg.tls.cert_file.empty() != cfg.tls.key_file.empty()) {
    log::error(kComponent, "--tls-cert and --tls-key go together");
    return 2;
  }
  if (!cfg.tls.client_ca_file.empty() && cfg.tls.cert_file.empty()) {
    log::error(kComponent, "--tls-client-ca needs --tls-cert and --tls-key");
    return 2;
  }
  const bool from_vault = !cfg.tokens_vault_path.empty();
  if (from_vault == !cfg.token_file.empty()) {
    log::error(kComponent, "give one of --token-file and --tokens-vault-path");
    return 2;
  }
  if (from_vault && cfg.tokens_vault_path.find("/data/") == std::string::npos) {
    log::error(kComponent, "--tokens-vault-path " + cfg.tokens_vault_path +
                               ": want the KV v2 API path MOUNT/data/PATH");
    return 2;
  }
  // Before any thread starts, so the Vault threads are born with SIGTERM/SIGINT blocked.
  std::stop_source stop;
  SignalWatcher signals([&stop](const char* signal) {
    log::info(kComponent, "stopping", {{"signal", signal}});
    stop.request_stop();
  });
  MetricsRegistry metrics;
  std::unique_ptr<VaultSession> vault;
  std::unique_ptr<secrets::VaultKvTokens> kv;
  std::unique_ptr<http::TokenSource> source;
  if (from_vault) {
    auto session = open_vault_session(cfg.vault);
    if (!session) {
      log::error(kComponent, "cannot log in to Vault", {{"error", session.status().message()}});
      return credentials_exit_code(session.status());
    }
    vault = std::move(*session);
    kv = std::make_unique<secrets::VaultKvTokens>(
        *vault->client, vault->tokens.get(),
        secrets::VaultKvTokensOptions{.path = cfg.tokens_vault_path,
                                      .poll_interval = std::chrono::seconds(cfg.tokens_poll_s)});
    Status s = kv->start();
    if (!s.is_ok()) {
      log::error(kComponent, "cannot read --tokens-vault-path", {{"error", s.message()}});
      return credentials_exit_code(s);
    }
    source = std::make_unique<VaultTokenSource>(*kv, cfg.tokens_vault_path);
  } else {
    source = std::make_unique<http::TokenFileSource>(cfg.token_file);
  }
  auto tokens = http::TokenSet::create(std::move(source), {.metrics = &metrics});
  if (!tokens) {
    log::error(kComponent,
               from_vault ? "cannot use --tokens-vault-path" : "cannot use --token-file",
               {{"error", tokens.status().message()}});
    return credentials_exit_code(tokens.status());
  }
  http::ServerOptions server_options;
  apply_server_flags(cfg.server, &server_options);
  server_options.keep_alive_max_count = 1000;
  server_options.read_timeout = std::chrono::seconds(30);
  server_options.write_timeout = std::chrono::seconds(cfg.write_timeout_s);
  auto server = http::Server::create(cfg.tls, server_options);
  if (!server) {
    log::error(kComponent, "cannot set up TLS", {{"error", server.status().message()}});
    return 2;
  }
  if (geteuid() == 0) {
    log::warn(kComponent,
              "running as root; run the agent as an unprivileged user in the "
              "systemd-journal group instead");
  }

  // Each request thread would otherwise get its own malloc arena that keeps its freed buffers:
  // two arenas are plenty for an I/O-bound server and keep its memory small.
  mallopt(M_ARENA_MAX, 2);
  journal::SdJournalReader reader(cfg.reader);
  Status readable = reader.check_readable();
  if (!readable.is_ok()) {
    log::warn(kComponent, "the journal is not readable; /healthz says 503 until it is",
              {{"reason", readable.message()}});
  }
  http::AuthRateLimiter limiter(cfg.auth_fail_limit, std::chrono::seconds(cfg.auth_fail_window_s));
  // Remembers what was served, for /healthz's stall report (journal/progress_reader.h).
  journal::ProgressReaderOptions progress;
  progress.stall_after = std::chrono::seconds(cfg.stall_after_s);
  journal::ProgressReader served(reader, progress);
  http::AgentOptions agent = cfg.agent;
  agent.stop = stop.get_token();  // follow responses end at once on SIGTERM
  http::attach_agent_routes(**server, served, **tokens, limiter, metrics, agent);

  return http::listen_and_serve(**server, *listen, kComponent, stop.get_token(),
                                {{"tls", !cfg.tls.cert_file.empty()},
                                 {"client_certs", !cfg.tls.client_ca_file.empty()},
                                 {"tokens", (*tokens)->token_count()},
                                 {"tokens_source", (*tokens)->status().source},
                                 {"protocol", wire::kProtocolVersion}});
}

}  // namespace

RunFn setup_agent(CLI::App& sub) {
  auto cfg = std::make_shared<AgentConfig>();
  sub.footer(
      "The agent reads the journal through libsystemd and serves it to collectors:\n"
      "  GET /logs?after=CURSOR&limit=N   NDJSON, one entry per line as `journalctl -o json "
      "--all`\n"
      "  GET /logs?follow=true&after=C    the same, then new entries as they are written\n"
      "  GET /entries                     systemd-journal-gatewayd's protocol (and ?follow)\n"
      "  GET /healthz (no token), GET /metrics (Prometheus)\n"
      "Tokens: `Authorization: Bearer TOKEN`, or TOKEN as the HTTP Basic password.\n"
      "Run it as an unprivileged user in the systemd-journal group. See docs/modes.md.");
  sub.add_option(
         "--listen", cfg->listen,
         "Address and port to listen on, ADDR:PORT (port 0: any free port, logged at start).")
      ->envname("INFRALOGS_LISTEN")
      ->capture_default_str();
  sub.add_option("--name", cfg->agent.name,
                 "The name /machine reports (default: the hostname); a collector names agents it "
                 "discovers through DNS by it. The chart sets it to the node's name.")
      ->envname("INFRALOGS_AGENT_NAME");
  sub.add_option("--token-file", cfg->token_file,
                 "File of valid tokens, one per line (all valid at once; re-read when it changes). "
                 "Give this or --tokens-vault-path.")
      ->envname("INFRALOGS_TOKEN_FILE")
      ->check(CLI::ExistingFile);
  sub.add_option("--tokens-vault-path", cfg->tokens_vault_path,
                 "Read the tokens from this Vault KV v2 secret instead, e.g. "
                 "secret/data/infralogs/agent-tokens: its \"current\" and \"previous\" are "
                 "valid (rotate-creds --agent-tokens writes them). Needs --vault-addr; the last "
                 "good tokens stay valid while Vault cannot be read.")
      ->envname("INFRALOGS_TOKENS_VAULT_PATH");
  sub.add_option("--tokens-poll-interval", cfg->tokens_poll_s,
                 "Seconds between reads of --tokens-vault-path.")
      ->capture_default_str()
      ->check(CLI::Range(1, 86400));
  sub.add_option(
         "--directory,-D", cfg->reader.directories,
         "Serve the journal files in this directory instead of the system journal (repeatable).")
      ->check(CLI::ExistingDirectory)
      ->transform(kAbsolutePath);
  sub.add_option("--file", cfg->reader.files,
                 "Serve this journal file instead of the system journal (repeatable).")
      ->check(CLI::ExistingFile)
      ->transform(kAbsolutePath);
  sub.add_option("--tls-cert", cfg->tls.cert_file, "PEM certificate chain: serve HTTPS.")
      ->envname("INFRALOGS_TLS_CERT")
      ->check(CLI::ExistingFile);
  sub.add_option("--tls-key", cfg->tls.key_file, "PEM private key for --tls-cert.")
      ->envname("INFRALOGS_TLS_KEY")
      ->check(CLI::ExistingFile);
  sub.add_option("--tls-client-ca", cfg->tls.client_ca_file,
                 "PEM CA bundle: require client certificates signed by it.")
      ->envname("INFRALOGS_TLS_CLIENT_CA")
      ->check(CLI::ExistingFile);
  CLI::Option* default_limit =
      sub.add_option("--default-limit", cfg->agent.default_limit,
                     "Entries per /logs page when the client gives no limit (at most --max-limit).")
          ->capture_default_str()
          ->check(CLI::Range(size_t{1}, wire::kLargestLimit));
  sub.add_option("--max-limit", cfg->agent.max_limit, "Largest limit a client may ask for.")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, wire::kLargestLimit));
  sub.add_option(
         "--trim-every", cfg->reader.trim_every,
         "Drop the journal file pages read so far from memory after this many entries of one "
         "response (0: never). Lower: less memory, a little slower.")
      ->capture_default_str();
  sub.add_option("--max-followers", cfg->agent.max_followers,
                 "Follow responses (/logs?follow=true, /entries?follow) served at once; more get "
                 "503 with Retry-After. Each holds a connection: keep it below --max-connections.")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{100000}));
  sub.add_option("--follow-heartbeat", cfg->follow_heartbeat_s,
                 "Seconds of silence after which a follow response sends an empty line, so that "
                 "clients and proxies can tell a quiet journal from a dead connection.")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  sub.add_option("--follow-max-duration", cfg->follow_max_duration_s,
                 "Seconds after which a follow response ends (the client reconnects with after=); "
                 "also the largest wait= a client may ask for.")
      ->capture_default_str()
      ->check(CLI::Range(1, 86400));
  sub.add_option("--write-timeout", cfg->write_timeout_s,
                 "Seconds a response write may wait for the client to take data before the "
                 "connection is dropped: a follower that stops reading is dropped after it and "
                 "frees its --max-followers slot.")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  add_server_flags(sub, &cfg->server);
  sub.add_option("--auth-fail-limit", cfg->auth_fail_limit,
                 "Failed authentications a client address may make per window before it gets 429.")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{1000000}));
  sub.add_option("--auth-fail-window", cfg->auth_fail_window_s,
                 "Length of that window, in seconds.")
      ->capture_default_str()
      ->check(CLI::Range(1, 86400));
  sub.add_option("--stall-after", cfg->stall_after_s,
                 "Seconds with nothing served while the journal has newer entries before "
                 "/healthz reports the journal \"stalled\" (a collector's cursor stopped).")
      ->capture_default_str()
      ->check(CLI::Range(1, 86400 * 30));
  add_credentials_options(
      &sub, &cfg->vault,
      {.role_help = "the API tokens, with --tokens-vault-path", .database_flags = false});
  add_log_level_option(sub);
  return [cfg, default_limit] {
    if (cfg->agent.default_limit > cfg->agent.max_limit && default_limit->count() == 0) {
      cfg->agent.default_limit = cfg->agent.max_limit;
    }
    if (cfg->agent.default_limit > cfg->agent.max_limit) {
      log::error(kComponent, "--default-limit is larger than --max-limit");
      return 2;
    }
    cfg->agent.follow_heartbeat = std::chrono::seconds(cfg->follow_heartbeat_s);
    cfg->agent.follow_max_duration = std::chrono::seconds(cfg->follow_max_duration_s);
    return run_agent(*cfg);
  };
}

}  // namespace infralogs::modes

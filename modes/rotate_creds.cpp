// infralogs rotate-creds: one rotation of the MySQL credentials through Vault, then exit
// (a CronJob). The logic is in src/rotate; this file is options and wiring.

#include <unistd.h>

#include <cstdio>
#include <string>

#include "credentials_options.h"
#include "infralogs/core/log.h"
#include "infralogs/rotate/rotator.h"
#include "infralogs/storage/mariadb_account_admin.h"
#include "mode.h"

namespace infralogs::modes {
namespace {

constexpr std::string_view kComponent = "rotate-creds";

struct RotateConfig {
  secrets::CredentialsConfig credentials;
  std::string primary_url, replica_url;
  std::string static_role;
  std::string kv_path;
  std::string agent_tokens_path;
  int overlap_seconds = 3600;
  std::vector<std::string> users;
  std::string database_mount = "database";
  int login_wait_seconds = 60;
  int min_interval_seconds = 3600;
  bool dry_run = false;
  int pause_after_step = 0;
};

int fail(const std::string& msg, int code) {
  std::fprintf(stderr, "infralogs rotate-creds: %s\n", msg.c_str());
  return code;
}

rotate::RotateOptions rotate_options(const RotateConfig& cfg) {
  rotate::RotateOptions o;
  o.database_mount = cfg.database_mount;
  o.login_wait = std::chrono::seconds(cfg.login_wait_seconds);
  o.min_interval = std::chrono::seconds(cfg.min_interval_seconds);
  o.overlap = std::chrono::seconds(cfg.overlap_seconds);
  o.dry_run = cfg.dry_run;
  if (cfg.pause_after_step > 0) {
    int n = cfg.pause_after_step;
    o.after_step = [n](int step, std::string_view what) {
      if (step != n) return;
      log::info(kComponent, "paused (test hook --pause-after-step)",
                {{"step", step}, {"after", what}});
      for (;;) pause();  // until a test kills the process
    };
  }
  return o;
}

int report(const RotateConfig& cfg, const Result<rotate::RotateReport>& r) {
  if (!r) {
    log::error(kComponent, "rotation failed", {{"error", r.status().message()}});
    return fail(r.status().message(), credentials_exit_code(r.status()));
  }
  std::printf("%s%s\n", cfg.dry_run ? "dry run: " : "", r->note.c_str());
  return 0;
}

// --agent-tokens: Vault only, no database.
int run_agent_tokens(const RotateConfig& cfg) {
  if (!cfg.kv_path.empty() || !cfg.static_role.empty() || !cfg.users.empty())
    return fail("--agent-tokens goes alone (not with --static-role, --kv-path or --users)", 2);
  if (cfg.agent_tokens_path.find("/data/") == std::string::npos)
    return fail(
        "--agent-tokens " + cfg.agent_tokens_path + ": want the KV v2 API path MOUNT/data/PATH", 2);
  if (cfg.credentials.vault_addr.empty()) return fail("rotate-creds needs --vault-addr", 2);
  auto session = open_vault_session(cfg.credentials);
  if (!session) return fail(session.status().message(), credentials_exit_code(session.status()));
  return report(cfg, rotate::rotate_agent_tokens(*(*session)->client, cfg.agent_tokens_path,
                                                 rotate_options(cfg)));
}

int run_rotate(const RotateConfig& cfg) {
  if (!cfg.agent_tokens_path.empty()) return run_agent_tokens(cfg);
  if (cfg.primary_url.empty() || cfg.replica_url.empty())
    return fail("--primary and --replica are required (but for --agent-tokens)", 2);
  const bool kv = !cfg.kv_path.empty();
  if (kv == !cfg.static_role.empty()) return fail("give one of --static-role and --kv-path", 2);
  std::string kv_mount, kv_sub;
  if (kv) {
    size_t slash = cfg.kv_path.find('/');
    if (cfg.kv_path.rfind("kv:", 0) != 0 || slash == std::string::npos || slash == 3 ||
        slash + 1 == cfg.kv_path.size())
      return fail("--kv-path " + cfg.kv_path + ": want kv:MOUNT/PATH", 2);
    kv_mount = cfg.kv_path.substr(3, slash - 3);
    kv_sub = cfg.kv_path.substr(slash + 1);
    if (cfg.users.size() != 2 || cfg.users[0].empty() || cfg.users[0] == cfg.users[1])
      return fail("--kv-path needs --users A,B (two different MySQL users)", 2);
  } else if (!cfg.users.empty()) {
    return fail("--users goes with --kv-path (a static role names its own user)", 2);
  }
  if (cfg.credentials.vault_addr.empty()) return fail("rotate-creds needs --vault-addr", 2);
  // Vault is always used here (the role or the KV secret); the rotation account, which logs in
  // on the primary for the KV swap, comes from --db-credentials-file or else --db-creds-path.
  secrets::CredentialsConfig vault_cfg = cfg.credentials;
  vault_cfg.credentials_file.clear();
  Status s = check_credentials_config(vault_cfg, false);
  if (!s.is_ok()) return fail(s.message(), 2);
  secrets::CredentialsConfig account_cfg = vault_cfg;
  if (!cfg.credentials.credentials_file.empty()) {
    account_cfg = secrets::CredentialsConfig();
    account_cfg.credentials_file = cfg.credentials.credentials_file;
  }
  if (kv && account_cfg.credentials_file.empty() && account_cfg.db_creds_path.empty())
    return fail("--kv-path needs the rotation account: --db-credentials-file or --db-creds-path",
                2);
  auto primary = storage::parse_mysql_url(cfg.primary_url);
  if (!primary) return fail("--primary: " + primary.status().message(), 2);
  auto replica = storage::parse_mysql_url(cfg.replica_url);
  if (!replica) return fail("--replica: " + replica.status().message(), 2);

  auto session = open_vault_session(cfg.credentials);
  if (!session) return fail(session.status().message(), credentials_exit_code(session.status()));
  std::unique_ptr<secrets::CredentialSource> admin_creds;
  const bool have_account =
      !account_cfg.credentials_file.empty() || !account_cfg.db_creds_path.empty();
  if (kv || have_account) {
    auto src = open_credentials(account_cfg);
    if (!src) return fail(src.status().message(), credentials_exit_code(src.status()));
    admin_creds = std::move(*src);
  }
  primary->connect_timeout = replica->connect_timeout = std::chrono::seconds(5);
  storage::MariaDbAccountAdmin admin({.primary = *primary, .replica = *replica}, admin_creds.get());

  // Each audit line also goes to credential_events (serve's Credentials panel) as the rotation
  // account; without one the log line is the only record. After a failed insert (no schema,
  // no INSERT grant) the run stops trying: one warning, not one per action.
  if (admin_creds) {
    rotate::set_audit_sink([&admin, gave_up = false](
                               std::string_view action, const std::string& path,
                               const std::string& user, const std::string& result) mutable {
      if (gave_up) return;
      Status s = admin.record_event({.mode = "rotate-creds",
                                     .action = std::string(action),
                                     .path = path,
                                     .username = user,
                                     .result = result});
      if (s.is_ok()) return;
      gave_up = true;
      log::warn(kComponent, "cannot record the events in credential_events; the audit log has them",
                {{"action", action}, {"error", s.message()}});
    });
  }
  rotate::RotateOptions o = rotate_options(cfg);
  Result<rotate::RotateReport> r =
      kv ? rotate::swap_kv_users(*(*session)->client, admin, kv_mount, kv_sub, cfg.users[0],
                                 cfg.users[1], o)
         : rotate::rotate_static_role(*(*session)->client, admin, cfg.static_role, o);
  return report(cfg, r);
}

}  // namespace

RunFn setup_rotate_creds(CLI::App& sub) {
  auto cfg = std::make_shared<RotateConfig>();
  sub.footer(
      "One rotation, then exit (run it as a CronJob). --static-role: Vault rotates the role's\n"
      "password (database/rotate-role/NAME), then the new one is checked on the primary and,\n"
      "waiting up to --login-wait for replication, on the replica. --kv-path with --users A,B:\n"
      "the user the KV v2 secret does not name gets a new password on the primary (as the\n"
      "rotation account, --db-credentials-file or --db-creds-path), is checked on both servers,\n"
      "and is published with check-and-set; the other keeps working until the next run, which\n"
      "is not due before --min-interval. Safe to rerun after a crash at any step. One JSON audit\n"
      "line per action on stderr, never a secret. Exit: 0 ok (or not due), 1 failure, 2 usage.\n"
      "--agent-tokens PATH (no database): a run rotates the agents' API tokens (current ->\n"
      "previous, a new current, check-and-set) or, once --overlap has passed, drops previous;\n"
      "never both in one run; the next rotation is due --min-interval after the last change.");
  add_log_level_option(sub);
  sub.add_option("--primary", cfg->primary_url,
                 "The primary: mysql://HOST:PORT/DATABASE (required but for --agent-tokens).")
      ->envname("INFRALOGS_DB_PRIMARY");
  sub.add_option("--replica", cfg->replica_url,
                 "The replica: mysql://HOST:PORT/DATABASE (required but for --agent-tokens).")
      ->envname("INFRALOGS_DB_REPLICA");
  sub.add_option("--static-role", cfg->static_role, "Rotate this database static role.");
  sub.add_option("--kv-path", cfg->kv_path, "A/B swap of the KV v2 secret kv:MOUNT/PATH.");
  sub.add_option("--agent-tokens", cfg->agent_tokens_path,
                 "Rotate the agents' API tokens in this KV v2 secret (MOUNT/data/PATH, as the "
                 "agent's --tokens-vault-path) instead of database credentials.");
  sub.add_option("--overlap", cfg->overlap_seconds,
                 "--agent-tokens: seconds the previous token stays valid after a rotation, "
                 "before a later run drops it (the agents' poll + Vault Agent's re-render of "
                 "the collector's token file + one collector round).")
      ->capture_default_str()
      ->check(CLI::Range(0, 100000000));
  sub.add_option("--users", cfg->users, "With --kv-path: the two MySQL users A,B.")->delimiter(',');
  sub.add_option("--database-mount", cfg->database_mount, "The database secrets engine's mount.")
      ->capture_default_str();
  sub.add_option("--login-wait", cfg->login_wait_seconds,
                 "Seconds a new password may take to log in on each server.")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  sub.add_option("--min-interval", cfg->min_interval_seconds,
                 "KV swap (and --agent-tokens): seconds since the last swap before the next is due "
                 "(the time the "
                 "consumers have to move to the new user).")
      ->capture_default_str()
      ->check(CLI::Range(0, 100000000));
  sub.add_flag("--dry-run", cfg->dry_run, "Print what would be done; change nothing.");
  // Test hook (test/vault/rotate_test.cpp): stop after step N until killed, to test reruns.
  sub.add_option("--pause-after-step", cfg->pause_after_step)->group("");
  add_credentials_options(&sub, &cfg->credentials,
                          {.role_help = "the rotation account, for --kv-path",
                           .example_creds_path = "database/static-creds/infralogs-rotate",
                           .database_required = false});
  return [cfg] { return run_rotate(*cfg); };
}

}  // namespace infralogs::modes

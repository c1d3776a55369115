#pragma once
// rotate-creds' logic (docs/modes.md "rotate-creds", docs/vault.md): rotate a Vault database
// static role and verify the new password on the primary and the replica, or swap the two
// MySQL users (A/B) whose active one a KV v2 secret names. Every action writes one audit log
// line (component "rotate", msg "audit", fields action, path, user, result), never a password
// or token. MySQL account changes go through AccountAdmin, so this component never sees
// <mysql.h>; storage_mariadb implements it (storage/mariadb_account_admin.h).
// Thread-safety: the functions are meant for one thread (one run of the mode).

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "infralogs/core/credentials.h"
#include "infralogs/core/status.h"
#include "infralogs/secrets/vault_client.h"

namespace infralogs::rotate {

enum class DbServer { kPrimary, kReplica };
const char* db_server_name(DbServer server);

// The MySQL side of a rotation.
class AccountAdmin {
 public:
  virtual ~AccountAdmin() = default;
  // Sets `user`@'%''s password on the primary (ALTER USER; replication carries it to the
  // replica). Open sessions of the user keep working. kNotFound when there is no such user.
  virtual Status set_password(const std::string& user, const std::string& password) = 0;
  // Whether `credentials` log in on `server`: ok, kPermissionDenied when refused (wrong password,
  // or the change has not replicated yet), kUnavailable when the server cannot be reached.
  virtual Status can_login(DbServer server, const Credentials& credentials) = 0;
};

struct RotateOptions {
  std::string database_mount = "database";  // the database secrets engine's mount
  // How long a new password may take to work on the primary and then the replica (replication
  // lag), polled every `poll`.
  std::chrono::milliseconds login_wait{60000};
  std::chrono::milliseconds poll{200};
  // KV swap: a swap younger than this is left alone (exit 0, "not due"), so consumers still on
  // the previous user get at least this long before its password changes. Also what makes a
  // rerun right after a successful run harmless.
  std::chrono::seconds min_interval{3600};
  // Print and audit what would be done; change nothing (Vault reads only).
  bool dry_run = false;
  // Test hook (rotate-creds --pause-after-step): called after each numbered step completed.
  std::function<void(int step, std::string_view what)> after_step;
  // The new password for a KV swap (and the new token for rotate_agent_tokens); empty:
  // generate_password().
  std::function<std::string()> password_generator;
  // rotate_agent_tokens: how long the previous token stays valid after a rotation. Long enough
  // for every reader to have the new one: the agents' poll (agent --tokens-poll-interval, 30 s),
  // Vault Agent's re-render of the collector's token file (static_secret_render_interval, 5 min)
  // and one collector round (its CronJob period). The default leaves room for all three.
  std::chrono::seconds overlap{3600};
};

// Where every audit line also goes, besides the log (rotate-creds: the credential_events
// table, for serve's Credentials panel). Gets the line's action, path, user and result, never a
// secret; called on the rotating thread, and must not throw.
using AuditSink = std::function<void(std::string_view action, const std::string& path,
                                     const std::string& user, const std::string& result)>;
// Sets the sink for the process (empty: the log only). Call it before rotating, from the thread
// that rotates; not thread-safe.
void set_audit_sink(AuditSink sink);

struct RotateReport {
  bool rotated = false;  // false: dry run or not due
  std::string user;      // the user whose password changed (or would)
  std::string path;      // the Vault path read or written
  std::string note;      // one line for the operator, never a secret
};

// A strong password: `length` characters of [A-Za-z0-9] from OpenSSL's RAND_bytes (rejection
// sampled, about 5.95 bits each; 32 gives ~190 bits). Alphanumeric so it needs no quoting in
// SQL or in a rendered file.
std::string generate_password(size_t length = 32);

// Static role: POST <mount>/rotate-role/<role> (step 1), GET <mount>/static-creds/<role>
// (step 2), then waits until the new password logs in on the primary (step 3) and the replica
// (step 4). A rerun after a crash rotates again, which converges the same way. kUnavailable
// when the password does not work within login_wait; Vault errors as VaultClient gives them.
Result<RotateReport> rotate_static_role(secrets::VaultClient& vault, AccountAdmin& admin,
                                        const std::string& role, const RotateOptions& options);

// KV v2 A/B swap of the secret at <kv_mount>/data/<kv_path>, whose data is
// {"username", "password", "rotated_at" (unix seconds), "previous_username"}:
//  1. read it: its version V and the active user (a missing secret: none active, user_a next);
//     a swap younger than min_interval ends here (not due);
//  2. set a new password on the inactive user on the primary;
//  3. wait until it logs in on the primary, 4. then on the replica;
//  5. write the secret with check-and-set V naming the inactive user.
// Never touches the active user, so a run rotates one user and the consumers on the other keep
// working. A crash before 5 leaves the secret as it was and the inactive user unused, so a rerun
// starts over; after 5 the swap is done. kAborted when another writer changed the secret
// between 1 and 5 (rerun); kInvalidArgument when the secret names a user that is neither.
Result<RotateReport> swap_kv_users(secrets::VaultClient& vault, AccountAdmin& admin,
                                   const std::string& kv_mount, const std::string& kv_path,
                                   const std::string& user_a, const std::string& user_b,
                                   const RotateOptions& options);

// The agents' API tokens in the KV v2 secret at `path` (the API path MOUNT/data/PATH, as the
// agent's --tokens-vault-path). Its data, all strings: "current" (the token collectors send),
// "previous" (still accepted by the agents during the overlap window), "rotated_at" (unix
// seconds when "current" was written) and "dropped_at" (when "previous" was last dropped).
// A run does at most one write, with check-and-set on the version it read (step 1 read,
// step 2 write):
//  - no secret: create it with a new "current";
//  - "previous" set: drop it once `overlap` has passed since rotated_at, else not due;
//  - no "previous": rotate ("current" -> "previous", a new strong token as "current") once
//    min_interval has passed since the last rotation or drop, else not due.
// So a rotation and the drop of the token it replaced never happen in one run, and a rerun
// right after any write is "not due". A crash before the write changes nothing; after it the
// run is done. kAborted when another writer changed the secret in between (rerun);
// kCorruption when the secret exists without "current" or with a malformed time.
Result<RotateReport> rotate_agent_tokens(secrets::VaultClient& vault, const std::string& path,
                                         const RotateOptions& options);

}  // namespace infralogs::rotate

#pragma once
// Core: the state and request handling of test-vault, a Vault-compatible server for the
// infralogs tests and demo. It covers the endpoints infralogs uses (docs/vault.md lists them)
// with Vault's envelopes, error bodies and status codes, keeps everything in memory, and runs
// the database engine's SQL on a real MariaDB. A background thread (start()) expires tokens
// and leases and rotates static roles.
//
// Thread-safety: handle() and handle_test() may run concurrently from the HTTP threads; state
// is guarded by one mutex, which is released while SQL runs.

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "infralogs/core/mutex.h"
#include "infralogs/core/status.h"
#include "mysql_client.h"
#include "policy.h"
#include "username_template.h"
#include "util.h"

namespace infralogs::vaultd {

struct CoreOptions {
  std::string root_token;  // required: the token with the "root" policy
  std::string unseal_key;  // sys/unseal accepts only this key; empty: every key is refused
  // How often the background thread looks for expired tokens and leases and due rotations.
  std::chrono::milliseconds tick{100};
  // The system's lease TTLs, used when neither the mount nor the role sets one (Vault: 32 days).
  int64_t default_lease_ttl = 768 * 3600;
  int64_t max_lease_ttl = 768 * 3600;
  // Reported by sys/health and sys/seal-status.
  std::string version = "1.21.0";
  // Directory for the PEM files of database TLS settings (tls_ca); empty: $TMPDIR or /tmp.
  std::string work_dir;
};

struct HttpRequest {
  std::string method;  // upper case; LIST for the LIST verb (the HTTP layer maps it)
  std::string path;    // after "/v1/" (or after "/_test/"), without the query
  std::map<std::string, std::string> query;
  std::string body;
  std::string token;  // from X-Vault-Token, else from "Authorization: Bearer"
  std::string remote_addr;
};

struct HttpReply {
  int status = 200;
  std::string body;  // empty: no body
  std::vector<std::pair<std::string, std::string>> headers;
};

class Core {
 public:
  explicit Core(CoreOptions options);
  ~Core();
  Core(const Core&) = delete;
  Core& operator=(const Core&) = delete;

  // A request under /v1/.
  HttpReply handle(const HttpRequest& req);
  // A request under /_test/ (the test-control API of docs/vault.md); needs the root token.
  HttpReply handle_test(const HttpRequest& req);

  // Starts and stops the background thread. stop() is idempotent.
  void start();
  void stop();

  // What the background thread does each tick; public so tests of the core can drive time.
  void tick();

  enum class Op { kRead, kList, kCreate, kUpdate, kDelete, kPatch };

  // A handler's outcome, in the shape of Vault's logical.Response plus its error.
  struct Resp {
    enum Kind { kNil, kData, kError, kRaw, kStatus } kind = kNil;
    int status = 0;
    nlohmann::json data;  // kData: the data object (or null); kRaw: the whole body
    std::vector<std::string> warnings;
    nlohmann::json auth;  // null or the auth block
    std::string lease_id;
    bool renewable = false;
    int64_t lease_duration = 0;
    std::string mount_type;
    std::vector<std::string> errors;
    std::vector<std::pair<std::string, std::string>> headers;

    static Resp nil() { return Resp(); }
    static Resp ok(nlohmann::json data);
    // logical.ErrorResponse: the message as written, status 400 unless given.
    static Resp error_response(const std::string& message, int status = 400);
    // A Go error that reaches the HTTP layer: wrapped as go-multierror prints one error.
    static Resp error(int status, const std::string& message);
    static Resp raw(int status, nlohmann::json body);
    static Resp status_only(int status);
  };

  // The caller of one request.
  struct Caller {
    std::string token_id;  // empty: unauthenticated
    std::string accessor;
    std::string display_name;
    std::vector<std::string> policies;
    bool root = false;
  };

  struct Call {
    Op op = Op::kRead;
    std::string path;   // after /v1/; a list path ends in "/"
    std::string mount;  // the mount's path ("secret/", "auth/approle/", "sys/")
    std::string rel;    // path relative to the mount
    nlohmann::json body = nlohmann::json::object();
    std::map<std::string, std::string> query;
    std::string remote_addr;
    Caller caller;
  };

 private:
  // ---- state -------------------------------------------------------------------------------
  struct Token {
    std::string id, accessor, parent;
    std::vector<std::string> policies;
    std::map<std::string, std::string> meta;
    std::string display_name;
    std::string path;  // creation path: "auth/token/create", "auth/kubernetes/login", ...
    TimePoint issue_time;
    std::optional<TimePoint> expire_time;  // none: never expires (root)
    std::optional<TimePoint> last_renewal;
    int64_t creation_ttl = 0;
    int64_t explicit_max_ttl = 0;
    int64_t renew_ttl = 0;      // the backend TTL a renewal starts from
    int64_t renew_max_ttl = 0;  // the backend max TTL (role token_max_ttl)
    bool renewable = true;
    bool orphan = false;
    std::string entity_id;
    std::string login_mount;  // for login tokens: the auth mount and role (checked on renewal)
    std::string login_role;
    int64_t num_uses = 0;
    std::set<std::string> leases;
    std::set<std::string> children;
  };

  struct Lease {
    std::string id, path, mount, mount_type, token;
    TimePoint issue_time, expire_time;
    std::optional<TimePoint> last_renewal;
    bool renewable = true;
    // Database credentials: what revocation needs.
    std::string db_config, role, username;
    std::vector<std::string> revocation_statements;
    int revoke_failures = 0;
    TimePoint next_revoke_attempt;
  };

  struct KvVersion {
    TimePoint created;
    std::optional<TimePoint> deleted;
    bool destroyed = false;
    nlohmann::json data;
  };
  struct KvKey {
    std::map<uint64_t, KvVersion> versions;
    uint64_t current = 0, oldest = 0;
    int64_t max_versions = 0;
    bool cas_required = false;
    int64_t delete_version_after = 0;
    nlohmann::json custom_metadata;  // null or an object of strings
    TimePoint created, updated;
  };
  struct KvState {
    std::map<std::string, KvKey> keys;
    int64_t max_versions = 0;
    bool cas_required = false;
    int64_t delete_version_after = 0;
  };

  struct DbConfig {
    std::string name, plugin_name, connection_url, username, password;
    std::vector<std::string> allowed_roles, root_rotation_statements;
    std::string username_template_text;
    std::shared_ptr<const UsernameTemplate> username_template;
    std::string password_policy;
    bool verify_connection = true;
    std::string tls_ca_file;  // written from tls_ca
    bool tls_skip_verify = false;
    nlohmann::json echo = nlohmann::json::object();  // other connection fields, read back as given
  };
  struct DbRole {
    std::string name, db_name;
    std::vector<std::string> creation, revocation, rollback, renew;
    int64_t default_ttl = 0, max_ttl = 0;
  };
  struct DbStaticRole {
    std::string name, db_name, username;
    std::vector<std::string> rotation_statements;
    int64_t rotation_period = 0;
    std::string password;
    TimePoint last_rotation, next_rotation;
    bool rotating = false;
  };
  struct DbState {
    std::map<std::string, DbConfig> configs;
    std::map<std::string, DbRole> roles;
    std::map<std::string, DbStaticRole> static_roles;
  };

  struct AppRoleRole {
    std::string name, role_id;
    std::vector<std::string> token_policies;
    int64_t token_ttl = 0, token_max_ttl = 0, token_num_uses = 0;
    int64_t secret_id_ttl = 0, secret_id_num_uses = 0;
    bool bind_secret_id = true;
    std::string token_type = "default";
  };
  struct AppRoleSecret {
    std::string role, accessor;
    std::map<std::string, std::string> metadata;
    int64_t num_uses = 0;  // 0: unlimited
    int64_t ttl = 0;
    TimePoint created;
    std::optional<TimePoint> expire_time;
  };
  struct AppRoleState {
    std::map<std::string, AppRoleRole> roles;
    std::map<std::string, std::string> role_ids;      // role_id -> role name
    std::map<std::string, AppRoleSecret> secret_ids;  // secret_id -> entry
  };

  struct K8sRole {
    std::string name;
    std::vector<std::string> sa_names, sa_namespaces, token_policies;
    std::string audience, alias_name_source = "serviceaccount_uid";
    int64_t token_ttl = 0, token_max_ttl = 0;
  };
  struct K8sState {
    bool configured = false;
    std::string host, issuer, ca_cert;
    std::vector<std::string> pem_keys;
    bool disable_iss_validation = true;
    std::map<std::string, K8sRole> roles;
  };

  struct Mount {
    std::string path, type, accessor, uuid, description;
    std::map<std::string, std::string> options;
    int64_t default_ttl = 0, max_ttl = 0;  // 0: the system's
    bool local = false, seal_wrap = false;
    std::unique_ptr<KvState> kv;
    std::unique_ptr<DbState> db;
    std::unique_ptr<AppRoleState> approle;
    std::unique_ptr<K8sState> k8s;
  };

  struct Policy {
    std::string text;
    std::vector<PathRule> rules;
  };

  enum class FaultKind { kSealed, kDeny, kRateLimit, kSlow };
  struct Fault {
    int id = 0;
    FaultKind kind = FaultKind::kSlow;
    std::string path_prefix;  // matched against the path after /v1/; empty: every path
    int64_t remaining = -1;   // -1: until cleared
    int retry_after_s = 1;
    int delay_ms = 0;
  };

  struct RequestRecord {
    std::string method, path;
    int status;
  };
  struct RevocationRecord {
    std::string lease_id, username, reason, time;
  };
  // A secret value test-vault handed out, so a test can look for it in every log it collected.
  struct IssuedSecret {
    std::string kind, value;
  };

  // ---- request flow (core.cpp) --------------------------------------------------------------
  HttpReply dispatch(const HttpRequest& http, std::string* log_method);
  HttpReply render(const Resp& r, Op op) const;
  std::optional<Resp> apply_faults(const std::string& path, bool* sleep_first, int* delay_ms);
  Resp route(Call& call);
  Resp check_token(Call& call, const std::string& token, bool unauthenticated);
  Resp authorize(const Call& call);
  bool is_unauthenticated(const std::string& path) const;
  bool exists_for_acl(const Call& call);
  Mount* find_mount(const std::string& path) REQUIRES(mu_);
  Acl acl_for(const std::vector<std::string>& policies) REQUIRES(mu_);
  Resp sealed_reply() const;

  // ---- sys (sys.cpp) ------------------------------------------------------------------------
  Resp sys(Call& call);
  Resp sys_health(const Call& call);
  nlohmann::json seal_status() REQUIRES(mu_);
  Resp sys_mounts(Call& call, bool auth_table);
  Resp sys_mount_tune(Call& call, const std::string& path);
  Resp disable_mount(const std::string& full_path);
  Resp sys_policies(Call& call, const std::string& name);
  Resp sys_ui_mounts(Call& call, const std::string& path);
  nlohmann::json mount_info(const Mount& m) const;
  Resp enable_mount(const std::string& path, const nlohmann::json& body, bool auth) REQUIRES(mu_);

  // ---- leases (leases.cpp) ------------------------------------------------------------------
  Resp sys_leases(Call& call, const std::string& rest);
  Resp renew_lease(const std::string& lease_id, int64_t increment);
  Resp lookup_lease(const std::string& lease_id);
  // Revokes a lease now (runs the DB revocation); ok for an unknown lease.
  Status revoke_lease(const std::string& lease_id, const std::string& reason);
  // Revokes a token, its child tokens and every lease they created.
  void revoke_token_tree(const std::string& token_id, const std::string& reason);
  Status run_revocation(const Lease& lease);
  std::string register_lease(Lease lease) REQUIRES(mu_);

  // ---- tokens (token_store.cpp) -------------------------------------------------------------
  Resp token_store(Call& call);
  Resp token_create(Call& call);
  Resp token_lookup(const Call& call, const std::string& token_id);
  Resp token_renew(Call& call, const std::string& token_id);
  nlohmann::json auth_block(const Token& t, int64_t lease_duration) const;
  // Issues a login token for an auth method and returns the login response.
  Resp issue_login_token(const Call& call, const std::string& role, Token t, int64_t ttl,
                         int64_t max_ttl, const std::string& mount_type) REQUIRES(mu_);
  const Token* valid_token(const std::string& id) REQUIRES(mu_);
  // Vault's CalculateTTL: the TTL and warnings, or an error ("past the max TTL, cannot renew").
  Result<int64_t> calculate_ttl(const Mount* mount, int64_t increment, int64_t backend_ttl,
                                int64_t backend_max_ttl, int64_t explicit_max_ttl,
                                std::optional<TimePoint> start,
                                std::vector<std::string>* warnings) const;
  int64_t mount_default_ttl(const Mount* m) const;
  int64_t mount_max_ttl(const Mount* m) const;

  // ---- engines ------------------------------------------------------------------------------
  Resp kv(Call& call);  // kv.cpp
  Resp kv_data(Call& call, Mount& m, const std::string& key) REQUIRES(mu_);
  Resp kv_metadata(Call& call, Mount& m, const std::string& key) REQUIRES(mu_);
  Resp kv_versions_op(Call& call, Mount& m, const std::string& verb, const std::string& key)
      REQUIRES(mu_);
  Resp kv_config(Call& call, Mount& m) REQUIRES(mu_);

  Resp database(Call& call);  // database.cpp
  Resp db_config(Call& call, const std::string& name);
  Resp db_role(Call& call, const std::string& name);
  Resp db_static_role(Call& call, const std::string& name);
  Resp db_creds(Call& call, const std::string& role);
  Resp db_static_creds(Call& call, const std::string& role);
  Resp db_rotate_root(Call& call, const std::string& name);
  Status rotate_static_role(const std::string& mount, const std::string& name);
  Result<MySqlTarget> db_target(const DbConfig& config) const;

  Resp approle(Call& call);     // auth_approle.cpp
  Resp kubernetes(Call& call);  // auth_kubernetes.cpp

  // ---- test control (test_control.cpp) ------------------------------------------------------
  Resp test_control(const std::string& path, const std::string& method, const nlohmann::json& body);

  // Keeps `value` for GET /_test/issued (at most 10,000, oldest dropped first).
  void record_issued(const char* kind, const std::string& value) REQUIRES(mu_);

  // Replaces the passwords of `config` and `extra` in a database error message.
  static std::string redact(std::string text, const std::vector<std::string>& secrets);

  CoreOptions options_;
  mutable Mutex mu_;
  CondVar tick_cv_;
  bool sealed_ GUARDED_BY(mu_) = false;
  std::map<std::string, std::unique_ptr<Mount>> mounts_ GUARDED_BY(mu_);
  std::map<std::string, Policy> policies_ GUARDED_BY(mu_);
  std::map<std::string, Token> tokens_ GUARDED_BY(mu_);
  std::map<std::string, std::string> accessors_ GUARDED_BY(mu_);  // accessor -> token id
  std::map<std::string, Lease> leases_ GUARDED_BY(mu_);
  std::map<std::string, std::string> entities_ GUARDED_BY(mu_);  // mount + alias -> entity id
  std::vector<Fault> faults_ GUARDED_BY(mu_);
  int next_fault_id_ GUARDED_BY(mu_) = 1;
  std::deque<RequestRecord> requests_ GUARDED_BY(mu_);
  std::deque<RevocationRecord> revocations_ GUARDED_BY(mu_);
  std::deque<IssuedSecret> issued_ GUARDED_BY(mu_);
  bool kill_sessions_on_revoke_ GUARDED_BY(mu_) = false;
  std::string cluster_id_, cluster_name_;
  std::jthread background_;
};

}  // namespace infralogs::vaultd

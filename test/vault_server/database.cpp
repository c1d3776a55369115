// The database secrets engine with the MySQL/MariaDB plugins
// (builtin/logical/database/*.go, plugins/database/mysql/mysql.go).

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <set>

#include "core.h"
#include "infralogs/core/log.h"

namespace infralogs::vaultd {
namespace {

constexpr const char* kComponent = "test-vault";
constexpr const char* kDefaultRotation =
    "ALTER USER '{{username}}'@'%' IDENTIFIED BY '{{password}}';";

bool is_mysql_plugin(const std::string& name) {
  return name == "mysql-database-plugin" || name == "mysql-legacy-database-plugin" ||
         name == "mysql-rds-database-plugin" || name == "mysql-aurora-database-plugin";
}

// strutil.StrListContainsGlob: '*' matches any run of characters.
bool glob_match(const std::string& pattern, const std::string& s) {
  size_t p = 0, i = 0, star = std::string::npos, mark = 0;
  while (i < s.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = i;
    } else if (p < pattern.size() && pattern[p] == s[i]) {
      ++p;
      ++i;
    } else if (star != std::string::npos) {
      p = star + 1;
      i = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool role_allowed(const std::vector<std::string>& allowed, const std::string& role) {
  for (const auto& a : allowed) {
    if (a == "*" || glob_match(a, role)) return true;
  }
  return false;
}

// Go's "2006-01-02 15:04:05-0700" in UTC.
std::string mysql_expiration(TimePoint t) {
  std::time_t secs = Clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S+0000", &tm);
  return buf;
}

std::string names_json_key(const std::string& name) { return name; }

Core::Resp list_keys(const std::set<std::string>& names) {
  return Core::Resp::ok({{"keys", std::vector<std::string>(names.begin(), names.end())}});
}

}  // namespace

Result<MySqlTarget> Core::db_target(const DbConfig& config) const {
  auto target = parse_dsn(config.connection_url, config.username, config.password);
  if (!target) return target;
  if (!config.tls_ca_file.empty()) {
    target->tls = true;
    target->tls_ca_file = config.tls_ca_file;
    target->tls_verify = !config.tls_skip_verify;
  }
  return target;
}

Core::Resp Core::database(Call& call) {
  const std::string& rel = call.rel;
  auto list_of = [&](auto member) -> Resp {
    MutexLock lock(mu_);
    Mount* m = find_mount(call.mount);
    if (!m || !m->db) return Resp::error(404, "unsupported path");
    std::set<std::string> names;
    for (const auto& [n, v] : m->db.get()->*member) names.insert(names_json_key(n));
    return list_keys(names);
  };
  if (rel == "config/" && call.op == Op::kList) return list_of(&DbState::configs);
  if (rel == "roles/" && call.op == Op::kList) return list_of(&DbState::roles);
  if (rel == "static-roles/" && call.op == Op::kList) return list_of(&DbState::static_roles);
  auto name_after = [&](const std::string& prefix) { return rel.substr(prefix.size()); };
  if (starts_with(rel, "config/")) return db_config(call, name_after("config/"));
  if (starts_with(rel, "roles/")) return db_role(call, name_after("roles/"));
  if (starts_with(rel, "static-roles/")) return db_static_role(call, name_after("static-roles/"));
  if (starts_with(rel, "creds/")) return db_creds(call, name_after("creds/"));
  if (starts_with(rel, "static-creds/")) return db_static_creds(call, name_after("static-creds/"));
  if (starts_with(rel, "rotate-root/")) return db_rotate_root(call, name_after("rotate-root/"));
  if (starts_with(rel, "rotate-role/")) {
    if (call.op != Op::kUpdate) return Resp::error(405, "unsupported operation");
    std::string name = name_after("rotate-role/");
    if (name.empty()) return Resp::error_response("empty role name attribute given");
    {
      MutexLock lock(mu_);
      Mount* m = find_mount(call.mount);
      if (!m || !m->db || !m->db->static_roles.count(name)) {
        return Resp::error_response("no static role found for role name");
      }
    }
    Status s = rotate_static_role(call.mount, name);
    if (!s.is_ok()) {
      return Resp::error(500,
                         "unable to finish rotating credentials; retries will continue in the "
                         "background but it is also safe to retry manually: " +
                             s.message());
    }
    return Resp::nil();
  }
  if (starts_with(rel, "reset/")) return Resp::nil();
  return Resp::error(404, "unsupported path");
}

Core::Resp Core::db_config(Call& call, const std::string& name) {
  if (name.empty() || name.find('/') != std::string::npos)
    return Resp::error(404, "unsupported path");
  if (call.op == Op::kRead || call.op == Op::kDelete) {
    MutexLock lock(mu_);
    Mount* m = find_mount(call.mount);
    auto& configs = m->db->configs;
    auto it = configs.find(name);
    if (call.op == Op::kDelete) {
      if (it != configs.end()) configs.erase(it);
      return Resp::nil();
    }
    if (it == configs.end()) return Resp::nil();
    const DbConfig& c = it->second;
    nlohmann::json details = c.echo;
    details["connection_url"] = c.connection_url;
    details["username"] = c.username;
    if (!c.username_template_text.empty()) details["username_template"] = c.username_template_text;
    return Resp::ok({{"allowed_roles", c.allowed_roles},
                     {"connection_details", details},
                     {"password_policy", c.password_policy},
                     {"plugin_name", c.plugin_name},
                     {"plugin_version", ""},
                     {"root_credentials_rotate_statements", c.root_rotation_statements},
                     {"verify_connection", c.verify_connection}});
  }
  if (call.op != Op::kUpdate && call.op != Op::kCreate)
    return Resp::error(405, "unsupported operation");
  Fields f(call.body);
  DbConfig c;
  {
    MutexLock lock(mu_);
    Mount* m = find_mount(call.mount);
    auto it = m->db->configs.find(name);
    if (it != m->db->configs.end()) c = it->second;
  }
  c.name = name;
  auto str_field = [&](const char* key, std::string* out) -> Status {
    auto v = f.str(key, *out);
    if (!v) return v.status();
    *out = *v;
    return Status::ok();
  };
  std::string tls_ca;
  for (const Status& s :
       {str_field("plugin_name", &c.plugin_name), str_field("connection_url", &c.connection_url),
        str_field("username", &c.username), str_field("password", &c.password),
        str_field("username_template", &c.username_template_text),
        str_field("password_policy", &c.password_policy), str_field("tls_ca", &tls_ca)}) {
    if (!s.is_ok()) return Resp::error_response(s.message());
  }
  if (f.has("allowed_roles")) {
    auto roles = f.comma_list("allowed_roles");
    if (!roles) return Resp::error_response(roles.status().message());
    c.allowed_roles = *roles;
  }
  if (f.has("root_rotation_statements")) {
    auto stmts = f.string_list("root_rotation_statements");
    if (!stmts) return Resp::error_response(stmts.status().message());
    c.root_rotation_statements = *stmts;
  }
  auto verify = f.boolean("verify_connection", true);
  auto skip_verify = f.boolean("tls_skip_verify", c.tls_skip_verify);
  if (!verify) return Resp::error_response(verify.status().message());
  if (!skip_verify) return Resp::error_response(skip_verify.status().message());
  c.verify_connection = *verify;
  c.tls_skip_verify = *skip_verify;
  for (const char* key : {"max_open_connections", "max_idle_connections", "max_connection_lifetime",
                          "tls_server_name", "disable_escaping"}) {
    if (f.has(key)) c.echo[key] = call.body[key];
  }
  if (c.plugin_name.empty()) return Resp::error_response("empty plugin name");
  if (!is_mysql_plugin(c.plugin_name)) {
    return Resp::error_response(
        "error creating database object: invalid database version: "
        "plugin not found in the catalog: " +
        c.plugin_name);
  }
  if (!c.password_policy.empty()) {
    return Resp::error_response("test-vault does not implement password policies");
  }
  if (f.has("tls_certificate_key")) {
    return Resp::error_response(
        "test-vault does not implement client certificates (tls_certificate_key)");
  }
  if (c.connection_url.empty()) {
    return Resp::error_response("error creating database object: connection_url cannot be empty");
  }
  std::string tmpl = c.username_template_text;
  if (tmpl.empty()) {
    tmpl = c.plugin_name == "mysql-database-plugin" ? kMySqlUsernameTemplate
                                                    : kMySqlLegacyUsernameTemplate;
  }
  auto compiled = UsernameTemplate::parse(tmpl);
  if (!compiled)
    return Resp::error_response("error creating database object: " + compiled.status().message());
  c.username_template = std::make_shared<UsernameTemplate>(*compiled);
  if (!tls_ca.empty()) {
    if (tls_ca.find("BEGIN CERTIFICATE") == std::string::npos) {
      return Resp::error_response("error creating database object: failed to parse tls_ca");
    }
    std::string dir = options_.work_dir;
    if (dir.empty()) {
      const char* t = std::getenv("TMPDIR");
      dir = t && *t ? t : "/tmp";
    }
    std::string path = dir + "/test-vault-" + random_base62(12) + "-ca.pem";
    {
      std::ofstream out(path, std::ios::trunc);
      out << tls_ca;
      if (!out) return Resp::error(500, "cannot write " + path);
    }
    chmod(path.c_str(), 0600);
    c.tls_ca_file = path;
  }
  auto target = db_target(c);
  if (!target)
    return Resp::error_response("error creating database object: " + target.status().message());
  if (c.verify_connection) {
    auto session = MySqlSession::open(*target);
    if (!session) {
      return Resp::error_response("error creating database object: error verifying connection: " +
                                  redact(session.status().message(), {c.password}));
    }
  }
  Resp r = Resp::nil();
  if (c.connection_url.find("{{password}}") == std::string::npos && !target->password.empty() &&
      c.password.empty()) {
    r = Resp::ok(nullptr);
    r.warnings.push_back(
        "Password found in connection_url, use a templated url to enable root rotation and "
        "prevent read access to password information.");
  }
  MutexLock lock(mu_);
  Mount* m = find_mount(call.mount);
  if (!m || !m->db) return Resp::error(500, "the database mount went away");
  m->db->configs[name] = std::move(c);
  log::info(kComponent, "database connection configured", {{"mount", call.mount}, {"name", name}});
  return r;
}

Core::Resp Core::db_role(Call& call, const std::string& name) {
  if (name.empty() || name.find('/') != std::string::npos)
    return Resp::error(404, "unsupported path");
  MutexLock lock(mu_);
  Mount* m = find_mount(call.mount);
  auto& roles = m->db->roles;
  auto it = roles.find(name);
  switch (call.op) {
    case Op::kRead: {
      if (it == roles.end()) return Resp::nil();
      const DbRole& r = it->second;
      return Resp::ok({{"db_name", r.db_name},
                       {"creation_statements", r.creation},
                       {"revocation_statements", r.revocation},
                       {"rollback_statements", r.rollback},
                       {"renew_statements", r.renew},
                       {"default_ttl", r.default_ttl},
                       {"max_ttl", r.max_ttl},
                       {"credential_type", "password"},
                       {"credential_config", nlohmann::json::object()}});
    }
    case Op::kDelete:
      if (it != roles.end()) roles.erase(it);
      return Resp::nil();
    case Op::kCreate:
    case Op::kUpdate: {
      DbRole r = it == roles.end() ? DbRole{} : it->second;
      r.name = name;
      Fields f(call.body);
      auto db_name = f.str("db_name", r.db_name);
      if (!db_name) return Resp::error_response(db_name.status().message());
      r.db_name = *db_name;
      if (r.db_name.empty()) return Resp::error_response("empty database name attribute");
      struct ListField {
        const char* key;
        std::vector<std::string>* out;
      };
      for (const ListField& lf : {ListField{"creation_statements", &r.creation},
                                  ListField{"revocation_statements", &r.revocation},
                                  ListField{"rollback_statements", &r.rollback},
                                  ListField{"renew_statements", &r.renew}}) {
        if (!f.has(lf.key)) continue;
        auto v = f.string_list(lf.key);
        if (!v) return Resp::error_response(v.status().message());
        *lf.out = *v;
      }
      auto def = f.duration("default_ttl", r.default_ttl);
      auto max = f.duration("max_ttl", r.max_ttl);
      if (!def) return Resp::error_response(def.status().message());
      if (!max) return Resp::error_response(max.status().message());
      r.default_ttl = *def;
      r.max_ttl = *max;
      roles[name] = r;
      return Resp::nil();
    }
    default:
      return Resp::error(405, "unsupported operation");
  }
}

Core::Resp Core::db_static_role(Call& call, const std::string& name) {
  if (name.empty() || name.find('/') != std::string::npos)
    return Resp::error(404, "unsupported path");
  bool rotate = false;
  {
    MutexLock lock(mu_);
    Mount* m = find_mount(call.mount);
    auto& roles = m->db->static_roles;
    auto it = roles.find(name);
    switch (call.op) {
      case Op::kRead: {
        if (it == roles.end()) return Resp::nil();
        const DbStaticRole& r = it->second;
        return Resp::ok({{"db_name", r.db_name},
                         {"username", r.username},
                         {"rotation_statements", r.rotation_statements},
                         {"rotation_period", r.rotation_period},
                         {"last_vault_rotation", rfc3339_nano(r.last_rotation)},
                         {"credential_type", "password"},
                         {"credential_config", nlohmann::json::object()}});
      }
      case Op::kDelete:
        if (it != roles.end()) roles.erase(it);
        return Resp::nil();
      case Op::kCreate:
      case Op::kUpdate: {
        bool creating = it == roles.end();
        DbStaticRole r = creating ? DbStaticRole{} : it->second;
        r.name = name;
        Fields f(call.body);
        auto db_name = f.str("db_name", r.db_name);
        auto username = f.str("username", r.username);
        auto period = f.duration("rotation_period", r.rotation_period);
        for (const Status& s : {db_name.status(), username.status(), period.status()}) {
          if (!s.is_ok()) return Resp::error_response(s.message());
        }
        if (f.has("rotation_schedule")) {
          return Resp::error_response("test-vault does not implement rotation_schedule");
        }
        if (db_name->empty()) return Resp::error_response("empty database name attribute");
        if (username->empty()) {
          return Resp::error_response("username is a required field to create a static account");
        }
        if (!creating && *username != r.username) {
          return Resp::error_response("cannot update static account username");
        }
        if (*period < 5) return Resp::error_response("rotation_period must be 5 seconds or more");
        if (!m->db->configs.count(*db_name)) {
          return Resp::error(500,
                             "failed to find entry for connection with name: \"" + *db_name + "\"");
        }
        if (f.has("rotation_statements")) {
          auto stmts = f.string_list("rotation_statements");
          if (!stmts) return Resp::error_response(stmts.status().message());
          r.rotation_statements = *stmts;
        }
        r.db_name = *db_name;
        r.username = *username;
        r.rotation_period = *period;
        if (creating) {
          // Vault rotates the password when the role is created; until then nothing is due.
          r.next_rotation = TimePoint::max();
          rotate = true;
        } else {
          r.next_rotation = r.last_rotation + std::chrono::seconds(r.rotation_period);
        }
        roles[name] = r;
        break;
      }
      default:
        return Resp::error(405, "unsupported operation");
    }
  }
  if (rotate) {
    Status s = rotate_static_role(call.mount, name);
    if (!s.is_ok()) {
      MutexLock lock(mu_);
      Mount* m = find_mount(call.mount);
      if (m && m->db) m->db->static_roles.erase(name);
      return Resp::error(500, "error setting credentials: " + s.message());
    }
  }
  return Resp::nil();
}

Status Core::rotate_static_role(const std::string& mount, const std::string& name) {
  DbConfig config;
  DbStaticRole role;
  {
    MutexLock lock(mu_);
    Mount* m = find_mount(mount);
    if (!m || !m->db) return Status::not_found("no database mount at " + mount);
    auto it = m->db->static_roles.find(name);
    if (it == m->db->static_roles.end())
      return Status::not_found("no static role found for role name");
    if (it->second.rotating) return Status::ok();
    auto c = m->db->configs.find(it->second.db_name);
    if (c == m->db->configs.end()) {
      return Status::internal("failed to find entry for connection with name: \"" +
                              it->second.db_name + "\"");
    }
    it->second.rotating = true;
    role = it->second;
    config = c->second;
  }
  std::string password = random_password();
  Status s = Status::ok();
  auto target = db_target(config);
  if (!target) {
    s = target.status();
  } else {
    auto session = MySqlSession::open(*target);
    if (!session) {
      s = session.status();
    } else {
      std::vector<std::string> stmts = role.rotation_statements;
      if (stmts.empty()) stmts.push_back(kDefaultRotation);
      std::vector<std::string> filled;
      for (auto& q : split_statements(stmts)) {
        filled.push_back(fill_placeholders(
            q, {{"name", role.username}, {"username", role.username}, {"password", password}}));
      }
      s = (*session)->run_prepared(filled);
      if (!s.is_ok()) s = Status::internal("failed to change password: " + s.message());
    }
  }
  if (!s.is_ok()) s = Status::internal(redact(s.message(), {config.password, password}));
  MutexLock lock(mu_);
  Mount* m = find_mount(mount);
  if (!m || !m->db) return s;
  auto it = m->db->static_roles.find(name);
  if (it == m->db->static_roles.end()) return s;
  DbStaticRole& r = it->second;
  r.rotating = false;
  TimePoint now = Clock::now();
  if (!s.is_ok()) {
    r.next_rotation = now + std::chrono::seconds(10);
    return s;
  }
  r.password = password;
  record_issued("static_password", password);
  r.last_rotation = now;
  r.next_rotation = now + std::chrono::seconds(r.rotation_period);
  log::info(kComponent, "static role rotated", {{"mount", mount}, {"role", name}});
  return Status::ok();
}

Core::Resp Core::db_creds(Call& call, const std::string& role_name) {
  if (call.op != Op::kRead) return Resp::error(405, "unsupported operation");
  if (role_name.empty() || role_name.find('/') != std::string::npos)
    return Resp::error(404, "unsupported path");
  DbRole role;
  DbConfig config;
  int64_t ttl = 0;
  std::vector<std::string> warnings;
  std::string username, password = random_password();
  {
    MutexLock lock(mu_);
    Mount* m = find_mount(call.mount);
    auto r = m->db->roles.find(role_name);
    if (r == m->db->roles.end()) return Resp::error_response("unknown role: " + role_name);
    role = r->second;
    auto c = m->db->configs.find(role.db_name);
    if (c == m->db->configs.end()) {
      return Resp::error(500,
                         "failed to find entry for connection with name: \"" + role.db_name + "\"");
    }
    config = c->second;
    if (!role_allowed(config.allowed_roles, role_name)) {
      return Resp::error(500, "\"" + role_name + "\" is not an allowed role");
    }
    auto t = calculate_ttl(m, 0, role.default_ttl, role.max_ttl, 0, std::nullopt, &warnings);
    if (!t) return Resp::error(500, t.status().message());
    ttl = *t;
    auto u = config.username_template->generate({call.caller.display_name, role_name});
    if (!u) return Resp::error(500, u.status().message());
    username = *u;
  }
  if (role.creation.empty()) return Resp::error(500, "empty creation statements");
  std::string expiration = mysql_expiration(Clock::now() + std::chrono::seconds(ttl + 5));
  std::vector<std::string> filled;
  for (auto& q : split_statements(role.creation)) {
    filled.push_back(fill_placeholders(q, {{"name", username},
                                           {"username", username},
                                           {"password", password},
                                           {"expiration", expiration}}));
  }
  auto target = db_target(config);
  if (!target) return Resp::error(500, target.status().message());
  auto session = MySqlSession::open(*target);
  if (!session) return Resp::error(500, redact(session.status().message(), {config.password}));
  Status s = (*session)->run_prepared(filled);
  if (!s.is_ok()) return Resp::error(500, redact(s.message(), {config.password, password}));

  MutexLock lock(mu_);
  Mount* m = find_mount(call.mount);
  if (!m) return Resp::error(500, "the database mount went away");
  Lease lease;
  lease.path = call.path;
  lease.mount = call.mount;
  lease.mount_type = "database";
  lease.token = call.caller.token_id;
  lease.issue_time = Clock::now();
  lease.expire_time = lease.issue_time + std::chrono::seconds(ttl);
  lease.db_config = role.db_name;
  lease.role = role_name;
  lease.username = username;
  lease.revocation_statements = role.revocation;
  std::string id = register_lease(std::move(lease));
  record_issued("database_password", password);
  log::info(kComponent, "database credentials issued",
            {{"lease_id", id}, {"role", role_name}, {"username", username}, {"ttl", ttl}});
  Resp r = Resp::ok({{"username", username}, {"password", password}});
  r.lease_id = id;
  r.renewable = true;
  r.lease_duration = ttl;
  r.warnings = warnings;
  r.mount_type = "database";
  return r;
}

Core::Resp Core::db_static_creds(Call& call, const std::string& role_name) {
  if (call.op != Op::kRead) return Resp::error(405, "unsupported operation");
  MutexLock lock(mu_);
  Mount* m = find_mount(call.mount);
  auto it = m->db->static_roles.find(role_name);
  if (it == m->db->static_roles.end()) return Resp::error_response("unknown role: " + role_name);
  const DbStaticRole& r = it->second;
  auto c = m->db->configs.find(r.db_name);
  if (c == m->db->configs.end() || !role_allowed(c->second.allowed_roles, role_name)) {
    return Resp::error(500, "\"" + role_name + "\" is not an allowed role");
  }
  int64_t ttl = std::max<int64_t>(
      0, std::chrono::duration_cast<std::chrono::seconds>(
             r.next_rotation - std::chrono::round<std::chrono::seconds>(Clock::now()))
             .count());
  if (r.next_rotation == TimePoint::max()) ttl = r.rotation_period;
  return Resp::ok({{"username", r.username},
                   {"password", r.password},
                   {"ttl", ttl},
                   {"rotation_period", r.rotation_period},
                   {"last_vault_rotation", rfc3339_nano(r.last_rotation)}});
}

Core::Resp Core::db_rotate_root(Call& call, const std::string& name) {
  if (call.op != Op::kUpdate) return Resp::error(405, "unsupported operation");
  if (name.empty()) return Resp::error_response("empty name attribute given");
  DbConfig config;
  {
    MutexLock lock(mu_);
    Mount* m = find_mount(call.mount);
    auto it = m->db->configs.find(name);
    if (it == m->db->configs.end()) {
      return Resp::error(500, "failed to find entry for connection with name: \"" + name + "\"");
    }
    config = it->second;
  }
  if (config.username.empty()) {
    return Resp::error(500, "unable to rotate root credentials: no username in configuration");
  }
  if (config.password.empty()) {
    return Resp::error(500, "unable to rotate root credentials: no password in configuration");
  }
  std::string password = random_password();
  auto target = db_target(config);
  if (!target) return Resp::error(500, target.status().message());
  auto session = MySqlSession::open(*target);
  if (!session) return Resp::error(500, redact(session.status().message(), {config.password}));
  std::vector<std::string> stmts = config.root_rotation_statements;
  if (stmts.empty()) stmts.push_back(kDefaultRotation);
  std::vector<std::string> filled;
  for (auto& q : split_statements(stmts)) {
    filled.push_back(fill_placeholders(
        q, {{"name", config.username}, {"username", config.username}, {"password", password}}));
  }
  Status s = (*session)->run_prepared(filled);
  if (!s.is_ok()) {
    return Resp::error(500, "failed to update user: failed to change password: " +
                                redact(s.message(), {config.password, password}));
  }
  MutexLock lock(mu_);
  Mount* m = find_mount(call.mount);
  if (m && m->db && m->db->configs.count(name)) m->db->configs[name].password = password;
  record_issued("root_password", password);
  log::info(kComponent, "root credentials rotated", {{"mount", call.mount}, {"name", name}});
  return Resp::nil();
}

}  // namespace infralogs::vaultd

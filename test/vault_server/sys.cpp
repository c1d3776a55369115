// The system backend: health, seal, mounts, auth methods, policies, UI mount discovery.

#include <algorithm>
#include <cctype>

#include "core.h"
#include "infralogs/core/log.h"

namespace infralogs::vaultd {
namespace {

constexpr const char* kComponent = "test-vault";

std::string normalize_mount_path(std::string path) {
  while (!path.empty() && path.front() == '/') path.erase(0, 1);
  if (!path.empty() && path.back() != '/') path.push_back('/');
  return path;
}

bool reserved_mount(const std::string& path) {
  for (const char* p : {"sys/", "auth/", "cubbyhole/", "identity/"}) {
    if (starts_with(path, p)) return true;
  }
  return false;
}

Core::Resp unsupported_path() { return Core::Resp::error(404, "unsupported path"); }
Core::Resp unsupported_operation() { return Core::Resp::error(405, "unsupported operation"); }

}  // namespace

nlohmann::json Core::mount_info(const Mount& m) const {
  nlohmann::json options = nlohmann::json::object();
  for (const auto& [k, v] : m.options) options[k] = v;
  return {{"accessor", m.accessor},
          {"config",
           {{"default_lease_ttl", m.default_ttl},
            {"force_no_cache", false},
            {"max_lease_ttl", m.max_ttl}}},
          {"description", m.description},
          {"external_entropy_access", false},
          {"local", m.local},
          {"options", m.options.empty() ? nlohmann::json() : options},
          {"plugin_version", ""},
          {"running_plugin_version", "v" + options_.version + "+builtin.vault"},
          {"running_sha256", ""},
          {"seal_wrap", m.seal_wrap},
          {"type", m.type},
          {"uuid", m.uuid}};
}

nlohmann::json Core::seal_status() {
  nlohmann::json s = {{"type", "shamir"},
                      {"initialized", true},
                      {"sealed", sealed_},
                      {"t", 1},
                      {"n", 1},
                      {"progress", 0},
                      {"nonce", ""},
                      {"version", options_.version},
                      {"build_date", "2025-11-20T00:00:00Z"},
                      {"migration", false},
                      {"recovery_seal", false},
                      {"storage_type", "inmem"}};
  if (!sealed_) {
    s["cluster_name"] = cluster_name_;
    s["cluster_id"] = cluster_id_;
  }
  return s;
}

Core::Resp Core::sys(Call& call) {
  const std::string& rel = call.rel;
  if (rel == "health") return sys_health(call);
  if (rel == "seal-status") {
    if (call.op != Op::kRead) return unsupported_operation();
    MutexLock lock(mu_);
    return Resp::raw(200, seal_status());
  }
  if (rel == "seal") {
    if (call.op != Op::kUpdate) return unsupported_operation();
    MutexLock lock(mu_);
    sealed_ = true;
    log::info(kComponent, "sealed through sys/seal");
    return Resp::nil();
  }
  if (rel == "unseal") {
    if (call.op != Op::kUpdate) return unsupported_operation();
    Fields f(call.body);
    auto key = f.str("key");
    auto reset = f.boolean("reset");
    if (!key || !reset)
      return Resp::error_response((!key ? key.status() : reset.status()).message());
    MutexLock lock(mu_);
    if (*reset || !sealed_) return Resp::raw(200, seal_status());
    if (key->empty()) {
      return Resp::error_response(
          "'key' must be specified in request body as JSON, or 'reset' set to true");
    }
    if (options_.unseal_key.empty() || *key != options_.unseal_key) {
      return Resp::error_response("Error unsealing: cipher: message authentication failed");
    }
    sealed_ = false;
    log::info(kComponent, "unsealed through sys/unseal");
    return Resp::raw(200, seal_status());
  }
  if (rel == "mounts" || rel == "mounts/" || rel == "auth" || rel == "auth/") {
    bool auth = starts_with(rel, "auth");
    call.rel.clear();
    return sys_mounts(call, auth);
  }
  if (starts_with(rel, "mounts/")) {
    std::string path = rel.substr(7);
    if (ends_with(path, "/tune")) return sys_mount_tune(call, path.substr(0, path.size() - 5));
    call.rel = path;
    return sys_mounts(call, false);
  }
  if (starts_with(rel, "auth/")) {
    std::string path = rel.substr(5);
    if (ends_with(path, "/tune")) {
      return sys_mount_tune(call, "auth/" + path.substr(0, path.size() - 5));
    }
    call.rel = path;
    return sys_mounts(call, true);
  }
  if (rel == "policies/acl/" || rel == "policy/" || rel == "policy") {
    if (call.op != Op::kList && call.op != Op::kRead) return unsupported_operation();
    MutexLock lock(mu_);
    nlohmann::json keys = nlohmann::json::array();
    for (const auto& [name, p] : policies_) keys.push_back(name);
    keys.push_back("root");
    nlohmann::json data = {{"keys", keys}};
    if (starts_with(rel, "policy")) data["policies"] = keys;
    return Resp::ok(data);
  }
  if (starts_with(rel, "policies/acl/")) return sys_policies(call, rel.substr(13));
  if (starts_with(rel, "policy/")) return sys_policies(call, rel.substr(7));
  if (starts_with(rel, "internal/ui/mounts")) {
    std::string path = rel.size() > 19 ? rel.substr(19) : "";
    return sys_ui_mounts(call, path);
  }
  if (starts_with(rel, "leases/")) return sys_leases(call, rel.substr(7));
  if (rel == "renew" || starts_with(rel, "renew/") || rel == "revoke" ||
      starts_with(rel, "revoke/")) {
    return sys_leases(call, rel);
  }
  if (rel == "capabilities-self") {
    if (call.op != Op::kUpdate) return unsupported_operation();
    Fields f(call.body);
    auto paths = f.comma_list("paths");
    if (!paths) return Resp::error_response(paths.status().message());
    if (paths->empty()) {
      auto one = f.str("path");
      if (one && !one->empty()) paths->push_back(*one);
    }
    MutexLock lock(mu_);
    Acl acl = acl_for(call.caller.policies);
    nlohmann::json data = nlohmann::json::object();
    nlohmann::json all = nlohmann::json::array();
    for (const auto& p : *paths) {
      uint32_t caps = acl.capabilities(p, false);
      std::vector<std::string> names = acl.is_root() ? std::vector<std::string>{"root"}
                                       : caps == 0   ? std::vector<std::string>{"deny"}
                                                     : capability_names(caps);
      data[p] = names;
      for (const auto& n : names) all.push_back(n);
    }
    data["capabilities"] = all;
    return Resp::ok(data);
  }
  return unsupported_path();
}

Core::Resp Core::sys_health(const Call& call) {
  if (call.op != Op::kRead) return Resp::raw(405, {{"errors", nlohmann::json::array()}});
  auto code = [&](const char* name, int fallback) -> Result<int> {
    auto it = call.query.find(name);
    if (it == call.query.end()) return fallback;
    try {
      size_t used = 0;
      int v = std::stoi(it->second, &used);
      if (used != it->second.size()) throw std::invalid_argument("trailing");
      return v;
    } catch (const std::exception&) {
      return Status::invalid_argument(std::string("bad code for '") + name + "' parameter");
    }
  };
  auto active = code("activecode", 200);
  auto sealed_code = code("sealedcode", 503);
  for (const char* other :
       {"standbycode", "drsecondarycode", "performancestandbycode", "uninitcode", "removedcode"}) {
    auto c = code(other, 0);
    if (!c) return Resp::error_response(c.status().message());
  }
  if (!active) return Resp::error_response(active.status().message());
  if (!sealed_code) return Resp::error_response(sealed_code.status().message());
  MutexLock lock(mu_);
  nlohmann::json h = {{"initialized", true},
                      {"sealed", sealed_},
                      {"standby", sealed_},
                      {"performance_standby", false},
                      {"replication_performance_mode", "disabled"},
                      {"replication_dr_mode", "disabled"},
                      {"server_time_utc", unix_seconds(Clock::now())},
                      {"version", options_.version}};
  if (!sealed_) {
    h["cluster_name"] = cluster_name_;
    h["cluster_id"] = cluster_id_;
  }
  return Resp::raw(sealed_ ? *sealed_code : *active, h);
}

Core::Resp Core::enable_mount(const std::string& path, const nlohmann::json& body, bool auth) {
  Fields f(body);
  auto type = f.str("type");
  if (!type) return Resp::error_response(type.status().message());
  std::string t = *type;
  std::map<std::string, std::string> options;
  if (body.contains("options") && body["options"].is_object()) {
    for (const auto& [k, v] : body["options"].items()) {
      options[k] = v.is_string() ? v.get<std::string>() : v.dump();
    }
  }
  if (t.empty()) return Resp::error_response("backend type must be specified as a string");
  if (auth) {
    if (t != "approle" && t != "kubernetes") {
      return Resp::error_response("plugin not found in the catalog: " + t);
    }
  } else if (t == "kv-v2") {
    t = "kv";
    options["version"] = "2";
  } else if (t == "kv") {
    if (options["version"] != "2") {
      return Resp::error_response(
          "test-vault serves KV version 2 only: enable it with options.version=2 (or type "
          "kv-v2)");
    }
  } else if (t != "database") {
    return Resp::error_response("plugin not found in the catalog: " + t);
  }
  std::string full = auth ? "auth/" + path : path;
  if (path.empty() || (!auth && reserved_mount(path))) {
    return Resp::error_response("cannot mount \"" + path + "\"");
  }
  for (const auto& [p, m] : mounts_) {
    if (starts_with(full, p) || starts_with(p, full)) {
      return Resp::error_response("path is already in use at " + p);
    }
  }
  auto m = std::make_unique<Mount>();
  m->path = full;
  m->type = t;
  m->options = options;
  m->accessor = t + "_" + random_uuid().substr(0, 8);
  m->uuid = random_uuid();
  auto desc = f.str("description");
  if (desc) m->description = *desc;
  if (body.contains("config") && body["config"].is_object()) {
    Fields c(body["config"]);
    auto def = c.duration("default_lease_ttl");
    auto max = c.duration("max_lease_ttl");
    if (!def) return Resp::error_response("unable to parse default TTL: " + def.status().message());
    if (!max) return Resp::error_response("unable to parse max TTL: " + max.status().message());
    if (*max != 0 && *def > *max) {
      return Resp::error_response("given default lease TTL greater than given max lease TTL");
    }
    m->default_ttl = *def;
    m->max_ttl = *max;
  }
  if (t == "kv") m->kv = std::make_unique<KvState>();
  if (t == "database") m->db = std::make_unique<DbState>();
  if (t == "approle") m->approle = std::make_unique<AppRoleState>();
  if (t == "kubernetes") m->k8s = std::make_unique<K8sState>();
  log::info(kComponent, auth ? "auth method enabled" : "secrets engine enabled",
            {{"path", full}, {"type", t}});
  mounts_[full] = std::move(m);
  return Resp::nil();
}

Core::Resp Core::sys_mounts(Call& call, bool auth_table) {
  bool table = call.rel.empty();
  if (!table && call.op == Op::kDelete) {
    std::string path = normalize_mount_path(call.rel);
    return disable_mount(auth_table ? "auth/" + path : path);
  }
  MutexLock lock(mu_);
  if (table) {
    if (call.op != Op::kRead) return unsupported_operation();
    nlohmann::json data = nlohmann::json::object();
    for (const auto& [p, m] : mounts_) {
      bool is_auth = starts_with(p, "auth/");
      if (is_auth != auth_table) continue;
      data[is_auth ? p.substr(5) : p] = mount_info(*m);
    }
    Resp r = Resp::ok(data);
    return r;
  }
  std::string path = normalize_mount_path(call.rel);
  std::string full = auth_table ? "auth/" + path : path;
  switch (call.op) {
    case Op::kCreate:
    case Op::kUpdate:
      return enable_mount(path, call.body, auth_table);
    case Op::kRead: {
      auto it = mounts_.find(full);
      if (it == mounts_.end()) return Resp::nil();
      return Resp::ok(mount_info(*it->second));
    }
    default:
      return unsupported_operation();
  }
}

Core::Resp Core::disable_mount(const std::string& full) {
  if (full == "sys/" || full == "auth/token/") {
    return Resp::error_response("cannot unmount \"" + full + "\"");
  }
  // As Vault: the mount's leases are revoked (their SQL run) before it goes away.
  std::vector<std::string> ids;
  {
    MutexLock lock(mu_);
    if (!mounts_.count(full)) return Resp::nil();
    for (const auto& [id, l] : leases_) {
      if (l.mount == full) ids.push_back(id);
    }
  }
  for (const auto& id : ids) {
    Status s = revoke_lease(id, "mount disabled");
    if (!s.is_ok()) {
      return Resp::error_response("failed to revoke leases of " + full + ": " + s.message());
    }
  }
  MutexLock lock(mu_);
  mounts_.erase(full);
  log::info(kComponent, "mount disabled", {{"path", full}, {"leases_revoked", ids.size()}});
  return Resp::nil();
}

Core::Resp Core::sys_mount_tune(Call& call, const std::string& raw_path) {
  std::string path = normalize_mount_path(raw_path);
  MutexLock lock(mu_);
  auto it = mounts_.find(path);
  if (it == mounts_.end()) {
    return Resp::error_response("cannot fetch mount entry for path \"" + path + "\"");
  }
  Mount& m = *it->second;
  if (call.op == Op::kRead) {
    return Resp::ok(
        {{"default_lease_ttl", m.default_ttl ? m.default_ttl : options_.default_lease_ttl},
         {"max_lease_ttl", m.max_ttl ? m.max_ttl : options_.max_lease_ttl},
         {"force_no_cache", false},
         {"description", m.description},
         {"options", m.options.empty() ? nlohmann::json() : nlohmann::json(m.options)}});
  }
  if (call.op != Op::kUpdate) return unsupported_operation();
  Fields f(call.body);
  auto def = f.duration("default_lease_ttl", m.default_ttl);
  auto max = f.duration("max_lease_ttl", m.max_ttl);
  if (!def) return Resp::error_response(def.status().message());
  if (!max) return Resp::error_response(max.status().message());
  int64_t eff_max = *max ? *max : options_.max_lease_ttl;
  if (*def > eff_max) {
    return Resp::error_response("backend max lease TTL of " + std::to_string(eff_max) +
                                " would be less than backend default lease TTL of " +
                                std::to_string(*def));
  }
  m.default_ttl = *def;
  m.max_ttl = *max;
  return Resp::nil();
}

Core::Resp Core::sys_policies(Call& call, const std::string& raw_name) {
  std::string name = raw_name;
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  MutexLock lock(mu_);
  switch (call.op) {
    case Op::kRead: {
      if (name == "root") return Resp::ok({{"name", "root"}, {"policy", ""}, {"rules", ""}});
      auto it = policies_.find(name);
      if (it == policies_.end()) return Resp::nil();
      return Resp::ok({{"name", name}, {"policy", it->second.text}, {"rules", it->second.text}});
    }
    case Op::kCreate:
    case Op::kUpdate: {
      if (name == "root") return Resp::error_response("cannot update \"root\" policy");
      Fields f(call.body);
      auto text = f.str("policy");
      if (text && text->empty()) text = f.str("rules");
      if (!text) return Resp::error_response(text.status().message());
      if (text->empty()) return Resp::error_response("'policy' parameter not supplied or empty");
      auto rules = parse_policy(*text);
      if (!rules)
        return Resp::error_response("failed to parse policy: " + rules.status().message());
      policies_[name] = Policy{*text, *rules};
      return Resp::nil();
    }
    case Op::kDelete:
      if (name == "root" || name == "default") {
        return Resp::error_response("cannot delete \"" + name + "\" policy");
      }
      policies_.erase(name);
      return Resp::nil();
    default:
      return unsupported_operation();
  }
}

Core::Resp Core::sys_ui_mounts(Call& call, const std::string& raw_path) {
  if (call.op != Op::kRead) return unsupported_operation();
  MutexLock lock(mu_);
  const Token* t = call.caller.token_id.empty() ? nullptr : valid_token(call.caller.token_id);
  Acl acl = t ? acl_for(t->policies) : Acl();
  if (raw_path.empty()) {
    nlohmann::json secret = nlohmann::json::object(), auth = nlohmann::json::object();
    for (const auto& [p, m] : mounts_) {
      if (!t || !acl.has_mount_access(p)) continue;
      if (starts_with(p, "auth/")) {
        auth[p.substr(5)] = mount_info(*m);
      } else {
        secret[p] = mount_info(*m);
      }
    }
    return Resp::ok({{"secret", secret}, {"auth", auth}});
  }
  std::string path = raw_path;
  if (!ends_with(path, "/")) path += "/";
  Mount* m = find_mount(path);
  Resp denied = Resp::error_response(
      "preflight capability check returned 403, please ensure client's policies grant access to "
      "path \"" +
          path + "\"",
      403);
  if (!m || !t || !acl.has_mount_access(m->path)) return denied;
  nlohmann::json data = mount_info(*m);
  data["path"] = m->path;
  return Resp::ok(data);
}

}  // namespace infralogs::vaultd

// The token store (auth/token/...), TTL arithmetic, and login token issuance.

#include <algorithm>
#include <regex>

#include "core.h"
#include "infralogs/core/log.h"

namespace infralogs::vaultd {
namespace {

constexpr const char* kComponent = "test-vault";

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

int64_t Core::mount_max_ttl(const Mount* m) const {
  return m && m->max_ttl > 0 ? m->max_ttl : options_.max_lease_ttl;
}

int64_t Core::mount_default_ttl(const Mount* m) const {
  int64_t def = m && m->default_ttl > 0 ? m->default_ttl : options_.default_lease_ttl;
  return std::min(def, mount_max_ttl(m));
}

Result<int64_t> Core::calculate_ttl(const Mount* mount, int64_t increment, int64_t backend_ttl,
                                    int64_t backend_max_ttl, int64_t explicit_max_ttl,
                                    std::optional<TimePoint> start,
                                    std::vector<std::string>* warnings) const {
  TimePoint now = truncate_to_second(Clock::now());
  TimePoint begin = start ? truncate_to_second(*start) : now;
  int64_t max_ttl = mount_max_ttl(mount);
  if (backend_max_ttl > 0 && backend_max_ttl < max_ttl) max_ttl = backend_max_ttl;
  if (explicit_max_ttl > 0 && explicit_max_ttl < max_ttl) max_ttl = explicit_max_ttl;
  if (max_ttl <= 0) return Status::internal("max TTL must be greater than zero");
  int64_t ttl = increment > 0     ? increment
                : backend_ttl > 0 ? backend_ttl
                                  : mount_default_ttl(mount);
  int64_t max_valid =
      std::chrono::duration_cast<std::chrono::seconds>(begin + std::chrono::seconds(max_ttl) - now)
          .count();
  if (max_valid <= 0) return Status::invalid_argument("past the max TTL, cannot renew");
  if (max_valid < ttl) {
    warnings->push_back("TTL of \"" + human_duration(ttl) +
                        "\" exceeded the effective max_ttl of \"" + human_duration(max_valid) +
                        "\"; TTL value is capped accordingly");
    ttl = max_valid;
  }
  return ttl;
}

const Core::Token* Core::valid_token(const std::string& id) {
  auto it = tokens_.find(id);
  if (it == tokens_.end()) return nullptr;
  if (it->second.expire_time && *it->second.expire_time <= Clock::now()) return nullptr;
  return &it->second;
}

nlohmann::json Core::auth_block(const Token& t, int64_t lease_duration) const {
  nlohmann::json meta = nlohmann::json();
  if (!t.meta.empty()) meta = t.meta;
  nlohmann::ordered_json a;
  a["client_token"] = t.id;
  a["accessor"] = t.accessor;
  a["policies"] = t.policies;
  if (!t.policies.empty()) a["token_policies"] = t.policies;
  a["metadata"] = meta;
  a["lease_duration"] = lease_duration;
  a["renewable"] = t.renewable;
  a["entity_id"] = t.entity_id;
  a["token_type"] = "service";
  a["orphan"] = t.orphan;
  a["mfa_requirement"] = nullptr;
  a["num_uses"] = t.num_uses;
  return nlohmann::json(a);
}

Core::Resp Core::issue_login_token(const Call& call, const std::string& role, Token t, int64_t ttl,
                                   int64_t max_ttl, const std::string& mount_type) {
  Mount* m = find_mount(call.mount);
  TimePoint now = Clock::now();
  std::vector<std::string> warnings;
  auto effective = calculate_ttl(m, 0, ttl, max_ttl, 0, std::nullopt, &warnings);
  if (!effective) return Resp::error(500, effective.status().message());
  t.id = "hvs." + random_base62(24);
  t.accessor = random_base62(24);
  t.issue_time = now;
  t.expire_time = now + std::chrono::seconds(*effective);
  t.creation_ttl = *effective;
  t.renew_ttl = ttl;
  t.renew_max_ttl = max_ttl;
  t.renewable = true;
  t.orphan = true;
  t.path = call.path;
  t.login_mount = call.mount;
  t.login_role = role;
  // The mount path, without "auth/", prefixes the method's display name (request_handling.go).
  std::string source = replace_all(call.mount.substr(5), "/", "-");
  std::string display = source + t.display_name;
  if (ends_with(display, "-")) display.pop_back();
  t.display_name = display;
  accessors_[t.accessor] = t.id;
  Resp r = Resp::ok(nullptr);
  r.auth = auth_block(t, *effective);
  r.warnings = warnings;
  r.mount_type = mount_type;
  log::info(kComponent, "login",
            {{"mount", call.mount}, {"role", role}, {"accessor", t.accessor}, {"ttl", *effective}});
  record_issued("token", t.id);
  tokens_[t.id] = std::move(t);
  return r;
}

Core::Resp Core::token_store(Call& call) {
  const std::string& rel = call.rel;
  Fields f(call.body);
  if (rel == "create" || rel == "create-orphan") {
    if (call.op != Op::kUpdate && call.op != Op::kCreate)
      return Resp::error(405, "unsupported operation");
    return token_create(call);
  }
  if (rel == "lookup-self") {
    if (call.op != Op::kRead && call.op != Op::kUpdate)
      return Resp::error(405, "unsupported operation");
    return token_lookup(call, call.caller.token_id);
  }
  if (rel == "lookup" || rel == "lookup-accessor") {
    if (call.op != Op::kUpdate) return Resp::error(405, "unsupported operation");
    std::string id;
    if (rel == "lookup") {
      auto tok = f.str("token");
      if (!tok) return Resp::error_response(tok.status().message());
      id = tok->empty() ? call.caller.token_id : *tok;
    } else {
      auto acc = f.str("accessor");
      if (!acc) return Resp::error_response(acc.status().message());
      MutexLock lock(mu_);
      auto it = accessors_.find(*acc);
      if (it == accessors_.end()) return Resp::error_response("invalid accessor");
      id = it->second;
    }
    Resp r = token_lookup(call, id);
    if (rel == "lookup-accessor" && r.kind == Resp::kData) r.data["id"] = "";
    return r;
  }
  if (rel == "renew-self" || rel == "renew") {
    if (call.op != Op::kUpdate) return Resp::error(405, "unsupported operation");
    std::string id = call.caller.token_id;
    if (rel == "renew") {
      auto tok = f.str("token");
      if (!tok) return Resp::error_response(tok.status().message());
      if (tok->empty()) return Resp::error_response("missing token");
      id = *tok;
    }
    return token_renew(call, id);
  }
  if (rel == "revoke-self" || rel == "revoke" || rel == "revoke-accessor") {
    if (call.op != Op::kUpdate) return Resp::error(405, "unsupported operation");
    std::string id = call.caller.token_id;
    if (rel == "revoke") {
      auto tok = f.str("token");
      if (!tok) return Resp::error_response(tok.status().message());
      if (tok->empty()) return Resp::error_response("missing token");
      id = *tok;
    } else if (rel == "revoke-accessor") {
      auto acc = f.str("accessor");
      if (!acc) return Resp::error_response(acc.status().message());
      MutexLock lock(mu_);
      auto it = accessors_.find(*acc);
      if (it == accessors_.end()) return Resp::error_response("invalid accessor");
      id = it->second;
    }
    revoke_token_tree(id, rel == "revoke-self" ? "revoke-self" : "revoked");
    return Resp::nil();
  }
  return Resp::error(404, "unsupported path");
}

Core::Resp Core::token_create(Call& call) {
  Fields f(call.body);
  auto policies = f.comma_list("policies");
  auto meta = f.string_map("meta");
  auto no_parent = f.boolean("no_parent");
  auto no_default = f.boolean("no_default_policy");
  auto renewable = f.boolean("renewable", true);
  auto ttl = f.duration("ttl");
  auto explicit_max = f.duration("explicit_max_ttl");
  auto display = f.str("display_name");
  auto num_uses = f.integer("num_uses");
  auto custom_id = f.str("id");
  auto period = f.duration("period");
  for (const Status& s : {policies.status(), meta.status(), no_parent.status(), no_default.status(),
                          renewable.status(), ttl.status(), explicit_max.status(), display.status(),
                          num_uses.status(), custom_id.status(), period.status()}) {
    if (!s.is_ok()) return Resp::error_response(s.message());
  }
  if (*period > 0) return Resp::error_response("test-vault does not implement periodic tokens");
  if (*num_uses < 0) return Resp::error_response("number of uses cannot be negative");

  MutexLock lock(mu_);
  const Token* parent = valid_token(call.caller.token_id);
  if (!parent) return Resp::error_response("parent token lookup failed: no parent found", 400);
  bool parent_root = contains(parent->policies, "root");
  bool orphan = call.rel == "create-orphan" || *no_parent;
  if (*no_parent && !parent_root) {
    return Resp::error_response("root or sudo privileges required to create orphan token");
  }
  if (!custom_id->empty() && !parent_root) {
    return Resp::error_response("root or sudo privileges required to specify token id");
  }
  std::vector<std::string> wanted = policies->empty() ? parent->policies : *policies;
  std::vector<std::string> sanitized = sanitize_policies(wanted, !*no_default);
  if (!parent_root) {
    for (const auto& p : sanitized) {
      if (p != "default" && !contains(parent->policies, p)) {
        return Resp::error_response("child policies must be subset of parent");
      }
    }
  }
  Token t;
  t.id = custom_id->empty() ? "hvs." + random_base62(24) : *custom_id;
  if (tokens_.count(t.id)) return Resp::error_response("cannot create a token with a duplicate ID");
  t.accessor = random_base62(24);
  t.parent = orphan ? "" : parent->id;
  t.orphan = orphan;
  t.policies = sanitized;
  t.meta = *meta;
  std::string dn = display->empty() ? "" : "token-" + *display;
  if (!dn.empty()) dn = std::regex_replace(dn, std::regex("[^a-zA-Z0-9-]"), "-");
  t.display_name = dn.empty() ? "token" : dn;
  t.path = "auth/token/" + call.rel;
  t.issue_time = Clock::now();
  t.renewable = *renewable;
  t.explicit_max_ttl = *explicit_max;
  t.num_uses = *num_uses;
  std::vector<std::string> warnings;
  int64_t lease = 0;
  bool is_root_policy = contains(t.policies, "root");
  if (*ttl > 0 || *explicit_max > 0 || !is_root_policy) {
    Mount* m = find_mount("auth/token/");
    auto eff = calculate_ttl(m, 0, *ttl, 0, *explicit_max, std::nullopt, &warnings);
    if (!eff) return Resp::error_response(eff.status().message());
    lease = *eff;
    t.expire_time = t.issue_time + std::chrono::seconds(lease);
  }
  t.creation_ttl = lease;
  t.renew_ttl = lease;
  if (!orphan) tokens_[parent->id].children.insert(t.id);
  Resp r = Resp::ok(nullptr);
  r.auth = auth_block(t, lease);
  r.warnings = warnings;
  accessors_[t.accessor] = t.id;
  log::info(kComponent, "token created",
            {{"accessor", t.accessor}, {"policies", t.policies}, {"ttl", lease}});
  record_issued("token", t.id);
  tokens_[t.id] = std::move(t);
  return r;
}

Core::Resp Core::token_lookup(const Call& call, const std::string& token_id) {
  MutexLock lock(mu_);
  const Token* t = valid_token(token_id);
  if (!t) return Resp::error_response("bad token", 403);
  TimePoint now = Clock::now();
  int64_t ttl = 0;
  if (t->expire_time) {
    ttl = std::max<int64_t>(
        0, std::chrono::duration_cast<std::chrono::seconds>(*t->expire_time - now).count());
  }
  nlohmann::json meta = t->meta.empty() ? nlohmann::json() : nlohmann::json(t->meta);
  nlohmann::json data = {
      {"accessor", t->accessor},
      {"creation_time", unix_seconds(t->issue_time)},
      {"creation_ttl", t->creation_ttl},
      {"display_name", t->display_name},
      {"entity_id", t->entity_id},
      {"expire_time",
       t->expire_time ? nlohmann::json(rfc3339_nano(*t->expire_time)) : nlohmann::json()},
      {"explicit_max_ttl", t->explicit_max_ttl},
      {"id", t->id},
      {"issue_time", rfc3339_nano(t->issue_time)},
      {"meta", meta},
      {"num_uses", t->num_uses},
      {"orphan", t->orphan},
      {"path", t->path},
      {"policies", t->policies},
      {"renewable", t->renewable},
      {"ttl", ttl},
      {"type", "service"}};
  if (t->last_renewal) {
    data["last_renewal"] = rfc3339_nano(*t->last_renewal);
    data["last_renewal_time"] = unix_seconds(*t->last_renewal);
  }
  return Resp::ok(data);
}

Core::Resp Core::token_renew(Call& call, const std::string& token_id) {
  auto inc = Fields(call.body).duration("increment");
  if (!inc) return Resp::error_response(inc.status().message());
  MutexLock lock(mu_);
  auto it = tokens_.find(token_id);
  if (it == tokens_.end() || !valid_token(token_id)) {
    return Resp::error_response(token_id == call.caller.token_id ? "lease not found"
                                                                 : "invalid lease ID");
  }
  Token& t = it->second;
  if (!t.expire_time || !t.renewable) return Resp::error_response("lease is not renewable");
  int64_t backend_ttl = t.renew_ttl, backend_max = t.renew_max_ttl;
  Mount* m = find_mount(t.login_mount.empty() ? "auth/token/" : t.login_mount);
  if (!t.login_mount.empty()) {
    // The auth method checks that the login's role still exists and takes its current TTLs.
    if (!m) return Resp::error(500, "auth method " + t.login_mount + " is gone");
    if (m->approle) {
      auto role = m->approle->roles.find(t.login_role);
      if (role == m->approle->roles.end()) {
        return Resp::error(500, "role \"" + t.login_role + "\" does not exist during renewal");
      }
      backend_ttl = role->second.token_ttl;
      backend_max = role->second.token_max_ttl;
    } else if (m->k8s) {
      auto role = m->k8s->roles.find(t.login_role);
      if (role == m->k8s->roles.end()) {
        return Resp::error(500, "role " + t.login_role + " does not exist during renewal");
      }
      backend_ttl = role->second.token_ttl;
      backend_max = role->second.token_max_ttl;
    }
  }
  std::vector<std::string> warnings;
  auto ttl =
      calculate_ttl(m, *inc, backend_ttl, backend_max, t.explicit_max_ttl, t.issue_time, &warnings);
  if (!ttl) return Resp::error(500, ttl.status().message());
  TimePoint now = Clock::now();
  t.expire_time = now + std::chrono::seconds(*ttl);
  t.last_renewal = now;
  Resp r = Resp::ok(nullptr);
  r.auth = auth_block(t, *ttl);
  r.warnings = warnings;
  r.mount_type = "token";
  return r;
}

}  // namespace infralogs::vaultd

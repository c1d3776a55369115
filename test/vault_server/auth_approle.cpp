// The AppRole auth method (builtin/credential/approle).

#include <set>

#include "core.h"

namespace infralogs::vaultd {
namespace {

Core::Resp unsupported_operation() { return Core::Resp::error(405, "unsupported operation"); }

}  // namespace

Core::Resp Core::approle(Call& call) {
  const std::string& rel = call.rel;
  Fields f(call.body);
  MutexLock lock(mu_);
  Mount* m = find_mount(call.mount);
  if (!m || !m->approle) return Resp::error(404, "unsupported path");
  AppRoleState& st = *m->approle;

  if (rel == "login") {
    if (call.op != Op::kUpdate) return unsupported_operation();
    auto role_id = f.str("role_id");
    auto secret_id = f.str("secret_id");
    if (!role_id) return Resp::error_response(role_id.status().message());
    if (!secret_id) return Resp::error_response(secret_id.status().message());
    std::string rid = trim(*role_id), sid = trim(*secret_id);
    if (rid.empty()) return Resp::error_response("missing role_id");
    auto name = st.role_ids.find(rid);
    if (name == st.role_ids.end()) return Resp::error_response("invalid role or secret ID");
    auto role = st.roles.find(name->second);
    if (role == st.roles.end()) return Resp::error_response("invalid role or secret ID");
    const AppRoleRole& r = role->second;
    std::map<std::string, std::string> metadata;
    if (r.bind_secret_id) {
      if (sid.empty()) return Resp::error_response("missing secret_id");
      auto s = st.secret_ids.find(sid);
      if (s == st.secret_ids.end() || s->second.role != r.name) {
        return Resp::error_response("invalid role or secret ID");
      }
      if (s->second.expire_time && *s->second.expire_time <= Clock::now()) {
        st.secret_ids.erase(s);
        return Resp::error_response("invalid role or secret ID");
      }
      metadata = s->second.metadata;
      if (s->second.num_uses == 1) {
        st.secret_ids.erase(s);
      } else if (s->second.num_uses > 1) {
        --s->second.num_uses;
      }
    }
    metadata["role_name"] = r.name;
    Token t;
    t.policies = sanitize_policies(r.token_policies, true);
    t.meta = metadata;
    t.num_uses = r.token_num_uses;
    std::string alias = call.mount + r.role_id;
    auto& entity = entities_[alias];
    if (entity.empty()) entity = random_uuid();
    t.entity_id = entity;
    return issue_login_token(call, r.name, t, r.token_ttl, r.token_max_ttl, "approle");
  }

  if (rel == "role/" || rel == "role") {
    if (call.op != Op::kList) return unsupported_operation();
    std::set<std::string> keys;
    for (const auto& [n, r] : st.roles) keys.insert(n);
    return Resp::ok({{"keys", std::vector<std::string>(keys.begin(), keys.end())}});
  }
  if (!starts_with(rel, "role/")) return Resp::error(404, "unsupported path");
  std::vector<std::string> parts = split(rel.substr(5), '/');
  std::string name = parts[0];
  if (name.empty()) return Resp::error(404, "unsupported path");
  auto it = st.roles.find(name);

  if (parts.size() == 1) {
    switch (call.op) {
      case Op::kRead: {
        if (it == st.roles.end()) return Resp::nil();
        const AppRoleRole& r = it->second;
        return Resp::ok({{"bind_secret_id", r.bind_secret_id},
                         {"local_secret_ids", false},
                         {"secret_id_bound_cidrs", nullptr},
                         {"secret_id_num_uses", r.secret_id_num_uses},
                         {"secret_id_ttl", r.secret_id_ttl},
                         {"token_bound_cidrs", nlohmann::json::array()},
                         {"token_explicit_max_ttl", 0},
                         {"token_max_ttl", r.token_max_ttl},
                         {"token_no_default_policy", false},
                         {"token_num_uses", r.token_num_uses},
                         {"token_period", 0},
                         {"token_policies", r.token_policies},
                         {"policies", r.token_policies},
                         {"token_ttl", r.token_ttl},
                         {"token_type", r.token_type}});
      }
      case Op::kDelete:
        if (it != st.roles.end()) {
          st.role_ids.erase(it->second.role_id);
          for (auto s = st.secret_ids.begin(); s != st.secret_ids.end();) {
            s = s->second.role == name ? st.secret_ids.erase(s) : std::next(s);
          }
          st.roles.erase(it);
        }
        return Resp::nil();
      case Op::kCreate:
      case Op::kUpdate: {
        AppRoleRole r = it == st.roles.end() ? AppRoleRole{} : it->second;
        r.name = name;
        if (r.role_id.empty()) r.role_id = random_uuid();
        std::string key = f.has("token_policies") ? "token_policies" : "policies";
        if (f.has(key)) {
          auto p = f.comma_list(key);
          if (!p) return Resp::error_response(p.status().message());
          r.token_policies = *p;
        }
        auto ttl = f.duration("token_ttl", r.token_ttl);
        auto max = f.duration("token_max_ttl", r.token_max_ttl);
        auto uses = f.integer("token_num_uses", r.token_num_uses);
        auto sttl = f.duration("secret_id_ttl", r.secret_id_ttl);
        auto suses = f.integer("secret_id_num_uses", r.secret_id_num_uses);
        auto bind = f.boolean("bind_secret_id", r.bind_secret_id);
        auto type = f.str("token_type", r.token_type);
        auto period = f.duration("token_period");
        for (const Status& s : {ttl.status(), max.status(), uses.status(), sttl.status(),
                                suses.status(), bind.status(), type.status(), period.status()}) {
          if (!s.is_ok()) return Resp::error_response(s.message());
        }
        if (*period > 0)
          return Resp::error_response("test-vault does not implement periodic tokens");
        if (*type == "batch")
          return Resp::error_response("test-vault does not implement batch tokens");
        if (*max > 0 && *ttl > *max) {
          return Resp::error_response(
              "\"token_ttl\" value must be less than or equal to "
              "\"token_max_ttl\" value");
        }
        if (!*bind) return Resp::error_response("test-vault requires bind_secret_id");
        r.token_ttl = *ttl;
        r.token_max_ttl = *max;
        r.token_num_uses = *uses;
        r.secret_id_ttl = *sttl;
        r.secret_id_num_uses = *suses;
        r.bind_secret_id = *bind;
        r.token_type = *type;
        st.role_ids[r.role_id] = name;
        st.roles[name] = r;
        return Resp::nil();
      }
      default:
        return unsupported_operation();
    }
  }

  const std::string& sub = parts[1];
  if (sub == "role-id") {
    if (it == st.roles.end()) {
      return call.op == Op::kRead ? Resp::nil()
                                  : Resp::error_response("role " + name + " does not exist");
    }
    if (call.op == Op::kRead) return Resp::ok({{"role_id", it->second.role_id}});
    if (call.op != Op::kUpdate && call.op != Op::kCreate) return unsupported_operation();
    auto rid = f.str("role_id");
    if (!rid) return Resp::error_response(rid.status().message());
    if (rid->empty()) return Resp::error_response("missing role_id");
    if (st.role_ids.count(*rid) && st.role_ids[*rid] != name) {
      return Resp::error_response("role_id already in use");
    }
    st.role_ids.erase(it->second.role_id);
    it->second.role_id = *rid;
    st.role_ids[*rid] = name;
    return Resp::nil();
  }
  if (sub == "secret-id" || sub == "custom-secret-id") {
    if (it == st.roles.end()) return Resp::error_response("role \"" + name + "\" does not exist");
    if (call.op == Op::kList) {
      std::set<std::string> keys;
      for (const auto& [id, s] : st.secret_ids) {
        if (s.role == name) keys.insert(s.accessor);
      }
      return Resp::ok({{"keys", std::vector<std::string>(keys.begin(), keys.end())}});
    }
    if (call.op != Op::kUpdate && call.op != Op::kCreate) return unsupported_operation();
    auto meta = f.string_map("metadata");
    auto ttl = f.duration("ttl", it->second.secret_id_ttl);
    auto uses = f.integer("num_uses", it->second.secret_id_num_uses);
    auto custom = f.str("secret_id");
    for (const Status& s : {meta.status(), ttl.status(), uses.status(), custom.status()}) {
      if (!s.is_ok()) return Resp::error_response(s.message());
    }
    std::string sid = sub == "custom-secret-id" ? *custom : random_uuid();
    if (sid.empty()) return Resp::error_response("missing secret_id");
    if (st.secret_ids.count(sid)) return Resp::error_response("secret_id is already registered");
    AppRoleSecret s;
    s.role = name;
    s.accessor = random_uuid();
    s.metadata = *meta;
    s.num_uses = *uses;
    s.ttl = *ttl;
    s.created = Clock::now();
    if (*ttl > 0) s.expire_time = s.created + std::chrono::seconds(*ttl);
    nlohmann::json data = {{"secret_id", sid},
                           {"secret_id_accessor", s.accessor},
                           {"secret_id_ttl", s.ttl},
                           {"secret_id_num_uses", s.num_uses}};
    st.secret_ids[sid] = std::move(s);
    record_issued("secret_id", sid);
    return Resp::ok(data);
  }
  return Resp::error(404, "unsupported path");
}

}  // namespace infralogs::vaultd

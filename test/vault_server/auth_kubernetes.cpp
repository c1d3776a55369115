// The Kubernetes auth method (vault-plugin-auth-kubernetes path_config.go, path_role.go,
// path_login.go), verifying service-account JWTs locally with the configured pem_keys.

#include <set>

#include "core.h"
#include "jwt.h"

namespace infralogs::vaultd {
namespace {

Core::Resp unsupported_operation() { return Core::Resp::error(405, "unsupported operation"); }

bool glob(const std::string& pattern, const std::string& s) {
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

bool list_contains_glob(const std::vector<std::string>& list, const std::string& s) {
  for (const auto& p : list) {
    if (glob(p, s)) return true;
  }
  return false;
}

std::string claim(const nlohmann::json& c, const char* legacy, const char* projected_a,
                  const char* projected_b) {
  if (c.contains("kubernetes.io") && c["kubernetes.io"].is_object()) {
    const nlohmann::json& k = c["kubernetes.io"];
    if (projected_b == nullptr) {
      if (k.contains(projected_a) && k[projected_a].is_string()) return k[projected_a];
    } else if (k.contains(projected_a) && k[projected_a].is_object() &&
               k[projected_a].contains(projected_b) && k[projected_a][projected_b].is_string()) {
      return k[projected_a][projected_b];
    }
  }
  if (c.contains(legacy) && c[legacy].is_string()) return c[legacy];
  return "";
}

}  // namespace

Core::Resp Core::kubernetes(Call& call) {
  const std::string& rel = call.rel;
  Fields f(call.body);
  MutexLock lock(mu_);
  Mount* m = find_mount(call.mount);
  if (!m || !m->k8s) return Resp::error(404, "unsupported path");
  K8sState& st = *m->k8s;

  if (rel == "config") {
    if (call.op == Op::kRead) {
      if (!st.configured) return Resp::nil();
      return Resp::ok({{"kubernetes_host", st.host},
                       {"kubernetes_ca_cert", st.ca_cert},
                       {"pem_keys", st.pem_keys},
                       {"issuer", st.issuer},
                       {"disable_iss_validation", st.disable_iss_validation},
                       {"disable_local_ca_jwt", false},
                       {"use_annotations_as_alias_metadata", false}});
    }
    if (call.op != Op::kUpdate && call.op != Op::kCreate) return unsupported_operation();
    auto host = f.str("kubernetes_host");
    auto keys = f.comma_list("pem_keys");
    auto issuer = f.str("issuer");
    auto disable_iss = f.boolean("disable_iss_validation", true);
    auto ca = f.str("kubernetes_ca_cert");
    for (const Status& s :
         {host.status(), keys.status(), issuer.status(), disable_iss.status(), ca.status()}) {
      if (!s.is_ok()) return Resp::error_response(s.message());
    }
    if (host->empty()) return Resp::error_response("no host provided");
    for (const auto& pem : *keys) {
      Status s = check_public_key_pem(pem);
      if (!s.is_ok()) return Resp::error_response(s.message());
    }
    st.configured = true;
    st.host = *host;
    st.pem_keys = *keys;
    st.issuer = *issuer;
    st.disable_iss_validation = *disable_iss;
    st.ca_cert = *ca;
    return Resp::nil();
  }

  if (rel == "role/" || rel == "role") {
    if (call.op != Op::kList) return unsupported_operation();
    std::set<std::string> keys;
    for (const auto& [n, r] : st.roles) keys.insert(n);
    return Resp::ok({{"keys", std::vector<std::string>(keys.begin(), keys.end())}});
  }

  if (starts_with(rel, "role/")) {
    std::string name = rel.substr(5);
    if (name.empty() || name.find('/') != std::string::npos)
      return Resp::error(404, "unsupported path");
    auto it = st.roles.find(name);
    switch (call.op) {
      case Op::kRead: {
        if (it == st.roles.end()) return Resp::nil();
        const K8sRole& r = it->second;
        return Resp::ok({{"bound_service_account_names", r.sa_names},
                         {"bound_service_account_namespaces", r.sa_namespaces},
                         {"bound_service_account_namespace_selector", ""},
                         {"audience", r.audience},
                         {"alias_name_source", r.alias_name_source},
                         {"token_policies", r.token_policies},
                         {"policies", r.token_policies},
                         {"token_ttl", r.token_ttl},
                         {"ttl", r.token_ttl},
                         {"token_max_ttl", r.token_max_ttl},
                         {"max_ttl", r.token_max_ttl},
                         {"token_bound_cidrs", nlohmann::json::array()},
                         {"token_explicit_max_ttl", 0},
                         {"token_no_default_policy", false},
                         {"token_num_uses", 0},
                         {"token_period", 0},
                         {"token_type", "default"}});
      }
      case Op::kDelete:
        if (it != st.roles.end()) st.roles.erase(it);
        return Resp::nil();
      case Op::kCreate:
      case Op::kUpdate: {
        K8sRole r = it == st.roles.end() ? K8sRole{} : it->second;
        r.name = name;
        auto list_field = [&](std::initializer_list<const char*> keys,
                              std::vector<std::string>* out) -> Status {
          for (const char* k : keys) {
            if (!f.has(k)) continue;
            auto v = f.comma_list(k);
            if (!v) return v.status();
            *out = *v;
            return Status::ok();
          }
          return Status::ok();
        };
        for (const Status& s : {list_field({"bound_service_account_names"}, &r.sa_names),
                                list_field({"bound_service_account_namespaces"}, &r.sa_namespaces),
                                list_field({"token_policies", "policies"}, &r.token_policies)}) {
          if (!s.is_ok()) return Resp::error_response(s.message());
        }
        auto ttl = f.duration(f.has("token_ttl") ? "token_ttl" : "ttl", r.token_ttl);
        auto max =
            f.duration(f.has("token_max_ttl") ? "token_max_ttl" : "max_ttl", r.token_max_ttl);
        auto aud = f.str("audience", r.audience);
        auto source = f.str("alias_name_source", r.alias_name_source);
        for (const Status& s : {ttl.status(), max.status(), aud.status(), source.status()}) {
          if (!s.is_ok()) return Resp::error_response(s.message());
        }
        if (f.has("bound_service_account_namespace_selector")) {
          return Resp::error_response("test-vault does not implement namespace selectors");
        }
        if (r.sa_names.empty()) {
          return Resp::error_response("\"bound_service_account_names\" can not be empty");
        }
        if (r.sa_names.size() > 1 &&
            std::find(r.sa_names.begin(), r.sa_names.end(), "*") != r.sa_names.end()) {
          return Resp::error_response("can not mix \"*\" with values");
        }
        if (r.sa_namespaces.empty()) {
          return Resp::error_response(
              "\"bound_service_account_namespaces\" can not be empty if "
              "\"bound_service_account_namespace_selector\" is not set");
        }
        if (r.sa_namespaces.size() > 1 && std::find(r.sa_namespaces.begin(), r.sa_namespaces.end(),
                                                    "*") != r.sa_namespaces.end()) {
          return Resp::error_response("can not mix \"*\" with values");
        }
        if (*source != "serviceaccount_uid" && *source != "serviceaccount_name") {
          return Resp::error_response("invalid alias_name_source \"" + *source + "\"");
        }
        r.token_ttl = *ttl;
        r.token_max_ttl = *max;
        r.audience = *aud;
        r.alias_name_source = *source;
        st.roles[name] = r;
        return Resp::nil();
      }
      default:
        return unsupported_operation();
    }
  }

  if (rel == "login") {
    if (call.op != Op::kUpdate) return unsupported_operation();
    auto role_name = f.str("role");
    auto jwt = f.str("jwt");
    if (!role_name) return Resp::error_response(role_name.status().message());
    if (!jwt) return Resp::error_response(jwt.status().message());
    if (role_name->empty()) return Resp::error_response("missing role");
    if (jwt->empty()) return Resp::error_response("missing jwt");
    auto role = st.roles.find(*role_name);
    if (role == st.roles.end()) {
      return Resp::error_response("invalid role name \"" + *role_name + "\"");
    }
    const K8sRole& r = role->second;
    if (!st.configured) return Resp::error(500, "could not load backend configuration");
    if (st.pem_keys.empty()) {
      return Resp::error(500,
                         "test-vault verifies service-account JWTs with pem_keys only; it has no "
                         "Kubernetes TokenReview API to ask");
    }
    JwtResult v = verify_jwt(*jwt, st.pem_keys, Clock::now(), std::chrono::seconds(150));
    if (v.error == JwtError::kBadSignature) return Resp::error(403, "permission denied");
    if (v.error != JwtError::kNone) return Resp::error(403, v.message);
    const nlohmann::json& c = v.claims;
    if (!st.disable_iss_validation && !st.issuer.empty() && c.value("iss", "") != st.issuer) {
      return Resp::error(403, "invalid issuer (iss) claim");
    }
    if (!r.audience.empty()) {
      bool ok = false;
      if (c.contains("aud") && c["aud"].is_string()) ok = c["aud"] == r.audience;
      if (c.contains("aud") && c["aud"].is_array()) {
        for (const auto& a : c["aud"]) ok |= a.is_string() && a == r.audience;
      }
      if (!ok) {
        return Resp::error(403,
                           "invalid audience (aud) claim: audience claim does not match "
                           "any expected audience");
      }
    }
    std::string sa =
        claim(c, "kubernetes.io/serviceaccount/service-account.name", "serviceaccount", "name");
    std::string ns = claim(c, "kubernetes.io/serviceaccount/namespace", "namespace", nullptr);
    std::string uid =
        claim(c, "kubernetes.io/serviceaccount/service-account.uid", "serviceaccount", "uid");
    std::string secret = c.value("kubernetes.io/serviceaccount/secret.name", "");
    if (!(r.sa_names.size() == 1 && r.sa_names[0] == "*") && !list_contains_glob(r.sa_names, sa)) {
      return Resp::error(403, "service account name not authorized");
    }
    if (!(r.sa_namespaces[0] == "*") && !list_contains_glob(r.sa_namespaces, ns)) {
      return Resp::error(403, "namespace not authorized");
    }
    if (uid.empty()) return Resp::error(500, "could not parse UID from claims");
    Token t;
    t.policies = sanitize_policies(r.token_policies, true);
    t.meta = {{"role", r.name},
              {"service_account_name", sa},
              {"service_account_namespace", ns},
              {"service_account_secret_name", secret},
              {"service_account_uid", uid}};
    t.display_name = ns + "-" + sa;
    std::string alias = r.alias_name_source == "serviceaccount_name" ? ns + "/" + sa : uid;
    auto& entity = entities_[call.mount + alias];
    if (entity.empty()) entity = random_uuid();
    t.entity_id = entity;
    return issue_login_token(call, r.name, t, r.token_ttl, r.token_max_ttl, "kubernetes");
  }
  return Resp::error(404, "unsupported path");
}

}  // namespace infralogs::vaultd

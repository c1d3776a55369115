#include "core.h"

#include <algorithm>
#include <thread>

#include "infralogs/core/log.h"

namespace infralogs::vaultd {
namespace {

constexpr const char* kComponent = "test-vault";
constexpr size_t kMaxRecords = 10000;
constexpr const char* kInvalidToken =
    "2 errors occurred:\n\t* permission denied\n\t* invalid token\n\n";

// Vault's built-in "default" policy (vault/policy_store.go), less the Enterprise paths.
constexpr const char* kDefaultPolicy = R"(# Allow tokens to look up their own properties
path "auth/token/lookup-self" {
    capabilities = ["read"]
}

# Allow tokens to renew themselves
path "auth/token/renew-self" {
    capabilities = ["update"]
}

# Allow tokens to revoke themselves
path "auth/token/revoke-self" {
    capabilities = ["update"]
}

# Allow a token to look up its own capabilities on a path
path "sys/capabilities-self" {
    capabilities = ["update"]
}

# Allow a token to look up its resultant ACL from all policies
path "sys/internal/ui/resultant-acl" {
    capabilities = ["read"]
}

# Allow a token to renew a lease via lease_id in the request body; old path for
# old clients, new path for newer
path "sys/renew" {
    capabilities = ["update"]
}
path "sys/leases/renew" {
    capabilities = ["update"]
}

# Allow looking up lease properties. This requires knowing the lease ID ahead
# of time and does not divulge any sensitive information.
path "sys/leases/lookup" {
    capabilities = ["update"]
}

# Allow a token to manage its own cubbyhole
path "cubbyhole/*" {
    capabilities = ["create", "read", "update", "delete", "list"]
}

# Allow a token to wrap arbitrary values in a response-wrapping token
path "sys/wrapping/wrap" {
    capabilities = ["update"]
}

# Allow a token to look up the creation time and TTL of a given
# response-wrapping token
path "sys/wrapping/lookup" {
    capabilities = ["update"]
}

# Allow a token to unwrap a response-wrapping token.
path "sys/wrapping/unwrap" {
    capabilities = ["update"]
}

# Allow general purpose tools
path "sys/tools/hash" {
    capabilities = ["update"]
}
path "sys/tools/hash/*" {
    capabilities = ["update"]
}
)";

// Paths that need "sudo" as well as the operation's capability (the root paths of the system
// backend and the token store).
bool needs_sudo(const std::string& path) {
  static const char* kPrefixes[] = {"sys/auth/",
                                    "sys/seal",
                                    "sys/audit",
                                    "sys/raw",
                                    "sys/rotate",
                                    "sys/config/",
                                    "sys/step-down",
                                    "sys/leases/revoke-prefix/",
                                    "sys/leases/revoke-force/",
                                    "auth/token/revoke-orphan",
                                    "auth/token/accessors"};
  return std::any_of(std::begin(kPrefixes), std::end(kPrefixes),
                     [&](const char* p) { return starts_with(path, p); });
}

// Paths whose tokens must not be recorded (a token in the URL).
std::string redact_path(const std::string& path) {
  static const char* kTokenPaths[] = {"auth/token/lookup/", "auth/token/revoke/",
                                      "auth/token/renew/", "auth/token/revoke-orphan/"};
  for (const char* p : kTokenPaths) {
    if (starts_with(path, p) && path.size() > std::string(p).size()) {
      return std::string(p) + "<redacted>";
    }
  }
  return path;
}

}  // namespace

Core::Resp Core::Resp::ok(nlohmann::json data) {
  Resp r;
  r.kind = kData;
  r.data = std::move(data);
  return r;
}

Core::Resp Core::Resp::error_response(const std::string& message, int status) {
  Resp r;
  r.kind = kError;
  r.status = status;
  r.errors.push_back(message);
  return r;
}

Core::Resp Core::Resp::error(int status, const std::string& message) {
  return error_response("1 error occurred:\n\t* " + message + "\n\n", status);
}

Core::Resp Core::Resp::raw(int status, nlohmann::json body) {
  Resp r;
  r.kind = kRaw;
  r.status = status;
  r.data = std::move(body);
  return r;
}

Core::Resp Core::Resp::status_only(int status) {
  Resp r;
  r.kind = kStatus;
  r.status = status;
  return r;
}

Core::Core(CoreOptions options) : options_(std::move(options)) {
  cluster_id_ = random_uuid();
  cluster_name_ = "vault-cluster-" + cluster_id_.substr(0, 8);
  MutexLock lock(mu_);
  auto add_mount = [&](const std::string& path, const std::string& type, const std::string& desc) {
    auto m = std::make_unique<Mount>();
    m->path = path;
    m->type = type;
    m->description = desc;
    m->accessor = (type == "token" ? "auth_token_" : type + "_") + random_uuid().substr(0, 8);
    m->uuid = random_uuid();
    mounts_[path] = std::move(m);
  };
  add_mount("sys/", "system", "system endpoints used for control, policy and debugging");
  add_mount("auth/token/", "token", "token based credentials");
  auto rules = parse_policy(kDefaultPolicy);
  policies_["default"] = Policy{kDefaultPolicy, rules ? *rules : std::vector<PathRule>{}};

  Token root;
  root.id = options_.root_token;
  root.accessor = random_base62(24);
  root.policies = {"root"};
  root.display_name = "root";
  root.path = "auth/token/root";
  root.issue_time = Clock::now();
  root.renewable = false;
  root.orphan = true;
  accessors_[root.accessor] = root.id;
  tokens_[root.id] = root;
}

Core::~Core() { stop(); }

void Core::start() {
  background_ = std::jthread([this](std::stop_token stop) {
    while (!stop.stop_requested()) {
      tick();
      MutexLock lock(mu_);
      tick_cv_.wait_for(mu_, stop, options_.tick, [&] { return stop.stop_requested(); });
    }
  });
}

void Core::stop() {
  if (!background_.joinable()) return;
  background_.request_stop();
  tick_cv_.notify_all();
  background_.join();
}

void Core::tick() {
  TimePoint now = Clock::now();
  std::vector<std::string> tokens, leases;
  std::vector<std::pair<std::string, std::string>> rotations;
  {
    MutexLock lock(mu_);
    for (const auto& [id, t] : tokens_) {
      if (t.expire_time && *t.expire_time <= now) tokens.push_back(id);
    }
    for (const auto& [id, l] : leases_) {
      if (l.expire_time <= now && l.next_revoke_attempt <= now) leases.push_back(id);
    }
    for (auto& [path, m] : mounts_) {
      if (!m->db) continue;
      for (auto& [name, r] : m->db->static_roles) {
        if (!r.rotating && r.next_rotation <= now) rotations.emplace_back(path, name);
      }
    }
  }
  for (const auto& id : tokens) revoke_token_tree(id, "token expired");
  for (const auto& id : leases) revoke_lease(id, "lease expired");
  for (const auto& [mount, name] : rotations) {
    Status s = rotate_static_role(mount, name);
    if (!s.is_ok()) {
      log::warn(kComponent, "static role rotation failed; retrying in 10s",
                {{"mount", mount}, {"role", name}, {"error", s.message()}});
    }
  }
}

HttpReply Core::handle(const HttpRequest& http) {
  auto t0 = std::chrono::steady_clock::now();
  std::string method = http.method;
  HttpReply reply = dispatch(http, &method);
  std::string path = "/v1/" + redact_path(http.path);
  {
    MutexLock lock(mu_);
    requests_.push_back({method, path, reply.status});
    while (requests_.size() > kMaxRecords) requests_.pop_front();
  }
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  log::debug(kComponent, "request",
             {{"method", method}, {"path", path}, {"status", reply.status}, {"ms", ms}});
  return reply;
}

Core::Resp Core::sealed_reply() const { return Resp::error_response("Vault is sealed", 503); }

std::optional<Core::Resp> Core::apply_faults(const std::string& path, bool* sleep_first,
                                             int* delay_ms) {
  mu_.assert_held();
  *sleep_first = false;
  *delay_ms = 0;
  std::optional<Resp> out;
  for (auto& f : faults_) {
    if (f.remaining == 0 || !starts_with(path, f.path_prefix)) continue;
    if (f.kind == FaultKind::kSlow) {
      *delay_ms += f.delay_ms;
      *sleep_first = true;
      if (f.remaining > 0) --f.remaining;
      continue;
    }
    if (out) continue;
    if (f.remaining > 0) --f.remaining;
    switch (f.kind) {
      case FaultKind::kSealed:
        if (starts_with(path, "sys/health")) {
          nlohmann::json h = {{"initialized", true},
                              {"sealed", true},
                              {"standby", true},
                              {"performance_standby", false},
                              {"replication_performance_mode", "disabled"},
                              {"replication_dr_mode", "disabled"},
                              {"server_time_utc", unix_seconds(Clock::now())},
                              {"version", options_.version}};
          out = Resp::raw(503, h);
        } else if (starts_with(path, "sys/seal-status")) {
          nlohmann::json s = seal_status();
          s["sealed"] = true;
          out = Resp::raw(200, s);
        } else {
          out = sealed_reply();
        }
        break;
      case FaultKind::kDeny:
        out = Resp::error(403, "permission denied");
        break;
      case FaultKind::kRateLimit: {
        Resp r =
            Resp::error_response("request path \"" + path + "\": rate limit quota exceeded", 429);
        r.headers.emplace_back("Retry-After", std::to_string(f.retry_after_s));
        out = r;
        break;
      }
      case FaultKind::kSlow:
        break;
    }
  }
  faults_.erase(std::remove_if(faults_.begin(), faults_.end(),
                               [](const Fault& f) { return f.remaining == 0; }),
                faults_.end());
  return out;
}

bool Core::is_unauthenticated(const std::string& path) const {
  mu_.assert_held();
  if (path == "sys/health" || path == "sys/seal-status" || path == "sys/unseal" ||
      starts_with(path, "sys/internal/ui/mounts")) {
    return true;
  }
  if (!starts_with(path, "auth/")) return false;
  size_t slash = path.find('/', 5);
  if (slash == std::string::npos) return false;
  auto it = mounts_.find(path.substr(0, slash + 1));
  if (it == mounts_.end()) return false;
  const std::string& type = it->second->type;
  return (type == "approle" || type == "kubernetes") && path.substr(slash + 1) == "login";
}

HttpReply Core::dispatch(const HttpRequest& http, std::string* log_method) {
  Call call;
  call.path = http.path;
  call.query = http.query;
  call.remote_addr = http.remote_addr;
  const std::string& m = http.method;
  if (m == "GET" || m == "HEAD") {
    auto it = http.query.find("list");
    bool list = it != http.query.end() && (it->second == "true" || it->second == "1");
    call.op = list ? Op::kList : Op::kRead;
    if (list) *log_method = "LIST";
  } else if (m == "LIST") {
    call.op = Op::kList;
  } else if (m == "POST" || m == "PUT") {
    call.op = Op::kUpdate;
  } else if (m == "DELETE") {
    call.op = Op::kDelete;
  } else if (m == "PATCH") {
    call.op = Op::kPatch;
  } else {
    return render(Resp::raw(405, {{"errors", nlohmann::json::array()}}), Op::kRead);
  }
  if (call.op == Op::kList && !ends_with(call.path, "/")) call.path += "/";
  // As Vault's handleCancelableRequest: a write to "x/" is ambiguous, so it is refused.
  if (call.op == Op::kUpdate && ends_with(call.path, "/")) {
    return render(Resp::error_response("cannot write to a path ending in '/'"), call.op);
  }

  bool sleep_first = false;
  int delay_ms = 0;
  std::optional<Resp> fault;
  bool unauth;
  {
    MutexLock lock(mu_);
    fault = apply_faults(http.path, &sleep_first, &delay_ms);
    unauth = is_unauthenticated(http.path);
  }
  if (sleep_first) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
  if (fault) return render(*fault, call.op);

  {
    MutexLock lock(mu_);
    if (sealed_ && http.path != "sys/health" && http.path != "sys/seal-status" &&
        http.path != "sys/unseal") {
      return render(sealed_reply(), call.op);
    }
  }

  if (!http.body.empty()) {
    auto body = nlohmann::json::parse(http.body, nullptr, false);
    if (body.is_discarded() || !(body.is_object() || body.is_null())) {
      return render(Resp::error_response("failed to parse JSON input: invalid JSON object"),
                    call.op);
    }
    if (body.is_object()) call.body = std::move(body);
  }
  if (call.op == Op::kRead || call.op == Op::kList) {
    for (const auto& [k, v] : http.query) {
      if (!call.body.contains(k)) call.body[k] = v;
    }
  }

  Resp r = check_token(call, http.token, unauth);
  if (r.kind == Resp::kError) return render(r, call.op);
  if (!unauth) {
    r = authorize(call);
    if (r.kind == Resp::kError) return render(r, call.op);
  }
  return render(route(call), call.op);
}

Core::Resp Core::check_token(Call& call, const std::string& token, bool unauth) {
  if (token.empty()) {
    if (unauth) return Resp::nil();
    return Resp::error_response("missing client token", 400);
  }
  MutexLock lock(mu_);
  const Token* t = valid_token(token);
  if (!t) {
    if (unauth) return Resp::nil();  // a login or health check ignores a bad token
    return Resp::error_response(kInvalidToken, 403);
  }
  call.caller.token_id = t->id;
  call.caller.accessor = t->accessor;
  call.caller.display_name = t->display_name;
  call.caller.policies = t->policies;
  call.caller.root = std::find(t->policies.begin(), t->policies.end(), "root") != t->policies.end();
  return Resp::nil();
}

Acl Core::acl_for(const std::vector<std::string>& policies) {
  std::vector<std::vector<PathRule>> rules;
  bool root = false;
  for (const auto& name : policies) {
    if (name == "root") root = true;
    auto it = policies_.find(name);
    if (it != policies_.end()) rules.push_back(it->second.rules);
  }
  return Acl(rules, root);
}

Core::Resp Core::authorize(const Call& call) {
  if (call.caller.root) return Resp::nil();
  uint32_t need = 0;
  switch (call.op) {
    case Op::kRead:
      need = kCapRead;
      break;
    case Op::kList:
      need = kCapList;
      break;
    case Op::kDelete:
      need = kCapDelete;
      break;
    case Op::kPatch:
      need = kCapPatch;
      break;
    case Op::kCreate:
    case Op::kUpdate:
      need = exists_for_acl(call) ? kCapUpdate : kCapCreate;
      break;
  }
  MutexLock lock(mu_);
  Acl acl = acl_for(call.caller.policies);
  uint32_t caps = acl.capabilities(call.path, call.op == Op::kList);
  bool allowed = !(caps & kCapDeny) && (caps & need);
  if (allowed && needs_sudo(call.path) && !(caps & kCapSudo)) allowed = false;
  if (!allowed) return Resp::error(403, "permission denied");
  return Resp::nil();
}

Core::Mount* Core::find_mount(const std::string& path) {
  Mount* best = nullptr;
  for (auto& [p, m] : mounts_) {
    if (starts_with(path, p) || path + "/" == p) {
      if (!best || p.size() > best->path.size()) best = m.get();
    }
  }
  return best;
}

bool Core::exists_for_acl(const Call& call) {
  MutexLock lock(mu_);
  Mount* m = find_mount(call.path);
  if (!m) return true;  // no existence check: an update
  std::string rel = call.path.size() > m->path.size() ? call.path.substr(m->path.size()) : "";
  if (m->type == "kv" && m->kv) {
    for (const char* prefix : {"data/", "metadata/"}) {
      if (starts_with(rel, prefix))
        return m->kv->keys.count(rel.substr(std::string(prefix).size())) > 0;
    }
    return true;
  }
  if (m->type == "database" && m->db) {
    if (starts_with(rel, "config/")) return m->db->configs.count(rel.substr(7)) > 0;
    if (starts_with(rel, "roles/")) return m->db->roles.count(rel.substr(6)) > 0;
    if (starts_with(rel, "static-roles/")) return m->db->static_roles.count(rel.substr(13)) > 0;
    return true;
  }
  if (m->type == "system" && starts_with(rel, "policies/acl/")) {
    return policies_.count(rel.substr(13)) > 0;
  }
  if (m->type == "token" && (rel == "create" || rel == "create-orphan")) return false;
  return true;
}

Core::Resp Core::route(Call& call) {
  std::string type;
  {
    MutexLock lock(mu_);
    Mount* m = find_mount(call.path);
    if (!m) {
      return Resp::error_response(
          "no handler for route \"" + call.path + "\". route entry not found.", 404);
    }
    call.mount = m->path;
    call.rel = call.path.size() > m->path.size() ? call.path.substr(m->path.size()) : "";
    type = m->type;
  }
  Resp r;
  if (type == "system") {
    r = sys(call);
  } else if (type == "token") {
    r = token_store(call);
  } else if (type == "kv") {
    r = kv(call);
  } else if (type == "database") {
    r = database(call);
  } else if (type == "approle") {
    r = approle(call);
  } else if (type == "kubernetes") {
    r = kubernetes(call);
  } else {
    r = Resp::error(404, "unsupported path");
  }
  if (r.mount_type.empty()) r.mount_type = type;
  return r;
}

HttpReply Core::render(const Resp& r, Op op) const {
  HttpReply out;
  out.headers.emplace_back("Cache-Control", "no-store");
  for (const auto& h : r.headers) out.headers.push_back(h);
  auto json_body = [&](int status, const nlohmann::ordered_json& body) {
    out.status = status;
    out.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    out.headers.emplace_back("Content-Type", "application/json");
  };
  switch (r.kind) {
    case Resp::kRaw:
      json_body(r.status, nlohmann::ordered_json(r.data));
      return out;
    case Resp::kStatus:
      out.status = r.status;
      return out;
    case Resp::kError:
      json_body(r.status ? r.status : 500, {{"errors", r.errors}});
      return out;
    case Resp::kNil:
      if (op == Op::kRead || op == Op::kList) {
        json_body(404, {{"errors", nlohmann::json::array()}});
      } else {
        out.status = 204;
      }
      return out;
    case Resp::kData:
      break;
  }
  if (op == Op::kList && r.warnings.empty() && r.auth.is_null()) {
    const nlohmann::json& keys =
        r.data.is_object() && r.data.contains("keys") ? r.data["keys"] : nlohmann::json();
    if (!keys.is_array() || keys.empty()) {
      json_body(404, {{"errors", nlohmann::json::array()}});
      return out;
    }
  }
  nlohmann::ordered_json env;
  env["request_id"] = random_uuid();
  env["lease_id"] = r.lease_id;
  env["renewable"] = r.renewable;
  env["lease_duration"] = r.lease_duration;
  env["data"] = r.data;
  env["wrap_info"] = nullptr;
  env["warnings"] = r.warnings.empty() ? nlohmann::json() : nlohmann::json(r.warnings);
  env["auth"] = r.auth;
  env["mount_type"] = r.mount_type;
  json_body(r.status ? r.status : 200, env);
  return out;
}

HttpReply Core::handle_test(const HttpRequest& http) {
  bool root = false;
  {
    MutexLock lock(mu_);
    root = !http.token.empty() && http.token == options_.root_token;
  }
  if (!root) return render(Resp::error(403, "permission denied"), Op::kUpdate);
  nlohmann::json body = nlohmann::json::object();
  if (!http.body.empty()) {
    body = nlohmann::json::parse(http.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
      return render(Resp::error_response("failed to parse JSON input: invalid JSON object"),
                    Op::kUpdate);
    }
  }
  Resp r = test_control(http.path, http.method, body);
  return render(r, http.method == "GET" ? Op::kRead : Op::kUpdate);
}

std::string Core::redact(std::string text, const std::vector<std::string>& secrets) {
  for (const auto& s : secrets) {
    if (!s.empty()) text = replace_all(std::move(text), s, "[password]");
  }
  return text;
}

}  // namespace infralogs::vaultd

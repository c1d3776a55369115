// Leases: renew, revoke, lookup, and the revocation of leases and token trees.

#include <algorithm>

#include "core.h"
#include "infralogs/core/log.h"

namespace infralogs::vaultd {
namespace {

constexpr const char* kComponent = "test-vault";
constexpr const char* kDefaultRevocation =
    "REVOKE ALL PRIVILEGES, GRANT OPTION FROM '{{name}}'@'%'; DROP USER '{{name}}'@'%'";

}  // namespace

std::string Core::register_lease(Lease lease) {
  lease.id = lease.path + "/" + random_base62(24);
  lease.next_revoke_attempt = lease.expire_time;
  auto t = tokens_.find(lease.token);
  if (t != tokens_.end()) {
    t->second.leases.insert(lease.id);
  } else {
    // The token went away while the secret was being created: revoke it at the next tick.
    lease.expire_time = Clock::now();
    lease.next_revoke_attempt = lease.expire_time;
    tick_cv_.notify_all();
  }
  std::string id = lease.id;
  leases_[id] = std::move(lease);
  return id;
}

Core::Resp Core::sys_leases(Call& call, const std::string& rest) {
  auto lease_id_from = [&](const std::string& verb) -> Result<std::string> {
    Fields f(call.body);
    auto id = f.str("lease_id");
    if (!id) return id.status();
    if (!id->empty()) return *id;
    if (rest.size() > verb.size() + 1) return rest.substr(verb.size() + 1);
    return std::string();
  };
  auto is = [&](const std::string& verb) { return rest == verb || starts_with(rest, verb + "/"); };
  if (is("renew")) {
    if (call.op != Op::kUpdate) return Resp::error(405, "unsupported operation");
    auto id = lease_id_from("renew");
    if (!id) return Resp::error_response(id.status().message());
    if (id->empty()) return Resp::error_response("lease_id must be specified");
    auto inc = Fields(call.body).duration("increment");
    if (!inc) return Resp::error_response(inc.status().message());
    return renew_lease(*id, *inc);
  }
  if (is("revoke")) {
    if (call.op != Op::kUpdate) return Resp::error(405, "unsupported operation");
    auto id = lease_id_from("revoke");
    if (!id) return Resp::error_response(id.status().message());
    if (id->empty()) return Resp::error_response("lease_id must be specified");
    Fields f(call.body);
    auto sync = f.boolean("sync", true);
    if (call.query.count("sync")) sync = call.query["sync"] == "true" || call.query["sync"] == "1";
    if (!sync) return Resp::error_response(sync.status().message());
    if (!*sync) {
      MutexLock lock(mu_);
      auto it = leases_.find(*id);
      if (it != leases_.end()) {
        it->second.expire_time = Clock::now();
        it->second.next_revoke_attempt = it->second.expire_time;
        tick_cv_.notify_all();
      }
      return Resp::status_only(202);
    }
    Status s = revoke_lease(*id, "revoked through sys/leases/revoke");
    if (!s.is_ok()) return Resp::error_response("failed to revoke entry: " + s.message());
    return Resp::nil();
  }
  if (rest == "lookup") {
    if (call.op != Op::kUpdate) return Resp::error(405, "unsupported operation");
    auto id = Fields(call.body).str("lease_id");
    if (!id) return Resp::error_response(id.status().message());
    if (id->empty()) return Resp::error_response("lease_id must be specified");
    return lookup_lease(*id);
  }
  if (starts_with(rest, "lookup/")) {
    if (call.op != Op::kList) return Resp::error(405, "unsupported operation");
    std::string prefix = rest.substr(7);
    MutexLock lock(mu_);
    std::set<std::string> keys;
    for (const auto& [id, l] : leases_) {
      if (!starts_with(id, prefix)) continue;
      std::string remainder = id.substr(prefix.size());
      size_t slash = remainder.find('/');
      keys.insert(slash == std::string::npos ? remainder : remainder.substr(0, slash + 1));
    }
    return Resp::ok({{"keys", std::vector<std::string>(keys.begin(), keys.end())}});
  }
  return Resp::error(404, "unsupported path");
}

Core::Resp Core::renew_lease(const std::string& lease_id, int64_t increment) {
  MutexLock lock(mu_);
  auto it = leases_.find(lease_id);
  if (it == leases_.end()) {
    // Auth leases are not addressable by id here; Vault would say so for a token lease.
    return Resp::error_response("lease not found");
  }
  Lease& l = it->second;
  TimePoint now = Clock::now();
  if (l.expire_time < now) return Resp::error_response("lease expired");
  if (!l.renewable) return Resp::error_response("lease is not renewable");
  Mount* m = find_mount(l.mount);
  int64_t backend_ttl = 0, backend_max = 0;
  if (m && m->db) {
    auto role = m->db->roles.find(l.role);
    if (role == m->db->roles.end()) {
      return Resp::error(500,
                         "error during renew: could not find role with name \"" + l.role + "\"");
    }
    backend_ttl = role->second.default_ttl;
    backend_max = role->second.max_ttl;
  }
  std::vector<std::string> warnings;
  auto ttl = calculate_ttl(m, increment, backend_ttl, backend_max, 0, l.issue_time, &warnings);
  if (!ttl) return Resp::error_response(ttl.status().message());
  // The mysql plugin's UpdateUser treats an expiration change as a no-op: no SQL here.
  l.expire_time = now + std::chrono::seconds(*ttl);
  l.next_revoke_attempt = l.expire_time;
  l.last_renewal = now;
  Resp r = Resp::ok(nullptr);
  r.lease_id = lease_id;
  r.renewable = true;
  r.lease_duration = *ttl;
  r.warnings = warnings;
  r.mount_type = l.mount_type;
  return r;
}

Core::Resp Core::lookup_lease(const std::string& lease_id) {
  MutexLock lock(mu_);
  auto it = leases_.find(lease_id);
  if (it == leases_.end()) return Resp::error_response("invalid lease");
  const Lease& l = it->second;
  TimePoint now = Clock::now();
  int64_t ttl = std::chrono::duration_cast<std::chrono::seconds>(
                    l.expire_time - std::chrono::round<std::chrono::seconds>(now))
                    .count();
  return Resp::ok({{"id", l.id},
                   {"issue_time", rfc3339_nano(l.issue_time)},
                   {"expire_time", rfc3339_nano(l.expire_time)},
                   {"last_renewal", l.last_renewal ? nlohmann::json(rfc3339_nano(*l.last_renewal))
                                                   : nlohmann::json()},
                   {"renewable", l.renewable && l.expire_time >= now},
                   {"ttl", ttl}});
}

Status Core::run_revocation(const Lease& lease) {
  if (lease.db_config.empty()) return Status::ok();
  DbConfig config;
  bool kill = false;
  {
    MutexLock lock(mu_);
    Mount* m = find_mount(lease.mount);
    if (!m || !m->db) return Status::internal("the database mount " + lease.mount + " is gone");
    auto it = m->db->configs.find(lease.db_config);
    if (it == m->db->configs.end()) {
      return Status::internal("failed to find entry for connection with name: \"" +
                              lease.db_config + "\"");
    }
    config = it->second;
    kill = kill_sessions_on_revoke_;
  }
  auto target = db_target(config);
  if (!target) return target.status();
  auto session = MySqlSession::open(*target);
  if (!session) {
    return Status::unavailable(redact(session.status().message(), {config.password}));
  }
  std::vector<std::string> stmts = lease.revocation_statements;
  if (stmts.empty()) stmts.push_back(kDefaultRevocation);
  std::vector<std::string> filled;
  for (auto& q : split_statements(stmts)) {
    filled.push_back(
        fill_placeholders(q, {{"name", lease.username}, {"username", lease.username}}));
  }
  Status s = (*session)->run_plain(filled);
  if (!s.is_ok()) return Status::internal(redact(s.message(), {config.password}));
  if (kill) {
    auto ids = (*session)->session_ids(lease.username);
    if (!ids) return ids.status();
    for (const auto& id : *ids) {
      Status k = (*session)->kill_connection(id);
      if (!k.is_ok()) return k;
    }
  }
  return Status::ok();
}

Status Core::revoke_lease(const std::string& lease_id, const std::string& reason) {
  Lease lease;
  {
    MutexLock lock(mu_);
    auto it = leases_.find(lease_id);
    if (it == leases_.end()) return Status::ok();
    lease = it->second;
    leases_.erase(it);
    auto t = tokens_.find(lease.token);
    if (t != tokens_.end()) t->second.leases.erase(lease_id);
  }
  Status s = run_revocation(lease);
  MutexLock lock(mu_);
  if (!s.is_ok()) {
    ++lease.revoke_failures;
    int backoff = std::min(60, 1 << std::min(lease.revoke_failures, 6));
    lease.next_revoke_attempt = Clock::now() + std::chrono::seconds(backoff);
    lease.expire_time = std::min(lease.expire_time, Clock::now());
    log::warn(kComponent, "lease revocation failed; will retry",
              {{"lease_id", lease_id}, {"error", s.message()}, {"retry_in_s", backoff}});
    auto t = tokens_.find(lease.token);
    if (t != tokens_.end()) t->second.leases.insert(lease_id);
    leases_[lease_id] = std::move(lease);
    return s;
  }
  revocations_.push_back({lease_id, lease.username, reason, rfc3339_nano(Clock::now())});
  while (revocations_.size() > 10000) revocations_.pop_front();
  log::info(kComponent, "lease revoked", {{"lease_id", lease_id}, {"reason", reason}});
  return Status::ok();
}

void Core::revoke_token_tree(const std::string& token_id, const std::string& reason) {
  std::vector<std::string> leases;
  std::vector<std::string> accessors;
  {
    MutexLock lock(mu_);
    std::vector<std::string> stack = {token_id};
    while (!stack.empty()) {
      std::string id = stack.back();
      stack.pop_back();
      auto it = tokens_.find(id);
      if (it == tokens_.end()) continue;
      Token& t = it->second;
      for (const auto& c : t.children) stack.push_back(c);
      leases.insert(leases.end(), t.leases.begin(), t.leases.end());
      accessors.push_back(t.accessor);
      accessors_.erase(t.accessor);
      auto parent = tokens_.find(t.parent);
      if (parent != tokens_.end()) parent->second.children.erase(id);
      tokens_.erase(it);
    }
  }
  if (accessors.empty()) return;
  std::string lease_reason = reason == "token expired" ? "token expired" : "token revoked";
  for (const auto& l : leases) revoke_lease(l, lease_reason);
  for (const auto& a : accessors) {
    log::info(kComponent, "token revoked",
              {{"accessor", a}, {"reason", reason}, {"leases", leases.size()}});
  }
}

}  // namespace infralogs::vaultd

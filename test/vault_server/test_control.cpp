// The test-control API under /_test/ (docs/vault.md, "Test control").

#include <algorithm>

#include "core.h"
#include "infralogs/core/log.h"

namespace infralogs::vaultd {
namespace {

constexpr const char* kComponent = "test-vault";

const char* fault_name(int kind) {
  switch (kind) {
    case 0:
      return "sealed";
    case 1:
      return "deny";
    case 2:
      return "rate_limit";
    default:
      return "slow";
  }
}

}  // namespace

void Core::record_issued(const char* kind, const std::string& value) {
  issued_.push_back({kind, value});
  while (issued_.size() > 10000) issued_.pop_front();
}

Core::Resp Core::test_control(const std::string& path, const std::string& method,
                              const nlohmann::json& body) {
  Fields f(body);
  bool get = method == "GET", post = method == "POST" || method == "PUT", del = method == "DELETE";
  if (path == "faults" && post) {
    auto kind = f.str("kind");
    auto prefix = f.str("path_prefix");
    auto count = f.integer("count", -1);
    auto retry = f.integer("retry_after", 1);
    auto delay = f.integer("delay_ms", 0);
    for (const Status& s :
         {kind.status(), prefix.status(), count.status(), retry.status(), delay.status()}) {
      if (!s.is_ok()) return Resp::error_response(s.message());
    }
    Fault fault;
    if (*kind == "sealed") {
      fault.kind = FaultKind::kSealed;
    } else if (*kind == "deny") {
      fault.kind = FaultKind::kDeny;
    } else if (*kind == "rate_limit") {
      fault.kind = FaultKind::kRateLimit;
    } else if (*kind == "slow") {
      fault.kind = FaultKind::kSlow;
      if (*delay <= 0) return Resp::error_response("a slow fault needs delay_ms > 0");
    } else {
      return Resp::error_response("kind must be sealed, deny, rate_limit or slow");
    }
    if (*count == 0 || *count < -1) return Resp::error_response("count must be positive");
    std::string p = *prefix;
    while (!p.empty() && p[0] == '/') p.erase(0, 1);
    if (starts_with(p, "v1/")) p = p.substr(3);
    fault.path_prefix = p;
    fault.remaining = *count;
    fault.retry_after_s = static_cast<int>(*retry);
    fault.delay_ms = static_cast<int>(*delay);
    MutexLock lock(mu_);
    fault.id = next_fault_id_++;
    faults_.push_back(fault);
    log::info(kComponent, "fault added",
              {{"id", fault.id}, {"kind", *kind}, {"path_prefix", p}, {"count", *count}});
    return Resp::raw(200, {{"id", fault.id}});
  }
  if (path == "faults" && (get || del)) {
    MutexLock lock(mu_);
    if (del) {
      faults_.clear();
      return Resp::status_only(204);
    }
    nlohmann::json list = nlohmann::json::array();
    for (const auto& fl : faults_) {
      list.push_back({{"id", fl.id},
                      {"kind", fault_name(static_cast<int>(fl.kind))},
                      {"path_prefix", fl.path_prefix},
                      {"remaining", fl.remaining},
                      {"retry_after", fl.retry_after_s},
                      {"delay_ms", fl.delay_ms}});
    }
    return Resp::raw(200, {{"faults", list}});
  }
  if (starts_with(path, "faults/") && del) {
    int id = 0;
    try {
      id = std::stoi(path.substr(7));
    } catch (const std::exception&) {
      return Resp::error_response("bad fault id");
    }
    MutexLock lock(mu_);
    auto it =
        std::find_if(faults_.begin(), faults_.end(), [&](const Fault& x) { return x.id == id; });
    if (it == faults_.end()) return Resp::error_response("no such fault", 404);
    faults_.erase(it);
    return Resp::status_only(204);
  }
  if ((path == "seal" || path == "unseal") && post) {
    MutexLock lock(mu_);
    sealed_ = path == "seal";
    log::info(kComponent,
              sealed_ ? "sealed through /_test/seal" : "unsealed through /_test/unseal");
    return Resp::status_only(204);
  }
  if (path == "tokens/expire" && post) {
    auto token = f.str("token");
    auto accessor = f.str("accessor");
    if (!token || !accessor) return Resp::error_response("token and accessor must be strings");
    std::string id = *token;
    {
      MutexLock lock(mu_);
      if (id.empty()) {
        auto it = accessors_.find(*accessor);
        if (it != accessors_.end()) id = it->second;
      }
      if (id.empty() || !tokens_.count(id)) return Resp::error_response("token not found", 404);
      if (id == options_.root_token) return Resp::error_response("the root token does not expire");
      tokens_[id].expire_time = Clock::now();
    }
    revoke_token_tree(id, "token expired");
    return Resp::status_only(204);
  }
  if (path == "leases/expire" && post) {
    auto id = f.str("lease_id");
    if (!id) return Resp::error_response(id.status().message());
    {
      MutexLock lock(mu_);
      auto it = leases_.find(*id);
      if (it == leases_.end()) return Resp::error_response("lease not found", 404);
      it->second.expire_time = Clock::now();
    }
    Status s = revoke_lease(*id, "lease expired");
    if (!s.is_ok()) return Resp::error(500, s.message());
    return Resp::status_only(204);
  }
  if (path == "leases" && get) {
    MutexLock lock(mu_);
    nlohmann::json list = nlohmann::json::array();
    TimePoint now = Clock::now();
    for (const auto& [id, l] : leases_) {
      auto t = tokens_.find(l.token);
      list.push_back(
          {{"lease_id", id},
           {"path", l.path},
           {"mount", l.mount},
           {"issue_time", rfc3339_nano(l.issue_time)},
           {"expire_time", rfc3339_nano(l.expire_time)},
           {"ttl", std::chrono::duration_cast<std::chrono::seconds>(l.expire_time - now).count()},
           {"renewable", l.renewable},
           {"last_renewal",
            l.last_renewal ? nlohmann::json(rfc3339_nano(*l.last_renewal)) : nlohmann::json()},
           {"token_accessor", t == tokens_.end() ? "" : t->second.accessor},
           {"role", l.role},
           {"username", l.username},
           {"revoke_failures", l.revoke_failures}});
    }
    return Resp::raw(200, {{"leases", list}});
  }
  if (path == "revocations" && (get || del)) {
    MutexLock lock(mu_);
    if (del) {
      revocations_.clear();
      return Resp::status_only(204);
    }
    nlohmann::json list = nlohmann::json::array();
    for (const auto& r : revocations_) {
      list.push_back({{"lease_id", r.lease_id},
                      {"username", r.username},
                      {"reason", r.reason},
                      {"time", r.time}});
    }
    return Resp::raw(200, {{"revocations", list}});
  }
  if (path == "requests" && (get || del)) {
    MutexLock lock(mu_);
    if (del) {
      requests_.clear();
      return Resp::status_only(204);
    }
    nlohmann::json list = nlohmann::json::array();
    for (const auto& r : requests_) {
      list.push_back({{"method", r.method}, {"path", r.path}, {"status", r.status}});
    }
    return Resp::raw(200, {{"requests", list}});
  }
  if (path == "issued" && (get || del)) {
    MutexLock lock(mu_);
    if (del) {
      issued_.clear();
      return Resp::status_only(204);
    }
    nlohmann::json list = nlohmann::json::array();
    for (const auto& i : issued_) list.push_back({{"kind", i.kind}, {"value", i.value}});
    return Resp::raw(200, {{"issued", list}});
  }
  if (path == "settings" && (get || post)) {
    MutexLock lock(mu_);
    if (post) {
      auto kill = f.boolean("kill_sessions_on_revoke", kill_sessions_on_revoke_);
      if (!kill) return Resp::error_response(kill.status().message());
      kill_sessions_on_revoke_ = *kill;
    }
    return Resp::raw(200, {{"kill_sessions_on_revoke", kill_sessions_on_revoke_}});
  }
  return Resp::error_response("unknown test-control endpoint: " + method + " /_test/" + path, 404);
}

}  // namespace infralogs::vaultd

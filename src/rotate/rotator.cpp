#include "infralogs/rotate/rotator.h"

#include <openssl/rand.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "infralogs/core/log.h"

namespace infralogs::rotate {
namespace {

using nlohmann::json;

constexpr std::string_view kComponent = "rotate";

AuditSink& audit_sink() {
  static AuditSink sink;
  return sink;
}

// One audit line per action. `result` is "ok", "dry-run", "skipped" or the error (Status
// messages name paths and codes, never a secret).
void audit(std::string_view action, const std::string& path, const std::string& user,
           const std::string& result) {
  json f = {{"action", action}, {"path", path}, {"user", user}, {"result", result}};
  if (result == "ok" || result == "dry-run" || result == "skipped")
    log::info(kComponent, "audit", f);
  else
    log::error(kComponent, "audit", f);
  if (audit_sink()) audit_sink()(action, path, user, result);
}

void step_done(const RotateOptions& o, int step, std::string_view what) {
  if (o.after_step) o.after_step(step, what);
}

int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Polls can_login until ok, a final refusal, or the deadline. kPermissionDenied and
// kUnavailable are retried (replication lag; a replica restarting).
Status wait_for_login(AccountAdmin& admin, DbServer server, const Credentials& c,
                      const RotateOptions& o) {
  auto deadline = std::chrono::steady_clock::now() + o.login_wait;
  for (;;) {
    Status s = admin.can_login(server, c);
    if (s.is_ok()) return s;
    bool retry = s.code() == StatusCode::kPermissionDenied || s.code() == StatusCode::kUnavailable;
    if (!retry || std::chrono::steady_clock::now() >= deadline)
      return Status::unavailable(std::string("the new password of ") + c.username +
                                 " does not log in on the " + db_server_name(server) +
                                 " after waiting: " + s.message());
    std::this_thread::sleep_for(o.poll);
  }
}

Status verify_both(AccountAdmin& admin, const Credentials& c, const std::string& path,
                   const RotateOptions& o, int first_step) {
  const DbServer servers[] = {DbServer::kPrimary, DbServer::kReplica};
  for (int i = 0; i < 2; ++i) {
    std::string action = std::string("verify-") + db_server_name(servers[i]);
    Status s = wait_for_login(admin, servers[i], c, o);
    audit(action, path, c.username, s.is_ok() ? "ok" : s.message());
    if (!s.is_ok()) return s;
    step_done(o, first_step + i, action);
  }
  return Status::ok();
}

}  // namespace

void set_audit_sink(AuditSink sink) { audit_sink() = std::move(sink); }

const char* db_server_name(DbServer server) {
  return server == DbServer::kPrimary ? "primary" : "replica";
}

std::string generate_password(size_t length) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string out;
  unsigned char buf[64];
  while (out.size() < length) {
    if (RAND_bytes(buf, sizeof buf) != 1) std::abort();  // no entropy: never fall back
    for (unsigned char b : buf) {
      // 248 = 4 * 62: bytes above it would bias the first characters.
      if (b < 248 && out.size() < length) out.push_back(kAlphabet[b % 62]);
    }
  }
  return out;
}

Result<RotateReport> rotate_static_role(secrets::VaultClient& vault, AccountAdmin& admin,
                                        const std::string& role, const RotateOptions& o) {
  RotateReport report;
  const std::string rotate_path = o.database_mount + "/rotate-role/" + role;
  const std::string creds_path = o.database_mount + "/static-creds/" + role;
  report.path = rotate_path;
  secrets::VaultResponse r;
  if (o.dry_run) {
    Status s = vault.read(creds_path, &r);
    if (!s.is_ok()) {
      audit("read", creds_path, "", s.message());
      return s;
    }
    report.user = r.data.value("username", "");
    audit("rotate-role", rotate_path, report.user, "dry-run");
    report.note = "would rotate " + rotate_path + " (user " + report.user +
                  ") and verify the new password on the primary and the replica";
    return report;
  }
  Status s = vault.write(rotate_path, json::object(), &r);
  audit("rotate-role", rotate_path, "", s.is_ok() ? "ok" : s.message());
  if (!s.is_ok()) return s;
  step_done(o, 1, "rotate-role");

  s = vault.read(creds_path, &r);
  Credentials c;
  if (s.is_ok()) {
    if (!r.data.is_object() || !r.data.contains("username") || !r.data["username"].is_string() ||
        !r.data.contains("password") || !r.data["password"].is_string())
      s = Status::corruption("vault GET " + creds_path + ": no username and password in data");
    else
      c = Credentials{r.data["username"].get<std::string>(), r.data["password"].get<std::string>()};
  }
  audit("read", creds_path, c.username, s.is_ok() ? "ok" : s.message());
  if (!s.is_ok()) return s;
  step_done(o, 2, "read");

  s = verify_both(admin, c, creds_path, o, 3);
  if (!s.is_ok()) return s;
  report.rotated = true;
  report.user = c.username;
  report.note = "rotated " + rotate_path + " (user " + c.username +
                "); the new password logs in on the primary and the replica";
  return report;
}

Result<RotateReport> swap_kv_users(secrets::VaultClient& vault, AccountAdmin& admin,
                                   const std::string& kv_mount, const std::string& kv_path,
                                   const std::string& user_a, const std::string& user_b,
                                   const RotateOptions& o) {
  RotateReport report;
  const std::string path = kv_mount + "/data/" + kv_path;
  report.path = path;
  if (user_a.empty() || user_b.empty() || user_a == user_b)
    return Status::invalid_argument("--users wants two different users A,B");

  // 1. The version in use and which user it names.
  secrets::VaultResponse r;
  int64_t version = 0;
  std::string active;
  int64_t rotated_at = 0;
  Status s = vault.read(path, &r);
  if (s.is_ok()) {
    const json& data = r.data.is_object() ? r.data.value("data", json()) : json();
    const json& meta = r.data.is_object() ? r.data.value("metadata", json()) : json();
    if (!meta.is_object() || !meta.contains("version") || !meta["version"].is_number_integer())
      s = Status::corruption("vault GET " + path + ": no metadata.version");
    else
      version = meta["version"].get<int64_t>();
    if (s.is_ok() && data.is_object()) {
      if (data.contains("username") && data["username"].is_string())
        active = data["username"].get<std::string>();
      if (data.contains("rotated_at") && data["rotated_at"].is_number_integer())
        rotated_at = data["rotated_at"].get<int64_t>();
    }
    if (s.is_ok() && !active.empty() && active != user_a && active != user_b)
      s = Status::invalid_argument("vault " + path + " names user " + active + ", not " + user_a +
                                   " or " + user_b + " (--users)");
  } else if (s.code() == StatusCode::kNotFound) {
    s = Status::ok();  // never written: the first run publishes user_a; cas 0 = "still new"
  }
  audit("read", path, active, s.is_ok() ? "ok" : s.message());
  if (!s.is_ok()) return s;
  const std::string target = active == user_a ? user_b : user_a;
  report.user = target;
  if (rotated_at > 0 && now_seconds() - rotated_at < o.min_interval.count()) {
    audit("swap", path, target, "skipped");
    report.note = "not due: " + path + " was swapped to " + active + " " +
                  std::to_string(now_seconds() - rotated_at) + " s ago (--min-interval " +
                  std::to_string(o.min_interval.count()) + " s)";
    return report;
  }
  step_done(o, 1, "read");

  if (o.dry_run) {
    audit("set-password", "primary", target, "dry-run");
    audit("write", path, target, "dry-run");
    report.note = "would set a new password for " + target +
                  " on the primary, wait until it logs in on the replica, and write " + path +
                  " with cas " + std::to_string(version) + " naming " + target +
                  (active.empty() ? "" : " (" + active + " is left working)");
    return report;
  }

  // 2. The inactive user only: no consumer uses it (the secret names the other), so changing
  // its password again after a crash is harmless.
  Credentials c{target, o.password_generator ? o.password_generator() : generate_password()};
  s = admin.set_password(target, c.password);
  audit("set-password", "primary", target, s.is_ok() ? "ok" : s.message());
  if (!s.is_ok()) return s;
  step_done(o, 2, "set-password");

  // 3, 4. Consumers read the replica too: publish only what works on both.
  s = verify_both(admin, c, path, o, 3);
  if (!s.is_ok()) return s;

  // 5. Publish with check-and-set: if another run published in between, this one must not
  // overwrite it (it may have rotated the user this run just changed).
  json body = {{"options", {{"cas", version}}},
               {"data",
                {{"username", c.username},
                 {"password", c.password},
                 {"rotated_at", now_seconds()},
                 {"previous_username", active}}}};
  s = vault.write(path, body, &r);
  if (!s.is_ok() && s.code() == StatusCode::kInvalidArgument &&
      s.message().find("check-and-set") != std::string::npos)
    s = Status::aborted(s.message() + " (another writer changed it since version " +
                        std::to_string(version) + "; rerun)");
  audit("write", path, target, s.is_ok() ? "ok" : s.message());
  if (!s.is_ok()) return s;
  step_done(o, 5, "write");
  report.rotated = true;
  report.note = "swapped " + path + " to " + target +
                (active.empty() ? "" : "; " + active + " keeps working until the next run");
  return report;
}

namespace {

// The agent-tokens secret as read: version 0 when it does not exist.
struct AgentTokens {
  int64_t version = 0;
  std::string current, previous;
  int64_t rotated_at = 0, dropped_at = 0;
};

Status parse_seconds(const json& data, const char* key, const std::string& path, int64_t* out) {
  *out = 0;
  if (!data.contains(key)) return Status::ok();
  const json& v = data[key];
  std::string text = v.is_string() ? v.get<std::string>() : "";
  char* end = nullptr;
  long long n = text.empty() ? -1 : std::strtoll(text.c_str(), &end, 10);
  if (n < 0 || end == nullptr || *end != '\0')
    return Status::corruption("vault GET " + path + ": \"" + key + "\" is not unix seconds");
  *out = n;
  return Status::ok();
}

Status read_agent_tokens(secrets::VaultClient& vault, const std::string& path, AgentTokens* t) {
  secrets::VaultResponse r;
  Status s = vault.read(path, &r);
  if (s.code() == StatusCode::kNotFound) return Status::ok();  // never written
  if (!s.is_ok()) return s;
  const json& data = r.data.is_object() ? r.data.value("data", json()) : json();
  const json& meta = r.data.is_object() ? r.data.value("metadata", json()) : json();
  if (!meta.is_object() || !meta.contains("version") || !meta["version"].is_number_integer())
    return Status::corruption("vault GET " + path + ": no metadata.version");
  t->version = meta["version"].get<int64_t>();
  if (!data.is_object() || !data.contains("current") || !data["current"].is_string() ||
      data["current"].get<std::string>().empty())
    return Status::corruption("vault GET " + path + ": no \"current\" token in the secret");
  t->current = data["current"].get<std::string>();
  if (data.contains("previous") && data["previous"].is_string())
    t->previous = data["previous"].get<std::string>();
  s = parse_seconds(data, "rotated_at", path, &t->rotated_at);
  if (s.is_ok()) s = parse_seconds(data, "dropped_at", path, &t->dropped_at);
  return s;
}

}  // namespace

Result<RotateReport> rotate_agent_tokens(secrets::VaultClient& vault, const std::string& path,
                                         const RotateOptions& o) {
  // The audit lines' "user": whose credential this is (there is no MySQL user).
  const std::string who = "agents";
  RotateReport report;
  report.path = path;
  report.user = who;

  // 1. What is there, at which version.
  AgentTokens t;
  Status s = read_agent_tokens(vault, path, &t);
  audit("read", path, who, s.is_ok() ? "ok" : s.message());
  if (!s.is_ok()) return s;
  const int64_t now = now_seconds();
  std::string action;
  json data;
  if (t.version == 0) {
    action = "create";
    report.note = "created " + path + " with a new current token";
  } else if (!t.previous.empty()) {
    const int64_t age = now - t.rotated_at;
    if (age < o.overlap.count()) {
      audit("drop-previous", path, who, "skipped");
      report.note = "not due: " + path + " was rotated " + std::to_string(age) +
                    " s ago; the previous token stays valid until the overlap (--overlap " +
                    std::to_string(o.overlap.count()) + " s) has passed";
      return report;
    }
    action = "drop-previous";
    data = {{"current", t.current},
            {"rotated_at", std::to_string(t.rotated_at)},
            {"dropped_at", std::to_string(now)}};
    report.note = "dropped the previous token from " + path + "; only the current one is valid";
  } else {
    const int64_t age = now - std::max(t.rotated_at, t.dropped_at);
    if (age < o.min_interval.count()) {
      audit("rotate", path, who, "skipped");
      report.note = "not due: " + path + " last changed " + std::to_string(age) +
                    " s ago (--min-interval " + std::to_string(o.min_interval.count()) + " s)";
      return report;
    }
    action = "rotate";
    report.note = "rotated " + path + ": a new current token; the previous one stays valid for " +
                  std::to_string(o.overlap.count()) + " s (--overlap), a later run drops it";
  }
  step_done(o, 1, "read");

  if (o.dry_run) {
    audit(action, path, who, "dry-run");
    report.note = "would write " + path + " with cas " + std::to_string(t.version) + ": " +
                  (action == "create"          ? "a new current token"
                   : action == "drop-previous" ? "the previous token dropped"
                                               : "current -> previous and a new current token");
    return report;
  }
  if (action != "drop-previous") {
    std::string fresh = o.password_generator ? o.password_generator() : generate_password(43);
    data = {{"current", fresh}, {"rotated_at", std::to_string(now)}};
    if (action == "rotate") data["previous"] = t.current;
  }

  // 2. One write, check-and-set on the version read: a concurrent run (or an operator) that
  // wrote in between wins, and this one stops rather than undo its change.
  secrets::VaultResponse r;
  s = vault.write(path, {{"options", {{"cas", t.version}}}, {"data", data}}, &r);
  if (!s.is_ok() && s.code() == StatusCode::kInvalidArgument &&
      s.message().find("check-and-set") != std::string::npos)
    s = Status::aborted(s.message() + " (another writer changed it since version " +
                        std::to_string(t.version) + "; rerun)");
  audit(action, path, who, s.is_ok() ? "ok" : s.message());
  if (!s.is_ok()) return s;
  step_done(o, 2, action);
  report.rotated = true;
  return report;
}

}  // namespace infralogs::rotate

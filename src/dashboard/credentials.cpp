#include "infralogs/dashboard/credentials.h"

#include <algorithm>
#include <string>

#include "infralogs/dashboard/dashboard.h"

namespace infralogs::dashboard {
namespace {

using nlohmann::json;

json opt_usec(const std::optional<uint64_t>& v) { return v ? json(*v) : json(nullptr); }

// Signed seconds from b to a.
double seconds_between(uint64_t a, uint64_t b) {
  return (static_cast<double>(a) - static_cast<double>(b)) / 1e6;
}

std::string whole_seconds(double s) { return std::to_string(static_cast<long long>(s)) + " s"; }

json warning(const std::string& mode, const std::string& name, const char* kind,
             const std::string& message) {
  return {{"mode", mode}, {"name", name}, {"kind", kind}, {"message", message}};
}

std::string who(const std::string& mode, const std::string& name) {
  return name.empty() ? mode : mode + " " + name;
}

storage::CredentialStatus status_of(const storage::CredentialReport& r) {
  storage::CredentialStatus s;
  s.source = r.source;
  s.location = r.location;
  s.username = r.username;
  s.obtained_usec = r.obtained_usec;
  s.expires_usec = r.expires_usec;
  s.last_switch_usec = r.last_switch_usec;
  s.switches = r.switches;
  s.failures = r.failures;
  s.last_error = r.last_error;
  s.source_reachable = r.source_reachable;
  return s;
}

}  // namespace

json credential_json(const storage::CredentialStatus& s, uint64_t now_usec) {
  json out = {{"source", s.source},
              {"location", text_or_bytes(s.location)},
              {"user", text_or_bytes(s.username)},
              {"obtained", opt_usec(s.obtained_usec)},
              {"expires", opt_usec(s.expires_usec)},
              {"last_switch", opt_usec(s.last_switch_usec)},
              {"age_s", nullptr},
              {"expires_in_s", nullptr},
              {"ttl_s", nullptr},
              {"switches", s.switches},
              {"failures", s.failures},
              {"last_error", text_or_bytes(s.last_error)},
              {"source_reachable", s.source_reachable}};
  if (s.obtained_usec) out["age_s"] = seconds_between(now_usec, *s.obtained_usec);
  if (s.expires_usec) out["expires_in_s"] = seconds_between(*s.expires_usec, now_usec);
  if (s.obtained_usec && s.expires_usec)
    out["ttl_s"] = seconds_between(*s.expires_usec, *s.obtained_usec);
  return out;
}

json credential_warnings(const storage::CredentialStatus& s, const std::string& mode,
                         const std::string& name, uint64_t now_usec,
                         const CredentialWarningOptions& o) {
  json out = json::array();
  if (s.expires_usec) {
    double left = seconds_between(*s.expires_usec, now_usec);
    double within = static_cast<double>(o.expires_within.count());
    if (s.obtained_usec && *s.expires_usec > *s.obtained_usec)
      within = std::max(
          within, o.expires_within_fraction * seconds_between(*s.expires_usec, *s.obtained_usec));
    if (left <= 0)
      out.push_back(warning(mode, name, "expired",
                            "the credentials of " + who(mode, name) + " (user " + s.username +
                                ") expired " + whole_seconds(-left) + " ago"));
    else if (left <= within)
      out.push_back(warning(mode, name, "expires_soon",
                            "the credentials of " + who(mode, name) + " (user " + s.username +
                                ") expire in " + whole_seconds(left)));
  }
  if (!s.source_reachable)
    out.push_back(warning(mode, name, "source_unreachable",
                          who(mode, name) + " cannot reach its credential source (" + s.source +
                              " " + s.location + ")" +
                              (s.last_error.empty() ? "" : ": " + s.last_error)));
  return out;
}

bool is_rotation(const storage::CredentialEvent& e) {
  return e.result == "ok" && (e.action == "rotate-role" || e.action == "write");
}

bool is_failure(const storage::CredentialEvent& e) {
  return e.result != "ok" && e.result != "dry-run" && e.result != "skipped";
}

json Dashboard::credentials(const storage::TimeWindow& w) {
  const uint64_t t = now();
  CredentialWarningOptions wo = options_.credential_warnings;
  wo.report_stale_after = options_.stale_after;
  json modes = json::array(), warnings = json::array(), events = json::array();
  auto add_warnings = [&warnings](const json& list) {
    for (const json& x : list) warnings.push_back(x);
  };

  // serve's own reader: live, so never stale. kNotFound: a reader without credentials.
  auto own = reader_.credentials();
  if (own) {
    json row = credential_json(*own, t);
    row["mode"] = "serve";
    row["name"] = "";
    row["role"] = "reader";
    row["live"] = true;
    row["reported"] = t;
    row["stale"] = false;
    modes.push_back(std::move(row));
    add_warnings(credential_warnings(*own, "serve", "", t, wo));
  }

  auto reports = reader_.credential_reports();
  if (reports) {
    for (const storage::CredentialReport& r : *reports) {
      storage::CredentialStatus s = status_of(r);
      json row = credential_json(s, t);
      row["mode"] = r.mode;
      row["name"] = text_or_bytes(r.name);
      row["role"] = r.role;
      row["live"] = false;
      row["reported"] = r.reported_usec;
      double report_age = seconds_between(t, std::min(t, r.reported_usec));
      bool stale = report_age > static_cast<double>(wo.report_stale_after.count());
      row["report_age_s"] = report_age;
      row["stale"] = stale;
      modes.push_back(std::move(row));
      add_warnings(credential_warnings(s, r.mode, r.name, t, wo));
      if (stale)
        warnings.push_back(warning(r.mode, r.name, "stale_report",
                                   "the last credential report of " + who(r.mode, r.name) + " is " +
                                       whole_seconds(report_age) + " old"));
    }
  } else if (reports.status().code() != StatusCode::kNotFound) {
    warnings.push_back(
        warning("serve", "", "database",
                "cannot read the modes' credential reports: " + reports.status().message()));
  }

  uint64_t rotations = 0, failures = 0;
  json last_rotation = nullptr;
  auto evs = reader_.credential_events(w);
  if (evs) {
    for (const storage::CredentialEvent& e : *evs) {  // newest first
      if (is_rotation(e)) {
        if (rotations == 0) last_rotation = {{"time", e.time_usec}, {"user", e.username}};
        ++rotations;
      }
      if (is_failure(e)) ++failures;
      events.push_back({{"time", e.time_usec},
                        {"mode", e.mode},
                        {"action", e.action},
                        {"path", text_or_bytes(e.path)},
                        {"user", text_or_bytes(e.username)},
                        {"result", text_or_bytes(e.result)},
                        {"failed", is_failure(e)}});
    }
  } else if (evs.status().code() != StatusCode::kNotFound) {
    warnings.push_back(warning("serve", "", "database",
                               "cannot read rotate-creds' events: " + evs.status().message()));
  }
  return {{"now", t},
          {"modes", modes},
          {"events", events},
          {"rotations", rotations},
          {"failures", failures},
          {"last_rotation", last_rotation},
          {"warnings", warnings}};
}

}  // namespace infralogs::dashboard

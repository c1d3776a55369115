// Dashboard::credentials and the Credentials panel's helpers (issue 10), over the fake reader.

#include "infralogs/dashboard/credentials.h"

#include <catch2/catch.hpp>

#include "fakes/fake_log_reader.h"
#include "infralogs/dashboard/dashboard.h"

using namespace infralogs;
using nlohmann::json;
using test::FakeLogReader;

namespace {

constexpr uint64_t kSec = 1000000;
constexpr uint64_t kNow = 1'800'000'000 * kSec;

storage::CredentialStatus status(uint64_t obtained_ago_s, std::optional<uint64_t> expires_in_s) {
  storage::CredentialStatus s;
  s.source = "vault-dynamic";
  s.location = "database/creds/infralogs-read";
  s.username = "v-read-abc";
  s.obtained_usec = kNow - obtained_ago_s * kSec;
  if (expires_in_s) s.expires_usec = kNow + *expires_in_s * kSec;
  s.switches = 2;
  s.failures = 1;
  return s;
}

storage::CredentialReport report(std::string name, uint64_t reported_ago_s) {
  storage::CredentialReport r;
  r.mode = "collect";
  r.name = std::move(name);
  r.role = "writer";
  r.source = "vault-static";
  r.location = "database/static-creds/infralogs-collect";
  r.username = "collect_static";
  r.obtained_usec = kNow - 100 * kSec;
  r.expires_usec = kNow + 86400 * kSec;
  r.reported_usec = kNow - reported_ago_s * kSec;
  return r;
}

struct Fixture {
  FakeLogReader reader;
  dashboard::DashboardOptions options() {
    dashboard::DashboardOptions o;
    o.now_usec = [] { return kNow; };
    o.stale_after = std::chrono::seconds(300);
    return o;
  }
  dashboard::Dashboard dash{reader, options()};
  storage::TimeWindow day{kNow - 86400 * kSec, kNow + kSec};
};

std::vector<std::string> kinds(const json& warnings) {
  std::vector<std::string> out;
  for (const json& w : warnings) out.push_back(w["kind"].get<std::string>());
  return out;
}

}  // namespace

TEST_CASE("credential_json gives user, times, age, expiry and ttl, never a password",
          "[dashboard][credentials]") {
  json j = dashboard::credential_json(status(600, 3000), kNow);
  CHECK(j["user"] == "v-read-abc");
  CHECK(j["source"] == "vault-dynamic");
  CHECK(j["location"] == "database/creds/infralogs-read");
  CHECK(j["obtained"] == kNow - 600 * kSec);
  CHECK(j["expires"] == kNow + 3000 * kSec);
  CHECK(j["age_s"] == 600.0);
  CHECK(j["expires_in_s"] == 3000.0);
  CHECK(j["ttl_s"] == 3600.0);
  CHECK(j["switches"] == 2);
  CHECK(j["failures"] == 1);
  CHECK(j["source_reachable"] == true);
  CHECK(!j.contains("password"));

  json none = dashboard::credential_json(storage::CredentialStatus{}, kNow);
  CHECK(none["age_s"].is_null());
  CHECK(none["expires_in_s"].is_null());
  CHECK(none["ttl_s"].is_null());
}

TEST_CASE("warnings: within 10 minutes or 10% of the lifetime, expired, source unreachable",
          "[dashboard][credentials]") {
  dashboard::CredentialWarningOptions o;
  auto w = [&](const storage::CredentialStatus& s) {
    return kinds(dashboard::credential_warnings(s, "serve", "", kNow, o));
  };
  using V = std::vector<std::string>;
  CHECK(w(status(600, 3000)) == V{});                // 50 min left of 1 h
  CHECK(w(status(3000, 599)) == V{"expires_soon"});  // under 10 minutes
  CHECK(w(status(3000, 601)) == V{});
  // A 24 h lifetime: 10% is 2.4 h, so 2 h left already warns.
  CHECK(w(status(79200, 7200)) == V{"expires_soon"});
  CHECK(w(status(72000, 14400)) == V{});
  storage::CredentialStatus past = status(4000, std::nullopt);
  past.expires_usec = kNow - 5 * kSec;
  auto expired = dashboard::credential_warnings(past, "serve", "", kNow, o);
  REQUIRE(expired.size() == 1);
  CHECK(expired[0]["kind"] == "expired");
  CHECK(expired[0]["message"].get<std::string>().find("expired 5 s ago") != std::string::npos);
  // No expiry known (a file source): nothing to warn about.
  CHECK(w(status(10, std::nullopt)) == V{});

  storage::CredentialStatus down = status(600, 3000);
  down.source_reachable = false;
  down.last_error = "vault GET database/creds/infralogs-read: connection refused";
  auto ws = dashboard::credential_warnings(down, "collect", "c1", kNow, o);
  REQUIRE(ws.size() == 1);
  CHECK(ws[0]["kind"] == "source_unreachable");
  CHECK(ws[0]["mode"] == "collect");
  CHECK(ws[0]["name"] == "c1");
  CHECK(ws[0]["message"].get<std::string>().find("connection refused") != std::string::npos);
}

TEST_CASE("credentials lists serve live, then the modes' reports, with stale ones warned",
          "[dashboard][credentials]") {
  Fixture f;
  f.reader.set_credentials(status(600, 3000));
  f.reader.add_credential_report(report("c2", 1000));  // stale: over 300 s
  f.reader.add_credential_report(report("c1", 10));
  json j = f.dash.credentials(f.day);
  REQUIRE(j["modes"].size() == 3);
  CHECK(j["modes"][0]["mode"] == "serve");
  CHECK(j["modes"][0]["role"] == "reader");
  CHECK(j["modes"][0]["live"] == true);
  CHECK(j["modes"][0]["user"] == "v-read-abc");
  CHECK(j["modes"][1]["mode"] == "collect");
  CHECK(j["modes"][1]["name"] == "c1");
  CHECK(j["modes"][1]["live"] == false);
  CHECK(j["modes"][1]["user"] == "collect_static");
  CHECK(j["modes"][1]["stale"] == false);
  CHECK(j["modes"][1]["report_age_s"] == 10.0);
  CHECK(j["modes"][2]["name"] == "c2");
  CHECK(j["modes"][2]["stale"] == true);
  REQUIRE(j["warnings"].size() == 1);
  CHECK(j["warnings"][0]["kind"] == "stale_report");
  CHECK(j["warnings"][0]["name"] == "c2");
  CHECK(j["now"] == kNow);
}

TEST_CASE("credentials counts rotate-creds' rotations and failures in the window",
          "[dashboard][credentials]") {
  Fixture f;
  auto ev = [](uint64_t ago_s, std::string action, std::string result) {
    return storage::CredentialEvent{kNow - ago_s * kSec,      "rotate-creds", std::move(action),
                                    "database/rotate-role/r", "st_user",      std::move(result)};
  };
  f.reader.add_credential_event(ev(100, "rotate-role", "ok"));
  f.reader.add_credential_event(ev(99, "verify-primary", "ok"));
  f.reader.add_credential_event(ev(50, "write", "ok"));
  f.reader.add_credential_event(ev(40, "write", "dry-run"));
  f.reader.add_credential_event(ev(30, "swap", "skipped"));
  f.reader.add_credential_event(ev(20, "verify-replica", "the new password does not log in"));
  f.reader.add_credential_event(ev(90000, "rotate-role", "ok"));  // before the window
  json j = f.dash.credentials(f.day);
  CHECK(j["rotations"] == 2);
  CHECK(j["failures"] == 1);
  REQUIRE(j["events"].size() == 6);
  CHECK(j["events"][0]["action"] == "verify-replica");  // newest first
  CHECK(j["events"][0]["failed"] == true);
  CHECK(j["events"][0]["user"] == "st_user");
  CHECK(j["last_rotation"]["time"] == kNow - 50 * kSec);
  // No reader credentials and no reports: no rows, no warnings (a fake reader says kNotFound).
  CHECK(j["modes"] == json::array());
  CHECK(j["warnings"] == json::array());
  auto asked = f.reader.calls("credential_events");
  REQUIRE(asked.size() == 1);
  CHECK(asked[0].window.from_usec == f.day.from_usec);
}

TEST_CASE("credentials still answers when the replica cannot give reports or events",
          "[dashboard][credentials]") {
  Fixture f;
  f.reader.set_credentials(status(600, 300));  // expires soon
  f.reader.fail_next("credential_reports", Status::unavailable("replica down"));
  f.reader.fail_next("credential_events", Status::unavailable("replica down"));
  json j = f.dash.credentials(f.day);
  REQUIRE(j["modes"].size() == 1);
  CHECK(j["modes"][0]["mode"] == "serve");
  CHECK(kinds(j["warnings"]) == std::vector<std::string>{"expires_soon", "database", "database"});
}

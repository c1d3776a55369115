// The database secrets engine against a real MariaDB primary and replica: users created,
// renewed, revoked, expired and rotated for real. Run by ctest as "vault: database".

#include <catch2/catch.hpp>
#include <regex>
#include <thread>

#include "vault_fixture.h"

namespace infralogs::vtest {
namespace {

using nlohmann::json;
using std::chrono::seconds;

constexpr unsigned int kAccessDenied = 1045;

// A login as a user that no longer exists: MariaDB answers 1045, or 1698 when it pretends the
// unknown user has another authentication plugin (it does so to hide which users exist).
bool refused_as_gone(unsigned int e) { return e == 1045 || e == 1698; }

const std::string kCreate =
    "CREATE USER '{{name}}'@'%' IDENTIFIED BY '{{password}}'; "
    "GRANT SELECT ON vault_test.* TO '{{name}}'@'%';";

void make_role(const VaultProcess& v, const std::string& name, const json& extra = json::object()) {
  json body = {{"db_name", "pair"},
               {"creation_statements", kCreate},
               {"default_ttl", "1h"},
               {"max_ttl", "24h"}};
  for (const auto& [k, val] : extra.items()) body[k] = val;
  Reply r = v.root("POST", "/v1/database/roles/" + name, body);
  INFO(r.body);
  REQUIRE(r.status == 204);
}

json creds(const VaultProcess& v, const std::string& role, const std::string& token = "") {
  Reply r =
      v.call("GET", "/v1/database/creds/" + role, nullptr, token.empty() ? v.root_token() : token);
  INFO(r.body);
  REQUIRE(r.status == 200);
  return r.json();
}

json revocations(const VaultProcess& v) {
  return v.root("GET", "/_test/revocations").json()["revocations"];
}

std::string reason_for(const VaultProcess& v, const std::string& lease_id) {
  for (const auto& r : revocations(v)) {
    if (r["lease_id"] == lease_id) return r["reason"];
  }
  return "";
}

MariaDbPair& pair_with_schema() {
  MariaDbPair& pair = MariaDbPair::shared();
  static bool once = [&] {
    pair.primary(
        "CREATE DATABASE IF NOT EXISTS vault_test; CREATE TABLE IF NOT EXISTS vault_test.t (i "
        "INT)");
    return true;
  }();
  (void)once;
  return pair;
}

}  // namespace

TEST_CASE("dynamic credentials log in on the primary and the replica; renew keeps, revoke drops",
          "[database]") {
  MariaDbPair& pair = pair_with_schema();
  VaultProcess v;
  configure_database(v, pair);
  make_role(v, "infralogs-reader");
  json c = creds(v, "infralogs-reader");
  std::string user = c["data"]["username"], pw = c["data"]["password"];
  std::string lease = c["lease_id"];
  CHECK(c["renewable"] == true);
  CHECK(c["lease_duration"] == 3600);
  CHECK(c["mount_type"] == "database");
  CHECK(c["auth"].is_null());
  CHECK(std::regex_match(lease, std::regex("database/creds/infralogs-reader/[A-Za-z0-9]{24}")));
  // mysql-database-plugin's template: v-<display 10>-<role 10>-<random 20>-<unix>, cut at 32.
  CHECK(user.size() == 32);
  CHECK(std::regex_match(user, std::regex("v-root-infralogs--[A-Za-z0-9]{14}")));
  CHECK(pw.size() == 20);
  CHECK(std::regex_search(pw, std::regex("[a-z]")));
  CHECK(std::regex_search(pw, std::regex("[A-Z]")));
  CHECK(std::regex_search(pw, std::regex("[0-9]")));
  CHECK(pw.find('-') != std::string::npos);

  CHECK(try_login(pair.primary_port(), user, pw) == 0);
  pair.sync_replica();
  CHECK(try_login(pair.replica_port(), user, pw) == 0);
  CHECK(try_login(pair.primary_port(), user, "wrong") == kAccessDenied);

  // hvac's renew sends "increment": null; the role's default_ttl applies.
  Reply renew =
      v.root("PUT", "/v1/sys/leases/renew", {{"lease_id", lease}, {"increment", nullptr}});
  REQUIRE(renew.status == 200);
  CHECK(renew.json()["lease_id"] == lease);
  CHECK(renew.json()["lease_duration"] == 3600);
  CHECK(renew.json()["data"].is_null());
  CHECK(renew.json()["warnings"].is_null());
  Reply custom = v.root("PUT", "/v1/sys/leases/renew/" + lease, {{"increment", 600}});
  CHECK(custom.json()["lease_duration"] == 600);
  CHECK(try_login(pair.primary_port(), user, pw) == 0);

  Reply look = v.root("PUT", "/v1/sys/leases/lookup", {{"lease_id", lease}});
  REQUIRE(look.status == 200);
  CHECK(look.json()["data"]["id"] == lease);
  CHECK(look.json()["data"]["renewable"] == true);
  CHECK(look.json()["data"]["ttl"] <= 600);
  CHECK(!look.json()["data"]["last_renewal"].is_null());

  Reply revoke = v.root("PUT", "/v1/sys/leases/revoke", {{"lease_id", lease}});
  CHECK(revoke.status == 204);
  CHECK(!user_exists(pair, user));
  CHECK(refused_as_gone(try_login(pair.primary_port(), user, pw)));
  pair.sync_replica();
  CHECK(refused_as_gone(try_login(pair.replica_port(), user, pw)));
  CHECK(reason_for(v, lease) == "revoked through sys/leases/revoke");
  CHECK(v.root("PUT", "/v1/sys/leases/lookup", {{"lease_id", lease}}).json()["errors"] ==
        json::array({"invalid lease"}));
  CHECK(v.root("PUT", "/v1/sys/leases/renew", {{"lease_id", lease}}).json()["errors"] ==
        json::array({"lease not found"}));
  // An unknown lease revokes silently; a missing id is an error.
  CHECK(v.root("PUT", "/v1/sys/leases/revoke/database/creds/x/unknown").status == 204);
  CHECK(v.root("PUT", "/v1/sys/leases/revoke", json::object()).json()["errors"] ==
        json::array({"lease_id must be specified"}));
  // Passwords never reach the log.
  CHECK(v.log().find(pw) == std::string::npos);
}

TEST_CASE("a lease that expires drops its user", "[database]") {
  MariaDbPair& pair = pair_with_schema();
  VaultProcess v;
  configure_database(v, pair);
  make_role(v, "brief", {{"default_ttl", "2s"}});
  json c = creds(v, "brief");
  std::string user = c["data"]["username"], pw = c["data"]["password"], lease = c["lease_id"];
  CHECK(c["lease_duration"] == 2);
  CHECK(try_login(pair.primary_port(), user, pw) == 0);
  REQUIRE(wait_until([&] { return !user_exists(pair, user); }, seconds(10)));
  CHECK(refused_as_gone(try_login(pair.primary_port(), user, pw)));
  CHECK(reason_for(v, lease) == "lease expired");
  CHECK(v.root("PUT", "/v1/sys/leases/renew", {{"lease_id", lease}}).json()["errors"] ==
        json::array({"lease not found"}));
}

TEST_CASE("expiring or revoking a token revokes the leases it created", "[database]") {
  MariaDbPair& pair = pair_with_schema();
  VaultProcess v;
  configure_database(v, pair);
  make_role(v, "app");
  REQUIRE(v.root("PUT", "/v1/sys/policies/acl/app",
                 {{"policy", R"(path "database/creds/app" { capabilities = ["read"] })"}})
              .status == 204);
  auto token = [&](const std::string& ttl) {
    return v.root("POST", "/v1/auth/token/create", {{"policies", "app"}, {"ttl", ttl}})
        .json()["auth"]["client_token"]
        .get<std::string>();
  };
  // The DB lease (1h) outlives the token (2s): the token's expiry takes the user with it.
  std::string short_lived = token("2s");
  json c = creds(v, "app", short_lived);
  std::string user = c["data"]["username"], pw = c["data"]["password"];
  CHECK(c["lease_duration"] == 3600);
  CHECK(std::regex_match(user, std::regex("v-token-app-[A-Za-z0-9]{20}")));
  CHECK(try_login(pair.primary_port(), user, pw) == 0);
  REQUIRE(wait_until([&] { return !user_exists(pair, user); }, seconds(10)));
  CHECK(reason_for(v, c["lease_id"]) == "token expired");

  std::string revoked = token("1h");
  json c2 = creds(v, "app", revoked);
  std::string user2 = c2["data"]["username"];
  REQUIRE(v.root("POST", "/v1/auth/token/revoke", {{"token", revoked}}).status == 204);
  CHECK(!user_exists(pair, user2));
  CHECK(reason_for(v, c2["lease_id"]) == "token revoked");

  std::string expired = token("1h");
  json c3 = creds(v, "app", expired);
  REQUIRE(v.root("POST", "/_test/tokens/expire", {{"token", expired}}).status == 204);
  CHECK(!user_exists(pair, c3["data"]["username"]));
  CHECK(reason_for(v, c3["lease_id"]) == "token expired");

  // A lease expired on demand.
  json c4 = creds(v, "app");
  REQUIRE(v.root("POST", "/_test/leases/expire", {{"lease_id", c4["lease_id"]}}).status == 204);
  CHECK(!user_exists(pair, c4["data"]["username"]));
}

TEST_CASE("max_ttl caps leases and renewals with Vault's warning", "[database]") {
  MariaDbPair& pair = pair_with_schema();
  VaultProcess v;
  configure_database(v, pair);
  make_role(v, "capped", {{"default_ttl", "1h"}, {"max_ttl", "4s"}});
  json c = creds(v, "capped");
  CHECK(c["lease_duration"] == 4);
  CHECK(c["warnings"] == json::array({"TTL of \"1h\" exceeded the effective max_ttl of \"4s\"; TTL "
                                      "value is capped accordingly"}));
  Reply renew =
      v.root("PUT", "/v1/sys/leases/renew", {{"lease_id", c["lease_id"]}, {"increment", 3600}});
  REQUIRE(renew.status == 200);
  int64_t left = renew.json()["lease_duration"];
  CHECK(left >= 1);
  CHECK(left <= 4);
  CHECK(renew.json()["warnings"] ==
        json::array({"TTL of \"1h\" exceeded the effective max_ttl of \"" + std::to_string(left) +
                     "s\"; TTL value is capped accordingly"}));
  std::string user = c["data"]["username"];
  REQUIRE(wait_until([&] { return !user_exists(pair, user); }, seconds(10)));

  // A mount's max_lease_ttl caps a role without max_ttl.
  REQUIRE(v.root("POST", "/v1/sys/mounts/database/tune", {{"max_lease_ttl", "90m"}}).status == 204);
  make_role(v, "mountcapped", {{"default_ttl", "2h"}, {"max_ttl", 0}});
  json m = creds(v, "mountcapped");
  CHECK(m["lease_duration"] == 5400);
  CHECK(m["warnings"] == json::array({"TTL of \"2h\" exceeded the effective max_ttl of \"1h30m\"; "
                                      "TTL value is capped accordingly"}));
}

TEST_CASE("static roles rotate at creation, on rotate-role and by rotation_period", "[database]") {
  MariaDbPair& pair = pair_with_schema();
  VaultProcess v;
  configure_database(v, pair);
  pair.primary("CREATE OR REPLACE USER 'static_reader'@'%' IDENTIFIED BY 'initial-pw'");
  CHECK(try_login(pair.primary_port(), "static_reader", "initial-pw") == 0);
  REQUIRE(v.root("POST", "/v1/database/static-roles/reader",
                 {{"db_name", "pair"}, {"username", "static_reader"}, {"rotation_period", "5s"}})
              .status == 204);
  json s = v.root("GET", "/v1/database/static-creds/reader").json();
  std::string pw1 = s["data"]["password"];
  CHECK(s["lease_id"] == "");
  CHECK(s["renewable"] == false);
  CHECK(s["lease_duration"] == 0);
  CHECK(s["data"]["username"] == "static_reader");
  CHECK(s["data"]["rotation_period"] == 5);
  CHECK(s["data"]["ttl"] <= 5);
  CHECK(try_login(pair.primary_port(), "static_reader", "initial-pw") == kAccessDenied);
  CHECK(try_login(pair.primary_port(), "static_reader", pw1) == 0);

  // hvac has no rotate-role helper; clients write to the path.
  REQUIRE(v.root("POST", "/v1/database/rotate-role/reader").status == 204);
  std::string pw2 = v.root("GET", "/v1/database/static-creds/reader").json()["data"]["password"];
  CHECK(pw2 != pw1);
  CHECK(try_login(pair.primary_port(), "static_reader", pw1) == kAccessDenied);
  CHECK(try_login(pair.primary_port(), "static_reader", pw2) == 0);

  // rotation_period: a new password within about 5 s.
  REQUIRE(wait_until(
      [&] {
        return v.root("GET", "/v1/database/static-creds/reader").json()["data"]["password"] != pw2;
      },
      seconds(9)));
  std::string pw3 = v.root("GET", "/v1/database/static-creds/reader").json()["data"]["password"];
  CHECK(try_login(pair.primary_port(), "static_reader", pw2) == kAccessDenied);
  CHECK(try_login(pair.primary_port(), "static_reader", pw3) == 0);

  CHECK(v.root("POST", "/v1/database/rotate-role/nope").json()["errors"] ==
        json::array({"no static role found for role name"}));
  CHECK(v.root("GET", "/v1/database/static-creds/nope").json()["errors"] ==
        json::array({"unknown role: nope"}));
  Reply nouser =
      v.root("POST", "/v1/database/static-roles/ghost",
             {{"db_name", "pair"}, {"username", "no_such_user"}, {"rotation_period", 60}});
  CHECK(nouser.status == 500);
  CHECK(nouser.json()["errors"][0].get<std::string>().find("error setting credentials") !=
        std::string::npos);
  CHECK(v.root("POST", "/v1/database/static-roles/short",
               {{"db_name", "pair"}, {"username", "static_reader"}, {"rotation_period", 2}})
            .json()["errors"] == json::array({"rotation_period must be 5 seconds or more"}));
}

TEST_CASE("revocation leaves open sessions alive unless the kill switch is on", "[database]") {
  MariaDbPair& pair = pair_with_schema();
  VaultProcess v;
  configure_database(v, pair);
  make_role(v, "sessions");
  json c = creds(v, "sessions");
  Session open(pair.primary_port(), c["data"]["username"], c["data"]["password"], "vault_test");
  CHECK(open.query("SELECT COUNT(*) FROM t") == 0);
  REQUIRE(v.root("PUT", "/v1/sys/leases/revoke", {{"lease_id", c["lease_id"]}}).status == 204);
  // Vault's default: DROP USER only; the session on its default database keeps working.
  CHECK(open.query("SELECT COUNT(*) FROM t") == 0);
  CHECK(refused_as_gone(
      try_login(pair.primary_port(), c["data"]["username"], c["data"]["password"])));

  REQUIRE(v.root("POST", "/_test/settings", {{"kill_sessions_on_revoke", true}}).status == 200);
  json k = creds(v, "sessions");
  Session doomed(pair.primary_port(), k["data"]["username"], k["data"]["password"], "vault_test");
  CHECK(doomed.query("SELECT 1") == 0);
  REQUIRE(v.root("PUT", "/v1/sys/leases/revoke", {{"lease_id", k["lease_id"]}}).status == 204);
  unsigned int e = doomed.query("SELECT 1");
  CHECK((e == 2006 || e == 2013 || e == 1927 || e == 4031));
}

TEST_CASE("database errors: unknown and disallowed roles, bad SQL, rotate-root", "[database]") {
  MariaDbPair& pair = pair_with_schema();
  VaultProcess v;
  DbSetup setup = configure_database(v, pair, "allowed-*");
  CHECK(v.root("GET", "/v1/database/creds/nope").json()["errors"] ==
        json::array({"unknown role: nope"}));
  make_role(v, "denied");
  Reply denied = v.root("GET", "/v1/database/creds/denied");
  CHECK(denied.status == 500);
  CHECK(denied.json()["errors"] ==
        json::array({"1 error occurred:\n\t* \"denied\" is not an allowed role\n\n"}));
  make_role(v, "allowed-bad",
            {{"creation_statements",
              "CREATE USER '{{name}}'@'%' IDENTIFIED BY '{{password}}'; GRANT NONSENSE"}});
  Reply bad = v.root("GET", "/v1/database/creds/allowed-bad");
  CHECK(bad.status == 500);
  std::string msg = bad.json()["errors"][0];
  CHECK(msg.rfind("1 error occurred:\n\t* Error 1064 (42000): ", 0) == 0);
  make_role(v, "allowed-empty", {{"creation_statements", json::array()}});
  CHECK(v.root("GET", "/v1/database/creds/allowed-empty").json()["errors"] ==
        json::array({"1 error occurred:\n\t* empty creation statements\n\n"}));
  CHECK(v.root("POST", "/v1/database/creds/allowed-bad").status == 405);

  // The config read never returns the password; rotate-root replaces it with one only Vault knows.
  json cfg = v.root("GET", "/v1/database/config/pair").json()["data"];
  CHECK(cfg["connection_details"]["username"] == setup.admin_user);
  CHECK(!cfg["connection_details"].contains("password"));
  CHECK(cfg.dump().find(setup.admin_password) == std::string::npos);
  REQUIRE(v.root("POST", "/v1/database/rotate-root/pair").status == 204);
  CHECK(try_login(pair.primary_port(), setup.admin_user, setup.admin_password) == kAccessDenied);
  make_role(v, "allowed-after-rotation");
  json c = creds(v, "allowed-after-rotation");
  CHECK(try_login(pair.primary_port(), c["data"]["username"], c["data"]["password"]) == 0);

  // A bad connection is refused at configuration time with the server's error.
  Reply wrong = v.root("POST", "/v1/database/config/wrong",
                       {{"plugin_name", "mysql-database-plugin"},
                        {"connection_url", "{{username}}:{{password}}@tcp(127.0.0.1:" +
                                               std::to_string(pair.primary_port()) + ")/"},
                        {"username", "nobody"},
                        {"password", "secret-nobody-pw"}});
  CHECK(wrong.status == 400);
  std::string werr = wrong.json()["errors"][0];
  INFO(werr);
  // MariaDB answers 1045, or 1698 for a user it has never seen once others logged in.
  CHECK(std::regex_search(werr,
                          std::regex("^error creating database object: error verifying "
                                     "connection: Error 1(045|698) \\(28000\\): Access denied")));
  CHECK(werr.find("secret-nobody-pw") == std::string::npos);
}

TEST_CASE("async revoke, disabling a mount, and a revocation that fails and is retried",
          "[database]") {
  MariaDbPair& pair = pair_with_schema();
  {
    VaultProcess v;
    configure_database(v, pair);
    make_role(v, "r");
    json a = creds(v, "r");
    Reply async =
        v.root("PUT", "/v1/sys/leases/revoke", {{"lease_id", a["lease_id"]}, {"sync", false}});
    CHECK(async.status == 202);
    CHECK(async.body.empty());
    CHECK(wait_until([&] { return !user_exists(pair, a["data"]["username"]); }, seconds(10)));
    json b = creds(v, "r");
    REQUIRE(v.root("DELETE", "/v1/sys/mounts/database").status == 204);
    CHECK(!user_exists(pair, b["data"]["username"]));
    CHECK(reason_for(v, b["lease_id"]) == "mount disabled");
    CHECK(v.root("GET", "/v1/database/creds/r").status == 404);
  }
  VaultProcess v;
  configure_database(v, pair);
  make_role(v, "stuck", {{"revocation_statements", "DROP USER 'gone_{{name}}'@'%'"}});
  json c = creds(v, "stuck");
  Reply fail = v.root("PUT", "/v1/sys/leases/revoke", {{"lease_id", c["lease_id"]}});
  CHECK(fail.status == 400);
  CHECK(fail.json()["errors"][0].get<std::string>().rfind(
            "failed to revoke entry: Error 1396 (HY000): Operation DROP USER failed", 0) == 0);
  CHECK(user_exists(pair, c["data"]["username"]));
  auto failures = [&] {
    json leases = v.root("GET", "/_test/leases").json()["leases"];
    for (const auto& l : leases) {
      if (l["lease_id"] == c["lease_id"]) return l["revoke_failures"].get<int>();
    }
    return -1;
  };
  CHECK(failures() == 1);
  // Retried in the background after 2 s; still failing, still listed.
  CHECK(wait_until([&] { return failures() >= 2; }, seconds(10)));
  // A mount with a lease that cannot be revoked stays.
  CHECK(v.root("DELETE", "/v1/sys/mounts/database").status == 400);
  pair.primary("DROP USER '" + c["data"]["username"].get<std::string>() + "'@'%'");
}

TEST_CASE("a username_template longer than 32 characters works on MariaDB", "[database]") {
  MariaDbPair& pair = pair_with_schema();
  VaultProcess v;
  DbSetup s = configure_database(v, pair);
  Reply r = v.root(
      "POST", "/v1/database/config/long",
      {{"plugin_name", "mysql-database-plugin"},
       {"connection_url",
        "{{username}}:{{password}}@tcp(127.0.0.1:" + std::to_string(pair.primary_port()) + ")/"},
       {"allowed_roles", "*"},
       {"username", s.admin_user},
       {"password", s.admin_password},
       {"username_template",
        R"({{ printf "infralogs-%s-%s-%s" (.RoleName | lowercase) (random 40) (unix_time) | truncate 100 }})"}});
  INFO(r.body);
  REQUIRE(r.status == 204);
  REQUIRE(v.root("POST", "/v1/database/roles/Long-Role",
                 {{"db_name", "long"}, {"creation_statements", kCreate}})
              .status == 204);
  json c = creds(v, "Long-Role");
  std::string user = c["data"]["username"];
  CHECK(user.size() > 32);
  CHECK(std::regex_match(user, std::regex("infralogs-long-role-[A-Za-z0-9]{40}-[0-9]{10}")));
  CHECK(try_login(pair.primary_port(), user, c["data"]["password"]) == 0);
  CHECK(v.root("POST", "/v1/database/config/badtmpl",
               {{"plugin_name", "mysql-database-plugin"},
                {"connection_url", "x:y@tcp(127.0.0.1:1)/"},
                {"verify_connection", false},
                {"username_template", "{{ nosuch .RoleName }}"}})
            .json()["errors"][0]
            .get<std::string>()
            .find("unable to initialize username template") != std::string::npos);
}

}  // namespace infralogs::vtest

namespace infralogs::vtest {
namespace {

// Every secret test-vault hands out is listed by GET /_test/issued, so that a test can look
// for each one in the logs it collected (test/vault/load_test.cpp does).
TEST_CASE("/_test/issued lists every password, token and secret ID handed out", "[database]") {
  MariaDbPair& pair = pair_with_schema();
  VaultProcess v;
  configure_database(v, pair);
  make_role(v, "issued-reader");
  json c = creds(v, "issued-reader");
  pair.primary(
      "CREATE OR REPLACE USER 'st_issued'@'%' IDENTIFIED BY 'initial'; "
      "GRANT SELECT ON vault_test.* TO 'st_issued'@'%'");
  REQUIRE(v.root("POST", "/v1/database/static-roles/issued",
                 {{"db_name", "pair"}, {"username", "st_issued"}, {"rotation_period", "3600s"}})
              .status == 204);
  REQUIRE(v.root("POST", "/v1/database/rotate-role/issued").status == 204);
  std::string static_pw =
      v.root("GET", "/v1/database/static-creds/issued").json()["data"]["password"];
  std::string token = v.root("POST", "/v1/auth/token/create", {{"policies", "default"}})
                          .json()["auth"]["client_token"];
  REQUIRE(v.root("POST", "/v1/sys/auth/approle", {{"type", "approle"}}).status == 204);
  REQUIRE(v.root("POST", "/v1/auth/approle/role/r", {{"token_policies", "default"}}).status == 204);
  std::string role_id = v.root("GET", "/v1/auth/approle/role/r/role-id").json()["data"]["role_id"];
  std::string secret_id =
      v.root("POST", "/v1/auth/approle/role/r/secret-id").json()["data"]["secret_id"];
  Reply login =
      v.call("POST", "/v1/auth/approle/login", {{"role_id", role_id}, {"secret_id", secret_id}});
  REQUIRE(login.status == 200);
  std::string login_token = login.json()["auth"]["client_token"];

  Reply r = v.root("GET", "/_test/issued");
  INFO(r.body);
  REQUIRE(r.status == 200);
  std::multimap<std::string, std::string> issued;
  json all = r.json();  // kept: the loop refers into it
  for (const json& i : all["issued"])
    issued.emplace(i["kind"].get<std::string>(), i["value"].get<std::string>());
  auto has = [&](const std::string& kind, const std::string& value) {
    auto [b, e] = issued.equal_range(kind);
    for (auto it = b; it != e; ++it) {
      if (it->second == value) return true;
    }
    return false;
  };
  CHECK(has("database_password", c["data"]["password"]));
  CHECK(has("static_password", static_pw));
  CHECK(issued.count("static_password") == 2);  // at creation and on rotate-role
  CHECK(has("token", token));
  CHECK(has("token", login_token));
  CHECK(has("secret_id", secret_id));
  REQUIRE(v.root("POST", "/v1/database/rotate-root/pair").status == 204);
  CHECK(v.root("GET", "/_test/issued").json()["issued"].back()["kind"] == "root_password");

  REQUIRE(v.root("DELETE", "/_test/issued").status == 204);
  CHECK(v.root("GET", "/_test/issued").json()["issued"].empty());
  CHECK(v.call("GET", "/_test/issued", nullptr, token).status == 403);
}

}  // namespace
}  // namespace infralogs::vtest

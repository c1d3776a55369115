// TLS on both sides: test-vault serving HTTPS, and its database connection to a MariaDB pair
// started with --tls --require-secure-transport. Run by ctest as "vault: tls".

#include <catch2/catch.hpp>

#include "vault_fixture.h"

namespace infralogs::vtest {

using nlohmann::json;

TEST_CASE("HTTPS and a database that requires secure transport", "[tls]") {
  TempDir certs;
  std::string cert = certs.path() + "/vault.pem", key = certs.path() + "/vault.key";
  CommandResult gen = run({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                           "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                           "-keyout", key, "-out", cert});
  INFO(gen.err);
  REQUIRE(gen.exit_code == 0);
  VaultProcess v({"--tls-cert", cert, "--tls-key", key});
  REQUIRE(v.call("GET", "/v1/sys/health").status == 200);

  MariaDbPair pair({"--tls", "--require-secure-transport"});
  std::string ca = pair.env()["TLS_CA"];
  REQUIRE(!ca.empty());
  std::string admin = pair.admin_user(), admin_pw = pair.admin_password();
  // MariaDB 10.11 refuses a login without TLS under require_secure_transport with 1045.
  CHECK(try_login(pair.primary_port(), admin, admin_pw) == 1045);
  CHECK(try_login(pair.primary_port(), admin, admin_pw, ca) == 0);
  pair.primary(
      "CREATE USER 'vaultadmin'@'%' IDENTIFIED BY 'tls-admin-pw'; "
      "GRANT ALL PRIVILEGES ON *.* TO 'vaultadmin'@'%' WITH GRANT OPTION");

  REQUIRE(v.root("POST", "/v1/sys/mounts/database", {{"type", "database"}}).status == 204);
  std::string url =
      "{{username}}:{{password}}@tcp(127.0.0.1:" + std::to_string(pair.primary_port()) + ")/";
  json base = {{"plugin_name", "mysql-database-plugin"},
               {"connection_url", url},
               {"allowed_roles", "*"},
               {"username", "vaultadmin"},
               {"password", "tls-admin-pw"}};
  Reply plain = v.root("POST", "/v1/database/config/pair", base);
  CHECK(plain.status == 400);
  CHECK(plain.body.find("Error 1045 (28000)") != std::string::npos);
  json with_tls = base;
  with_tls["tls_ca"] = read_file(ca);
  Reply ok = v.root("POST", "/v1/database/config/pair", with_tls);
  INFO(ok.body);
  REQUIRE(ok.status == 204);
  REQUIRE(
      v.root("POST", "/v1/database/roles/r",
             {{"db_name", "pair"},
              {"creation_statements", "CREATE USER '{{name}}'@'%' IDENTIFIED BY '{{password}}'"}})
          .status == 204);
  Reply c = v.root("GET", "/v1/database/creds/r");
  REQUIRE(c.status == 200);
  std::string user = c.json()["data"]["username"], pw = c.json()["data"]["password"];
  CHECK(try_login(pair.primary_port(), user, pw, ca) == 0);
  pair.sync_replica();
  CHECK(try_login(pair.replica_port(), user, pw, ca) == 0);
  REQUIRE(v.root("PUT", "/v1/sys/leases/revoke", {{"lease_id", c.json()["lease_id"]}}).status ==
          204);
  unsigned int gone = try_login(pair.primary_port(), user, pw, ca);
  CHECK((gone == 1045 || gone == 1698));  // 1698: MariaDB hiding that the user is gone
}

}  // namespace infralogs::vtest

// MySQL over TLS: MariaDbLogStore and MariaDbLogReader against the MariaDB pair started with a
// certificate and require_secure_transport (scripts/mariadb-pair start --tls
// --require-secure-transport): verified TLS works, a wrong CA and a plain connection fail with
// a message naming the server and never the password.

#include <catch2/catch.hpp>

#include "fakes/fake_credential_source.h"
#include "infralogs/storage/mariadb_log_reader.h"
#include "infralogs/storage/mariadb_log_store.h"
#include "support/mariadb_pair.h"
#include "support/pki.h"

using namespace infralogs;
using infralogs::test::MariaDbPair;

namespace {

// The fake source's password for user "tls_user".
constexpr const char* kPassword = "pw-tls_user";

storage::MariaDbConnectionOptions options(int port, std::string ca) {
  storage::MariaDbConnectionOptions o;
  o.port = port;
  o.database = "tlsdb";
  o.tls_ca = std::move(ca);
  return o;
}

}  // namespace

TEST_CASE("MySQL TLS: verified TLS works, a wrong CA and a plain login fail clearly",
          "[integration][tls]") {
  MariaDbPair pair(MariaDbPair::Options{.tls = true, .require_secure_transport = true});
  // Root works over the socket, which counts as secure transport.
  pair.primary("CREATE DATABASE tlsdb; CREATE USER 'tls_user'@'127.0.0.1' IDENTIFIED BY '" +
               std::string(kPassword) + "'; GRANT ALL ON tlsdb.* TO 'tls_user'@'127.0.0.1'");
  fakes::FakeCredentialSource source;
  source.set_user("tls_user");

  // Verified TLS: the writer migrates the primary, the reader reads the replica.
  storage::MariaDbLogStore store(options(pair.primary_port(), pair.tls_ca()), source);
  REQUIRE(store.migrate().is_ok());
  REQUIRE(store.check_schema().is_ok());
  REQUIRE(store.heartbeat("tls-test").is_ok());
  pair.sync_replica();
  storage::MariaDbLogReader reader(options(pair.replica_port(), pair.tls_ca()), source);
  auto beat = reader.heartbeat_usec();
  REQUIRE(beat.has_value());
  CHECK(beat->has_value());
  // (require_secure_transport refuses anything but TLS, so these connections were TLS.)

  // A CA that did not sign the server's certificate: refused, naming the server, retryable.
  test::Pki other;
  storage::MariaDbLogStore wrong_ca(options(pair.primary_port(), other.ca_cert()), source);
  Status s = wrong_ca.check_schema();
  INFO(s.to_string());
  CHECK(s.code() == StatusCode::kUnavailable);
  CHECK(s.message().find("127.0.0.1:" + std::to_string(pair.primary_port())) != std::string::npos);
  CHECK(s.message().find("over TLS") != std::string::npos);
  CHECK(s.message().find(kPassword) == std::string::npos);

  // Plain to a server with require_secure_transport: MariaDB says only "access denied", the
  // store says TLS is required and which option gives it, and asks for no new credentials.
  int refreshes = source.refreshes();
  storage::MariaDbLogReader plain(options(pair.replica_port(), ""), source);
  s = plain.ping();
  INFO(s.to_string());
  CHECK(s.code() == StatusCode::kInvalidArgument);
  CHECK(s.message().find("127.0.0.1:" + std::to_string(pair.replica_port())) != std::string::npos);
  CHECK(s.message().find("requires TLS") != std::string::npos);
  CHECK(s.message().find("--db-tls-ca") != std::string::npos);
  CHECK(s.message().find(kPassword) == std::string::npos);
  CHECK(source.refreshes() == refreshes);

  // A wrong password over plain is still an ordinary access denial, not "TLS required".
  source.set_user("nobody");
  s = storage::MariaDbLogReader(options(pair.replica_port(), ""), source).ping();
  INFO(s.to_string());
  CHECK(s.code() == StatusCode::kPermissionDenied);
  CHECK(s.message().find("requires TLS") == std::string::npos);
}

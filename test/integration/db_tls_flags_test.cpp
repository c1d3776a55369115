// The modes' --db-tls-* flags against a MariaDB pair that requires TLS: with the CA every mode
// connects over verified TLS, without it the failure says TLS is required.

#include <catch2/catch.hpp>
#include <string>

#include "support/binaries.h"
#include "support/mariadb_pair.h"
#include "support/process.h"

using namespace infralogs::test;

TEST_CASE("modes connect to MySQL over verified TLS with --db-tls-ca", "[integration][db-tls]") {
  MariaDbPair pair(MariaDbPair::Options{.tls = true, .require_secure_transport = true});
  // create_database migrates with `collect --migrate --db-tls-ca`: the writer over TLS.
  auto db = pair.create_database("tlsflags");

  auto q = run({infralogs_binary(), "query", "--db", db.replica_url, "--db-credentials-file",
                db.reader_credentials, "--db-tls-ca", pair.tls_ca(), "--no-pager"});
  INFO(q.err);
  CHECK(q.exit_code == 0);

  auto plain = run({infralogs_binary(), "collect", "--migrate", "--db", db.primary_url,
                    "--db-credentials-file", db.admin_credentials});
  CHECK(plain.exit_code != 0);
  CHECK(plain.exit_code != 2);  // not a usage error: the server refused
  CHECK(plain.err.find("requires TLS") != std::string::npos);
  CHECK(plain.err.find("--db-tls-ca") != std::string::npos);

  auto half = run({infralogs_binary(), "query", "--db", db.replica_url, "--db-credentials-file",
                   db.reader_credentials, "--db-tls-ca", pair.tls_ca(), "--db-tls-cert",
                   pair.tls_ca(), "--no-pager"});
  CHECK(half.exit_code == 2);
  CHECK(half.err.find("--db-tls-key") != std::string::npos);
}

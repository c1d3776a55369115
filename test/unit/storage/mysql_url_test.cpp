#include <catch2/catch.hpp>

#include "infralogs/storage/mariadb_options.h"

using namespace infralogs;

TEST_CASE("database URLs are mysql://HOST:PORT/DATABASE without credentials", "[storage]") {
  auto o = storage::parse_mysql_url("mysql://db.internal:13306/infralogs");
  REQUIRE(o.has_value());
  CHECK(o->host == "db.internal");
  CHECK(o->port == 13306);
  CHECK(o->database == "infralogs");
  CHECK(storage::parse_mysql_url("mysql://h/logs")->port == 3306);
  for (const char* bad :
       {"postgres://h/db", "mysql://h:1/", "mysql://h:99999/db", "mysql://user:pw@h/db",
        "mysql://:1/db", "mysql://h/db;drop", "mysql://h:x/db"}) {
    INFO(bad);
    CHECK(storage::parse_mysql_url(bad).status().code() == StatusCode::kInvalidArgument);
  }
}

TEST_CASE("TLS options: a client certificate needs its key and a CA", "[storage]") {
  storage::MariaDbConnectionOptions o;
  CHECK(storage::validate(o).is_ok());  // plain
  o.tls_ca = "/ca.pem";
  CHECK(storage::validate(o).is_ok());  // verified TLS, no client certificate
  o.tls_cert = "/client.pem";
  Status s = storage::validate(o);
  CHECK(s.code() == StatusCode::kInvalidArgument);
  CHECK(s.message().find("--db-tls-key") != std::string::npos);
  o.tls_key = "/client.key";
  CHECK(storage::validate(o).is_ok());
  o.tls_ca.clear();
  s = storage::validate(o);
  CHECK(s.code() == StatusCode::kInvalidArgument);
  CHECK(s.message().find("--db-tls-ca") != std::string::npos);
}

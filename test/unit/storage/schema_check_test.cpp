#include <mysqld_error.h>

#include <catch2/catch.hpp>

#include "infralogs/storage/mariadb_log_store.h"
#include "storage/migrations.h"

using namespace infralogs;
using storage::schema_verdict;

TEST_CASE("check_schema says to migrate when schema_migrations does not exist, by error number",
          "[storage]") {
  Status no_table = Status::internal("execute: Table 'logs.schema_migrations' doesn't exist");
  Status s = schema_verdict(no_table, ER_NO_SUCH_TABLE, std::nullopt, 1);
  CHECK(s.code() == StatusCode::kInvalidArgument);
  CHECK(s.message() ==
        "the database has no infralogs schema: run 'infralogs collect --migrate' first");
  // The same words under another error number are not "no schema": the failure stays as it is.
  Status denied = Status::permission_denied("execute: SELECT command denied, table doesn't exist");
  s = schema_verdict(denied, ER_TABLEACCESS_DENIED_ERROR, std::nullopt, 1);
  CHECK(s.code() == StatusCode::kPermissionDenied);
  CHECK(s.message() == denied.message());
  Status gone = Status::unavailable("execute: Lost connection to server during query");
  CHECK(schema_verdict(gone, 2013, std::nullopt, 1).code() == StatusCode::kUnavailable);
}

TEST_CASE("check_schema accepts the current version and names an older one", "[storage]") {
  int needed = storage::schema_version();
  CHECK(schema_verdict(Status::ok(), 0, std::to_string(needed), needed).is_ok());
  CHECK(schema_verdict(Status::ok(), 0, std::to_string(needed + 1), needed).is_ok());
  Status old = schema_verdict(Status::ok(), 0, "0", 3);
  CHECK(old.code() == StatusCode::kInvalidArgument);
  CHECK(old.message() ==
        "the database schema is version 0, this binary needs 3: run 'infralogs collect --migrate'");
}

TEST_CASE("a schema version that is not a number is corruption, not an exception", "[storage]") {
  for (const char* bad : {"", "x1", "1.5", "-1", "99999999999999999999", "4294967296"}) {
    INFO(bad);
    Status s = schema_verdict(Status::ok(), 0, std::string(bad), 1);
    CHECK(s.code() == StatusCode::kCorruption);
    CHECK(s.message().find("schema_migrations holds version") != std::string::npos);
  }
  CHECK(schema_verdict(Status::ok(), 0, std::nullopt, 1).code() == StatusCode::kCorruption);
  CHECK(storage::parse_schema_version(std::string("12")).value() == 12);
}

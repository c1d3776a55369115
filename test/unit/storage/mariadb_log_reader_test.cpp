#include "infralogs/storage/mariadb_log_reader.h"

#include <catch2/catch.hpp>

#include "fakes/fake_credential_source.h"

using namespace infralogs;

namespace {}  // namespace

TEST_CASE("the MariaDB reader connects on first need and refuses a zero-row search first",
          "[storage]") {
  fakes::FakeCredentialSource credentials;
  credentials.set_failure(Status::unavailable("no database in unit tests"));
  storage::MariaDbConnectionOptions connection;
  connection.port = 1;
  storage::MariaDbLogReader reader(connection, credentials);
  CHECK(credentials.asked() == 0);
  storage::SearchQuery q;
  q.window = {0, 1000};
  q.limit = 0;
  auto page = reader.search(q);
  CHECK(page.status().code() == StatusCode::kInvalidArgument);
  CHECK(credentials.asked() == 0);
  q.limit = 1;
  CHECK(reader.search(q).status().code() == StatusCode::kUnavailable);
  CHECK(credentials.asked() == 1);
}

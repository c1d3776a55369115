#include <catch2/catch.hpp>

#include "fakes/fake_log_reader.h"
#include "infralogs/core/metrics.h"
#include "infralogs/storage/log_reader.h"

using namespace infralogs;
using storage::CredentialStatus;

TEST_CASE("credential metrics: current and older generations, auth retries as a counter",
          "[storage]") {
  CredentialStatus s;
  s.generation = 3;
  s.connections = {{1, 1, 0}, {2, 2, 0}, {3, 4, 5}};
  s.auth_retries = 2;
  MetricsRegistry r;
  storage::update_credential_metrics(s, "reader", r);
  std::string text = r.render();
  INFO(text);
  CHECK(text.find(
            R"(infralogs_db_connections{role="reader",generations="current",state="in_use"} 4)") !=
        std::string::npos);
  CHECK(text.find(
            R"(infralogs_db_connections{role="reader",generations="current",state="idle"} 5)") !=
        std::string::npos);
  CHECK(text.find(
            R"(infralogs_db_connections{role="reader",generations="older",state="in_use"} 3)") !=
        std::string::npos);
  CHECK(text.find(R"(infralogs_db_credential_generation{role="reader"} 3)") != std::string::npos);
  CHECK(text.find(R"(infralogs_db_auth_retries_total{role="reader"} 2)") != std::string::npos);
  // Updating again with more retries raises the counter to the new total, never past it.
  s.auth_retries = 5;
  s.connections = {{3, 0, 1}};
  storage::update_credential_metrics(s, "reader", r);
  text = r.render();
  CHECK(text.find(R"(infralogs_db_auth_retries_total{role="reader"} 5)") != std::string::npos);
  CHECK(text.find(
            R"(infralogs_db_connections{role="reader",generations="older",state="in_use"} 0)") !=
        std::string::npos);
}

TEST_CASE("credential status: a reader without credentials says so", "[storage]") {
  test::FakeLogReader reader;
  auto status = reader.credentials();
  REQUIRE(!status.has_value());
  CHECK(status.status().code() == StatusCode::kNotFound);
}

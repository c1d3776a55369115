// update_credential_metrics' age and expiry gauges (issue 10: /metrics says how old the
// credentials are and when they expire).

#include <catch2/catch.hpp>

#include "infralogs/storage/log_reader.h"

using namespace infralogs;

TEST_CASE("credential age and expiry gauges, absent while unknown", "[storage][credentials]") {
  constexpr uint64_t kSec = 1000000, kNow = 1'800'000'000 * kSec;
  MetricsRegistry m;
  storage::CredentialStatus s;
  s.username = "u";
  storage::update_credential_metrics(s, "reader", m, kNow);
  std::string text = m.render();
  CHECK(text.find("infralogs_db_credential_age_seconds") == std::string::npos);
  CHECK(text.find("infralogs_db_credential_expires_in_seconds") == std::string::npos);

  s.obtained_usec = kNow - 90 * kSec;
  s.expires_usec = kNow + 3510 * kSec;
  storage::update_credential_metrics(s, "reader", m, kNow);
  text = m.render();
  CHECK(text.find("infralogs_db_credential_age_seconds{role=\"reader\"} 90") != std::string::npos);
  CHECK(text.find("infralogs_db_credential_expires_in_seconds{role=\"reader\"} 3510") !=
        std::string::npos);

  s.expires_usec = kNow - 2 * kSec;  // past: negative
  storage::update_credential_metrics(s, "reader", m, kNow);
  CHECK(m.render().find("infralogs_db_credential_expires_in_seconds{role=\"reader\"} -2") !=
        std::string::npos);
}

#include <chrono>

#include "infralogs/storage/log_reader.h"

namespace infralogs::storage {

void update_credential_metrics(const CredentialStatus& status, const std::string& role,
                               MetricsRegistry& metrics) {
  update_credential_metrics(
      status, role, metrics,
      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count()));
}

void update_credential_metrics(const CredentialStatus& status, const std::string& role,
                               MetricsRegistry& metrics, uint64_t now_usec) {
  size_t current_in_use = 0, current_idle = 0, older_in_use = 0, older_idle = 0;
  for (const GenerationConnections& g : status.connections) {
    if (g.generation == status.generation) {
      current_in_use += g.in_use;
      current_idle += g.idle;
    } else {
      older_in_use += g.in_use;
      older_idle += g.idle;
    }
  }
  const char* help = "Database connections by credential generation (current or older)";
  auto set = [&](const char* generations, const char* state, size_t n) {
    metrics
        .gauge("infralogs_db_connections", help,
               {{"role", role}, {"generations", generations}, {"state", state}})
        .set(static_cast<double>(n));
  };
  set("current", "in_use", current_in_use);
  set("current", "idle", current_idle);
  set("older", "in_use", older_in_use);
  set("older", "idle", older_idle);
  metrics
      .gauge("infralogs_db_credential_generation",
             "Credential generation new database connections use", {{"role", role}})
      .set(static_cast<double>(status.generation));
  Counter& retries = metrics.counter("infralogs_db_auth_retries_total",
                                     "Database logins refused, then retried with refetched "
                                     "credentials",
                                     {{"role", role}});
  if (status.auth_retries > retries.value()) retries.inc(status.auth_retries - retries.value());
  // Seconds, signed: a clock step or an expiry already past gives a negative value, which is
  // what an alert on "expires within N s" must see.
  auto seconds = [](uint64_t a, uint64_t b) {
    return (static_cast<double>(a) - static_cast<double>(b)) / 1e6;
  };
  if (status.obtained_usec) {
    metrics
        .gauge("infralogs_db_credential_age_seconds",
               "Seconds since the current database credentials were obtained", {{"role", role}})
        .set(seconds(now_usec, *status.obtained_usec));
  }
  if (status.expires_usec) {
    metrics
        .gauge("infralogs_db_credential_expires_in_seconds",
               "Seconds until the current database credentials expire (lease end or next "
               "rotation); negative once past",
               {{"role", role}})
        .set(seconds(*status.expires_usec, now_usec));
  }
}

}  // namespace infralogs::storage

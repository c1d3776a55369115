#include "infralogs/storage/log_reader.h"

namespace infralogs::storage {

void update_credential_metrics(const CredentialStatus& status, const std::string& role,
                               MetricsRegistry& metrics) {
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
}

}  // namespace infralogs::storage

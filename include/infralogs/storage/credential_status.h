#pragma once
// CredentialStatus: which credentials a store or reader uses and how its connections are spread
// over credential generations, for the dashboard's Credentials panel, /healthz and /metrics.
// Storage-neutral: no MySQL types. Never holds a password. Plain values: thread-safe to copy.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "infralogs/core/metrics.h"
#include "infralogs/secrets/credential_source.h"

namespace infralogs::storage {

// Connections of one credential generation.
struct GenerationConnections {
  uint64_t generation = 0;
  size_t in_use = 0;  // leased (a statement may be running), or being opened
  size_t idle = 0;    // pooled for reuse; only the current generation has idle ones
  bool operator==(const GenerationConnections&) const = default;
};

struct CredentialStatus {
  secrets::CredentialInfo credentials;  // what the credential source says (never the password)
  uint64_t generation = 0;              // the generation new connections belong to
  // Oldest first; always includes `generation`. More than one entry while a switch drains.
  std::vector<GenerationConnections> connections;
  uint64_t auth_retries = 0;  // logins refused, then retried with refetched credentials
};

// Sets these metrics, labelled role=`role` ("writer", "reader"):
//   infralogs_db_connections{role,generations="current"|"older",state="in_use"|"idle"} gauge
//   infralogs_db_credential_generation{role} gauge
//   infralogs_db_auth_retries_total{role} counter (raised to status.auth_retries)
// Older generations are summed so that rotations do not add series. Call it before rendering
// /metrics; one status per role and registry.
void update_credential_metrics(const CredentialStatus& status, const std::string& role,
                               MetricsRegistry& metrics);

}  // namespace infralogs::storage

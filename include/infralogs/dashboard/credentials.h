#pragma once
// The Credentials panel's JSON (docs/dashboard-api.md, GET /api/credentials and /healthz): what
// each mode's database credentials are, how old they are, when they expire, and the warnings an
// operator should see. Pure functions of plain values: thread-safe. Never a password: the
// inputs carry none.

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

#include "infralogs/storage/log_reader.h"

namespace infralogs::dashboard {

struct CredentialWarningOptions {
  // Warn when the credentials expire within this long...
  std::chrono::seconds expires_within{10 * 60};
  // ...or within this fraction of their lifetime (expires - obtained), whichever is longer.
  double expires_within_fraction = 0.1;
  // A mode's report older than this is stale (the dashboard's stale_after).
  std::chrono::seconds report_stale_after{15 * 60};
};

// {source, location, user, obtained, expires, last_switch (µs or null), age_s, expires_in_s,
// ttl_s (null when unknown; expires_in_s negative once past), switches, failures, last_error,
// source_reachable}. `now_usec` is the clock.
nlohmann::json credential_json(const storage::CredentialStatus& status, uint64_t now_usec);

// The warnings for one mode's credentials, each {mode, name, kind, message}; kind is
// "expired", "expires_soon" (CredentialWarningOptions) or "source_unreachable". Empty when all
// is well or nothing is known.
nlohmann::json credential_warnings(const storage::CredentialStatus& status, const std::string& mode,
                                   const std::string& name, uint64_t now_usec,
                                   const CredentialWarningOptions& options);

// Whether an event completes a rotation: a Vault static role rotated ("rotate-role") or a KV
// swap published ("write"), with result "ok".
bool is_rotation(const storage::CredentialEvent& event);
// Whether an event failed: a result other than "ok", "dry-run" and "skipped".
bool is_failure(const storage::CredentialEvent& event);

}  // namespace infralogs::dashboard

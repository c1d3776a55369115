// libFuzzer target: a Vault answer body, as VaultClient reads it (parse_vault_envelope, and
// vault_error_status for the error answers), then every reader of src/secrets/vault_responses.h
// on it: the database secret of each kind, a login's auth block, lookup-self's TTL. Vault is a
// network peer: a compromised or buggy one (or whatever answers at its address) sends this.
//
// Beyond "no crash, leak or UB": no exception escapes (nlohmann's value() throws on a type
// mismatch), TTLs stay in [0, kMaxVaultSeconds] so the refresh threads' clock arithmetic
// cannot overflow, and refusals are kCorruption that never quote the body.

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "secrets/vault_responses.h"

namespace {

using infralogs::StatusCode;
using namespace infralogs::secrets;

void check_ttl(std::chrono::seconds ttl) {
  if (ttl.count() < 0 || ttl.count() > kMaxVaultSeconds) std::abort();
  // What VaultTokenManager and VaultCredentialSource compute from it.
  auto now = std::chrono::steady_clock::now();
  auto due = now + std::chrono::duration_cast<std::chrono::steady_clock::duration>(ttl * 0.99);
  if (due < now) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string body(reinterpret_cast<const char*>(data), size);
  // Error answers: a Status naming method, path and status, whatever the body.
  infralogs::Status err = vault_error_status("GET", "database/creds/ro", 403, body);
  if (err.code() != StatusCode::kPermissionDenied) std::abort();

  VaultResponse r;
  infralogs::Status s = parse_vault_envelope(body, &r);
  if (!s.is_ok()) {
    if (s.code() != StatusCode::kCorruption) std::abort();
    return 0;
  }
  if (r.lease_duration < 0 || r.lease_duration > kMaxVaultSeconds) std::abort();
  for (VaultSecretKind kind :
       {VaultSecretKind::kDynamic, VaultSecretKind::kStatic, VaultSecretKind::kKv}) {
    infralogs::Result<VaultSecret> secret = secret_from_response(kind, "p", r);
    if (secret) {
      check_ttl(secret->ttl);
    } else if (secret.status().code() != StatusCode::kCorruption) {
      std::abort();
    }
  }
  infralogs::Result<VaultToken> token = token_from_login("auth/approle/login", r);
  if (token) {
    check_ttl(token->ttl);
  } else if (token.status().code() != StatusCode::kCorruption) {
    std::abort();
  }
  VaultToken looked{"t", std::chrono::seconds(30), true};
  token_from_lookup(r, &looked);
  check_ttl(looked.ttl);
  return 0;
}

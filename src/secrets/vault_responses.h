#pragma once
// What infralogs reads out of Vault's answers, apart from the threads that ask: the database
// secret (dynamic, static, KV v2), a login's auth block, lookup-self's TTL, and the agent tokens'
// KV v2 secret. Pure functions, so unit tests and test/fuzz/ reach them without a server.
// Vault's answer is untrusted input: a field of the wrong type or an absurd number is treated as
// absent or clamped, never thrown (nlohmann's value() throws on a type mismatch) and never
// passed on as a duration that overflows a clock.

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

#include "infralogs/core/credentials.h"
#include "infralogs/core/status.h"
#include "infralogs/secrets/vault_auth.h"
#include "infralogs/secrets/vault_client.h"
#include "infralogs/secrets/vault_credential_source.h"

namespace infralogs::secrets {

// The longest TTL or lease taken from Vault: ten years. Durations are added to steady_clock
// time points in nanoseconds (and scaled by doubles), which overflow near 292 years; Vault's own
// max_ttl default is 32 days.
inline constexpr int64_t kMaxVaultSeconds = int64_t{10} * 365 * 24 * 3600;

// A JSON integer of a Vault answer as seconds: clamped to [0, kMaxVaultSeconds]; `absent` when
// it is missing or not an integer.
int64_t vault_seconds(const nlohmann::json& object, const char* key, int64_t absent = 0);

// The database credentials in a read of `path`: data.{username,password} (kDynamic, kStatic) or
// data.data.{...} with data.metadata.version (kKv). Static roles: `ttl` is data.ttl (the time
// to the next rotation) and `version` data.last_vault_rotation. kCorruption naming the path
// (never a value) when username or password is missing or not a string.
struct VaultSecret {
  Credentials creds;
  std::string lease_id;
  std::chrono::seconds ttl{0};  // in [0, kMaxVaultSeconds]
  bool renewable = false;
  std::string version;  // KV version or static last_vault_rotation; "" when absent
};
Result<VaultSecret> secret_from_response(VaultSecretKind kind, const std::string& path,
                                         const VaultResponse& r);

// The token of a login or renew-self answer (auth.client_token, auth.lease_duration,
// auth.renewable). kCorruption naming `path` when there is no string client_token.
Result<VaultToken> token_from_login(const std::string& path, const VaultResponse& r);

// lookup-self's data.ttl and data.renewable into `t` (left as they are when absent).
void token_from_lookup(const VaultResponse& r, VaultToken* t);

// The agent tokens' KV v2 secret: data.data, a non-empty map of strings, and
// data.metadata.version (0 when absent). kCorruption naming the path and the key (never a
// value) otherwise.
struct KvTokens {
  std::map<std::string, std::string> values;
  int64_t version = 0;
};
Result<KvTokens> kv_tokens_from_response(const std::string& path, const VaultResponse& r);

}  // namespace infralogs::secrets

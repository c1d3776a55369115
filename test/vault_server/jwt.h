#pragma once
// Verification of Kubernetes service-account JWTs against PEM public keys, as Vault's
// kubernetes auth method does when its config has pem_keys (RS256, RS384, RS512).
// Thread-safety: free functions.

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "infralogs/core/status.h"

namespace infralogs::vaultd {

enum class JwtError { kNone, kMalformed, kBadSignature, kExpired, kNotYetValid };

struct JwtResult {
  JwtError error = JwtError::kNone;
  std::string message;    // for kMalformed and the time errors
  nlohmann::json claims;  // set when error == kNone
};

// Checks that `pem` holds a public key ("PUBLIC KEY", "RSA PUBLIC KEY") or a certificate.
Status check_public_key_pem(const std::string& pem);

// Verifies the signature with any of `pem_keys`, then exp and nbf with `leeway`.
JwtResult verify_jwt(const std::string& jwt, const std::vector<std::string>& pem_keys,
                     std::chrono::system_clock::time_point now, std::chrono::seconds leeway);

// Base64url without padding, as JWTs use it (for tests and the test-control API).
std::string base64url_decode(const std::string& in, bool* ok);

}  // namespace infralogs::vaultd

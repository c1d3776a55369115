#include "jwt.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>

#include "util.h"

namespace infralogs::vaultd {
namespace {

using PKeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

PKeyPtr load_key(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  if (!bio) return PKeyPtr(nullptr, &EVP_PKEY_free);
  if (pem.find("CERTIFICATE") != std::string::npos) {
    X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
    if (!cert) return PKeyPtr(nullptr, &EVP_PKEY_free);
    EVP_PKEY* key = X509_get_pubkey(cert);
    X509_free(cert);
    return PKeyPtr(key, &EVP_PKEY_free);
  }
  if (pem.find("RSA PUBLIC KEY") != std::string::npos) {
    RSA* rsa = PEM_read_bio_RSAPublicKey(bio.get(), nullptr, nullptr, nullptr);
    if (!rsa) return PKeyPtr(nullptr, &EVP_PKEY_free);
    EVP_PKEY* key = EVP_PKEY_new();
    EVP_PKEY_assign_RSA(key, rsa);
    return PKeyPtr(key, &EVP_PKEY_free);
  }
  return PKeyPtr(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr), &EVP_PKEY_free);
}

const EVP_MD* digest_for(const std::string& alg) {
  if (alg == "RS256") return EVP_sha256();
  if (alg == "RS384") return EVP_sha384();
  if (alg == "RS512") return EVP_sha512();
  return nullptr;
}

bool verify_with(EVP_PKEY* key, const EVP_MD* md, const std::string& signed_part,
                 const std::string& sig) {
  if (EVP_PKEY_base_id(key) != EVP_PKEY_RSA) return false;
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, key) != 1) return false;
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                          reinterpret_cast<const unsigned char*>(signed_part.data()),
                          signed_part.size()) == 1;
}

}  // namespace

std::string base64url_decode(const std::string& in, bool* ok) {
  std::string s = in;
  for (char& c : s) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  while (s.size() % 4) s.push_back('=');
  std::string out(s.size() / 4 * 3 + 3, '\0');
  int n =
      EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                      reinterpret_cast<const unsigned char*>(s.data()), static_cast<int>(s.size()));
  *ok = n >= 0;
  if (n < 0) return "";
  size_t pad = 0;
  while (pad < s.size() && s[s.size() - 1 - pad] == '=') ++pad;
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

Status check_public_key_pem(const std::string& pem) {
  if (!load_key(pem))
    return Status::invalid_argument("data does not contain any valid RSA or ECDSA public keys");
  return Status::ok();
}

JwtResult verify_jwt(const std::string& jwt, const std::vector<std::string>& pem_keys,
                     std::chrono::system_clock::time_point now, std::chrono::seconds leeway) {
  JwtResult r;
  std::vector<std::string> parts = split(jwt, '.');
  if (parts.size() != 3) {
    r.error = JwtError::kMalformed;
    r.message = "malformed JWT: expected 3 parts";
    return r;
  }
  bool ok1, ok2, ok3;
  std::string header_json = base64url_decode(parts[0], &ok1);
  std::string payload_json = base64url_decode(parts[1], &ok2);
  std::string sig = base64url_decode(parts[2], &ok3);
  auto header = nlohmann::json::parse(header_json, nullptr, false);
  auto claims = nlohmann::json::parse(payload_json, nullptr, false);
  if (!ok1 || !ok2 || !ok3 || !header.is_object() || !claims.is_object()) {
    r.error = JwtError::kMalformed;
    r.message = "malformed JWT: bad base64 or JSON";
    return r;
  }
  std::string alg = header.value("alg", "");
  const EVP_MD* md = digest_for(alg);
  if (!md) {
    r.error = JwtError::kMalformed;
    r.message = "unsupported signing algorithm \"" + alg + "\"";
    return r;
  }
  std::string signed_part = parts[0] + "." + parts[1];
  bool verified = false;
  for (const auto& pem : pem_keys) {
    PKeyPtr key = load_key(pem);
    if (key && verify_with(key.get(), md, signed_part, sig)) {
      verified = true;
      break;
    }
  }
  if (!verified) {
    r.error = JwtError::kBadSignature;
    r.message = "failed to verify signature";
    return r;
  }
  int64_t t = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  if (claims.contains("exp") && claims["exp"].is_number() &&
      claims["exp"].get<int64_t>() + leeway.count() < t) {
    r.error = JwtError::kExpired;
    r.message = "invalid exp (expiration time) claim: token is expired";
    return r;
  }
  if (claims.contains("nbf") && claims["nbf"].is_number() &&
      claims["nbf"].get<int64_t>() - leeway.count() > t) {
    r.error = JwtError::kNotYetValid;
    r.message = "invalid nbf (not before) claim: token not yet valid";
    return r;
  }
  r.claims = claims;
  return r;
}

}  // namespace infralogs::vaultd

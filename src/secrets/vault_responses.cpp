#include "vault_responses.h"

#include <algorithm>
#include <cstdint>

namespace infralogs::secrets {

using nlohmann::json;

namespace {

bool bool_or(const json& object, const char* key, bool absent) {
  if (!object.is_object()) return absent;
  auto it = object.find(key);
  return it != object.end() && it->is_boolean() ? it->get<bool>() : absent;
}

std::string string_or(const json& object, const char* key) {
  if (!object.is_object()) return "";
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

// A JSON integer clamped to [0, max]; `absent` when missing or not an integer.
int64_t clamped_int(const json& object, const char* key, int64_t max, int64_t absent) {
  if (!object.is_object()) return absent;
  auto it = object.find(key);
  if (it == object.end()) return absent;
  // Unsigned first: get<int64_t> of a uint64 above INT64_MAX would wrap to a negative.
  if (it->is_number_unsigned())
    return static_cast<int64_t>(
        std::min<uint64_t>(it->get<uint64_t>(), static_cast<uint64_t>(max)));
  if (it->is_number_integer()) return std::clamp<int64_t>(it->get<int64_t>(), 0, max);
  return absent;
}

}  // namespace

int64_t vault_seconds(const json& object, const char* key, int64_t absent) {
  return clamped_int(object, key, kMaxVaultSeconds, absent);
}

Result<VaultSecret> secret_from_response(VaultSecretKind kind, const std::string& path,
                                         const VaultResponse& r) {
  const json* d = r.data.is_object() ? &r.data : nullptr;
  VaultSecret out;
  if (d && kind == VaultSecretKind::kKv) {
    auto meta = r.data.find("metadata");
    if (meta != r.data.end() && meta->is_object() && meta->contains("version"))
      out.version = (*meta)["version"].dump();
    auto data = r.data.find("data");
    d = data != r.data.end() && data->is_object() ? &*data : nullptr;
  }
  std::string username = d ? string_or(*d, "username") : "";
  bool has_creds = d && d->contains("username") && (*d)["username"].is_string() &&
                   d->contains("password") && (*d)["password"].is_string();
  if (!has_creds)
    return Status::corruption("vault GET " + path +
                              ": the answer has no string username and password");
  out.creds = Credentials{username, (*d)["password"].get<std::string>()};
  out.lease_id = r.lease_id;
  out.renewable = r.renewable;
  out.ttl = std::chrono::seconds(std::clamp<int64_t>(r.lease_duration, 0, kMaxVaultSeconds));
  if (kind == VaultSecretKind::kStatic) {
    // Static roles answer with no lease: `ttl` is the time to the next rotation.
    out.ttl = std::chrono::seconds(vault_seconds(*d, "ttl"));
    out.version = string_or(*d, "last_vault_rotation");
  }
  return out;
}

Result<VaultToken> token_from_login(const std::string& path, const VaultResponse& r) {
  auto token = r.auth.is_object() ? r.auth.find("client_token") : r.auth.end();
  if (!r.auth.is_object() || token == r.auth.end() || !token->is_string())
    return Status::corruption("vault PUT " + path + ": no auth.client_token in the answer");
  VaultToken t;
  t.token = token->get<std::string>();
  t.ttl = std::chrono::seconds(vault_seconds(r.auth, "lease_duration"));
  t.renewable = bool_or(r.auth, "renewable", false);
  return t;
}

void token_from_lookup(const VaultResponse& r, VaultToken* t) {
  if (!r.data.is_object()) return;
  t->ttl = std::chrono::seconds(vault_seconds(r.data, "ttl", t->ttl.count()));
  t->renewable = bool_or(r.data, "renewable", t->renewable);
}

Result<KvTokens> kv_tokens_from_response(const std::string& path, const VaultResponse& r) {
  auto data = r.data.is_object() ? r.data.find("data") : r.data.end();
  if (!r.data.is_object() || data == r.data.end() || !data->is_object() || data->empty())
    return Status::corruption("vault GET " + path + ": no values in the secret");
  KvTokens out;
  for (const auto& [k, v] : data->items()) {
    if (!v.is_string())
      return Status::corruption("vault GET " + path + ": value of \"" + k.substr(0, 64) +
                                "\" is not a string");
    out.values[k] = v.get<std::string>();
  }
  auto meta = r.data.find("metadata");
  if (meta != r.data.end()) out.version = clamped_int(*meta, "version", INT64_MAX, 0);
  return out;
}

}  // namespace infralogs::secrets

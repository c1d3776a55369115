// libFuzzer target: the agent tokens' KV v2 answer (VaultKvTokens, modes/vault_token_source):
// the body through parse_vault_envelope, then kv_tokens_from_response. The values become the
// tokens an agent accepts, so a malformed answer must be refused as a whole, never half-read.
//
// Beyond "no crash, leak or UB": an accepted answer is a non-empty map of the strings in
// data.data exactly (checked against nlohmann's own reading of the body), with a version >= 0;
// a refusal is kCorruption and never quotes a value.

#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "secrets/vault_responses.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace infralogs::secrets;
  std::string body(reinterpret_cast<const char*>(data), size);
  VaultResponse r;
  if (!parse_vault_envelope(body, &r).is_ok()) return 0;
  infralogs::Result<KvTokens> kv = kv_tokens_from_response("secret/data/infralogs/agent-tokens", r);
  if (!kv) {
    if (kv.status().code() != infralogs::StatusCode::kCorruption) std::abort();
    if (!r.data.is_object() || !r.data.contains("data") || !r.data["data"].is_object()) return 0;
    const std::string message = kv.status().message();
    for (const auto& [k, v] : r.data["data"].items()) {
      // A refusal may name a key, never a value (a token). A value can also be a piece of the
      // message's own text (the path, "value of"): it is quoted only if the message loses it
      // when the value is replaced by another string of the same length.
      if (!v.is_string() || v.get<std::string>().size() < 8) continue;
      const std::string value = v.get<std::string>();
      if (message.find(value) == std::string::npos) continue;
      VaultResponse other = r;
      other.data["data"][k] = std::string(value.size(), '\x01');
      infralogs::Result<KvTokens> again =
          kv_tokens_from_response("secret/data/infralogs/agent-tokens", other);
      if (again || again.status().message().find(value) == std::string::npos) std::abort();
    }
    return 0;
  }
  if (kv->values.empty() || kv->version < 0) std::abort();
  const nlohmann::json& values = r.data["data"];
  if (values.size() != kv->values.size()) std::abort();
  for (const auto& [k, v] : values.items()) {
    auto it = kv->values.find(k);
    if (it == kv->values.end() || !v.is_string() || it->second != v.get<std::string>())
      std::abort();
  }
  return 0;
}

#include "infralogs/http/token_health.h"

#include <nlohmann/json.hpp>

namespace infralogs::http {

using nlohmann::json;

json token_health_json(const TokenSetStatus& s) {
  json j = {{"source", s.source}, {"count", s.tokens}, {"reloads", s.reloads}, {"stale", s.stale}};
  if (s.stale) j["error"] = s.error;
  return j;
}

}  // namespace infralogs::http

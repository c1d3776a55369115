#include "infralogs/http/token_health.h"

#include <nlohmann/json.hpp>

#include "infralogs/wire/protocol.h"

namespace infralogs::http {

using nlohmann::json;

json token_health_json(const TokenSetStatus& s) {
  json j = {{"source", s.source}, {"count", s.tokens}, {"reloads", s.reloads}, {"stale", s.stale}};
  if (s.stale) j["error"] = s.error;
  return j;
}

void attach_token_health(httplib::Server& server, TokenSet& tokens) {
  // A post-routing handler rather than a change to the /healthz route, so the route (in
  // agent_routes.cpp) stays about the journal; it runs after the route set its body.
  server.set_post_routing_handler([&tokens](const httplib::Request& req, httplib::Response& res) {
    if (req.path != wire::kHealthPath || res.body.empty()) return;
    json body = json::parse(res.body, nullptr, /*allow_exceptions=*/false);
    if (!body.is_object()) return;
    body["tokens"] = token_health_json(tokens.status());
    res.body = body.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
    // httplib set Content-Length from the old body before this handler runs.
    res.headers.erase("Content-Length");
    res.set_header("Content-Length", std::to_string(res.body.size()));
  });
}

}  // namespace infralogs::http

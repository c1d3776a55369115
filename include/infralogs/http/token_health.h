#pragma once
// The API tokens' state in the agent's /healthz body (agent_routes.cpp adds it):
//   {"status": "ok", "tokens": {"source": "vault secret/data/...", "count": 2, "reloads": 5,
//                               "stale": true, "error": "vault GET ...: HTTP 503"}}
// "stale" means the last reload of the tokens failed and the last good set is still accepted.
// The status code stays what the journal check says: an agent that serves with the last good
// tokens is still healthy for its collectors, and a Vault outage must not take the whole fleet
// out of its Service. Never shows a token.

#include <nlohmann/json.hpp>

#include "infralogs/http/token_auth.h"

namespace infralogs::http {

// The "tokens" object of /healthz for `status`.
nlohmann::json token_health_json(const TokenSetStatus& status);

}  // namespace infralogs::http

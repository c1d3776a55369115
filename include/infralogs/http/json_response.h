#pragma once
// JSON responses for every endpoint of the agent and of serve: the one table from a Status to an
// HTTP status, and the one writer of JSON bodies and {"error": ...} bodies
// (docs/wire-protocol.md, docs/dashboard-api.md). Stateless; thread-safe.

#include <httplib.h>

#include <nlohmann/json.hpp>
#include <string>

#include "infralogs/core/status.h"

namespace infralogs::http {

// The HTTP status that answers a request which failed with `s`. The question each row answers
// is "whose fault is it, and does retrying help?":
//   kOk               200  (not an error; listed so the table is total)
//   kInvalidArgument  400  the request is malformed: only the client can fix it
//   kNotFound         404  what the request names does not exist (an entry id, a path)
//   kUnavailable      503  a peer (the database, the journal) is down or busy: retry later
//   kPermissionDenied 503  the *server's* own access was refused (the database account, the
//                          journal group). Not 401/403: those would tell the client that its
//                          token is wrong, and nothing the client sends can fix this. Client
//                          authentication failures are answered before any Status exists (401,
//                          429 in the agent's pre-routing handler).
//   kAborted          503  another writer changed what the operation expected: retry
//   kCorruption       500  stored or journal data is damaged: retrying will not help
//   kInternal         500  a bug or an unexpected library failure
int http_status(const Status& s);

// A stable, machine-readable name for `code`, for an error body's "reason" where the message
// itself must not be shown: "ok", "not_found", "unavailable", "invalid_argument", "corruption",
// "permission_denied", "aborted", "internal". Clients may branch on it; it never changes for a
// code.
std::string reason_code(StatusCode code);

// Answers with `status` and `body` as application/json: one line, then "\n". A string in `body`
// that is not valid UTF-8 has its bad bytes replaced by U+FFFD (serialising it would otherwise
// throw inside the handler and turn the answer into a 500).
void send_json(httplib::Response& res, int status, const nlohmann::json& body);

// Answers with `status` and {"error": message}, plus "parameter" when `parameter` is not empty
// (the request parameter at fault). `message` goes to the client as it is: never put a secret,
// or a database host or account, in it.
void send_json_error(httplib::Response& res, int status, const std::string& message,
                     const std::string& parameter = "");

}  // namespace infralogs::http

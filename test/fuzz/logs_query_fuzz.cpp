// libFuzzer target: the agent's /logs query string, decoded by httplib as for a real request
// (detail::parse_query_text, what the server calls), then http::parse_logs_query: after
// (cursors), limit, since/until (journal::parse_time), unit, priority, boot, match, fields.

#include <httplib.h>

#include <cstdint>
#include <cstdlib>
#include <string>

#include "infralogs/http/agent_routes.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  httplib::Params params;
  httplib::detail::parse_query_text(text, params);
  infralogs::http::AgentOptions options;
  infralogs::http::LogsQuery query;
  infralogs::http::ParamError error;
  if (infralogs::http::parse_logs_query(params, options, &query, &error)) {
    // A parsed query never asks for more than the agent allows.
    if (query.limit > options.max_limit) std::abort();
  } else if (error.parameter.empty()) {
    std::abort();  // a refusal must name the parameter
  }
  return 0;
}

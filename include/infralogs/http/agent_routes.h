#pragma once
// The agent's HTTP endpoints (docs/wire-protocol.md):
//   GET /logs      NDJSON page of entries after a cursor, with journalctl's filters
//   GET /entries   systemd-journal-gatewayd's protocol (Range: entries=..., Accept: ...)
// /logs?follow=true and /entries?follow stay open at the tail and stream new entries (follow.h).
//   GET /machine   gatewayd's description of the serving machine
//   GET /healthz   200 when the journal is readable, 503 with the reason otherwise (no token)
//   GET /metrics   Prometheus text format
// Every endpoint but /healthz needs a token (TokenFile). Responses stream: memory stays
// bounded however large the page.

#include <httplib.h>

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <stop_token>
#include <string>

#include "infralogs/core/metrics.h"
#include "infralogs/http/token_auth.h"
#include "infralogs/journal/entry_format.h"
#include "infralogs/journal/reader.h"
#include "infralogs/wire/protocol.h"

namespace infralogs::http {

struct AgentOptions {
  // Entries per /logs page when the client gives no limit.
  size_t default_limit = wire::kDefaultLimit;
  // The largest limit a client may ask for; larger gives 400.
  size_t max_limit = wire::kDefaultMaxLimit;
  // Encoded bytes gathered before a chunk is written to the connection.
  size_t chunk_bytes = 64 * 1024;
  // gzip level for clients that accept gzip (1 = fastest).
  int gzip_level = 1;
  // /machine reports these.
  std::string name;  // what /machine reports as "name"; empty: the hostname
  std::string machine_id_file = "/etc/machine-id";
  std::string boot_id_file = "/proc/sys/kernel/random/boot_id";
  // Follow responses (/logs?follow=true, /entries?follow) served at once; more get 503.
  size_t max_followers = 64;
  // Silence after which a /logs follow response sends an empty line (and /entries checks that
  // its client is still there).
  std::chrono::milliseconds follow_heartbeat{5000};
  // Longest follow response, and the largest wait= a client may ask for.
  std::chrono::seconds follow_max_duration{300};
  // Once requested, follow responses end cleanly at once: the agent is shutting down.
  std::stop_token stop;
};

// What a /logs body is written as (output=): journalctl's -o json, export or verbose, each
// with --all and, for verbose, in UTC.
enum class LogsOutput { kJson, kExport, kVerbose };

// A /logs request, parsed.
struct LogsQuery {
  journal::Position position;
  journal::Filter filter;
  journal::FieldSet fields;
  size_t limit = 0;
  bool limit_given = false;  // a follow response without limit has none
  bool follow = false;
  std::chrono::seconds wait{0};  // with follow: end the response after this long (0: the maximum)
  LogsOutput output = LogsOutput::kJson;
  journal::JsonOrder order = journal::JsonOrder::kJournalctl;  // order=, with output=json
};

// Why a request's parameters were refused: the parameter and what is wrong with it.
struct ParamError {
  std::string parameter;
  std::string message;
};

// Parses /logs parameters (after, limit, since, until, unit, priority, boot, match, fields,
// follow, wait, output).
// Returns false with *error for an unknown, repeated or malformed parameter.
bool parse_logs_query(const std::multimap<std::string, std::string>& params,
                      const AgentOptions& options, LogsQuery* query, ParamError* error);

// Attaches the endpoints to `server`. The references must outlive the server. Also replaces
// the server's pre-routing handler (token auth and the rate limit, for every path but
// /healthz), its error and exception handlers (JSON bodies, install_json_error_handlers) and
// its logger (request metrics): call it once per server, and not with attach_dashboard_routes
// on the same server.
void attach_agent_routes(httplib::Server& server, journal::JournalReader& reader, TokenFile& tokens,
                         AuthRateLimiter& limiter, MetricsRegistry& metrics,
                         const AgentOptions& options);

}  // namespace infralogs::http

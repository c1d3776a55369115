#pragma once
// The connection flags of the two modes that run an http::Server (agent and serve):
// --threads, --max-connections, --header-timeout (docs/modes.md).

#include <CLI/CLI.hpp>
#include <cstddef>

#include "infralogs/http/server.h"

namespace infralogs::modes {

struct ServerFlags {
  size_t threads = 8;            // --threads: connection threads started up front
  size_t max_connections = 256;  // --max-connections: connections served at once
  int header_timeout_s = 10;     // --header-timeout: seconds to send a whole request head
};

// Registers the three flags on `sub`. `flags` must outlive the parse.
void add_server_flags(CLI::App& sub, ServerFlags* flags);

// Copies the flags into `options`; leaves its other fields as they are.
void apply_server_flags(const ServerFlags& flags, http::ServerOptions* options);

}  // namespace infralogs::modes

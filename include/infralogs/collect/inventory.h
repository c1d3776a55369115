#pragma once
// The collector's inventory: which agents to poll (docs/modes.md).
//   {"agents": [{"name": "vm-1", "url": "https://vm-1:19532", "token_file": "/run/secrets/vm-1",
//                "labels": {"env": "prod"}, "ca_file": "/etc/ssl/infralogs-ca.pem",
//                "client_cert_file": "collector.pem", "client_key_file": "collector.key"}, ...],
//    "token_file": "/run/secrets/agents"}      (optional default for agents without one)
// A token may also be named by "token_env": an environment variable holding it.
// "protocol": "infralogs" (default) or "gatewayd": a plain systemd-journal-gatewayd, read
// through its /entries; it needs no token.

#include <string>
#include <vector>

#include "infralogs/core/status.h"
#include "infralogs/wire/agent_client.h"

namespace infralogs::collect {

// The longest agent name: what the hosts table's name column holds (docs/schema.md).
inline constexpr size_t kMaxAgentNameBytes = 255;

// Reads and checks the inventory, and reads each agent's token (the first non-empty,
// non-comment line of its token file). Relative paths are relative to the inventory's
// directory. kInvalidArgument naming the agent and the problem (never a token): among them a
// name over kMaxAgentNameBytes, a URL with credentials (user:password@, never repeated) or with
// a path, query or fragment.
Result<std::vector<wire::AgentSpec>> load_inventory(const std::string& path);

// The token in a token file: its first non-empty, non-comment line, trimmed.
Result<std::string> read_token_file(const std::string& path);

// The same from JSON text; `base_dir` resolves relative paths.
Result<std::vector<wire::AgentSpec>> parse_inventory(const std::string& json_text,
                                                     const std::string& base_dir);

}  // namespace infralogs::collect

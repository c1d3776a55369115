#pragma once
// In-cluster agents found through DNS (`collect --discover-agents dns:NAME:PORT`,
// docs/operations.md): a headless Service has one A/AAAA record per ready agent pod, resolved
// again every round so agents that come and go are followed without a new inventory.
//
// A discovered agent is named by its address (127.0.0.1, fd00::5): DNS gives nothing else, and
// the collector stores entries and cursors under that name. The address is stable when the
// agents use the node's network (agent.hostNetwork: the node IP); with pod networking a
// re-created pod gets a new IP and so a new host name (its journal is then fetched again under
// it from --since). List agents whose names matter in the inventory: it wins (below).

#include <string>
#include <vector>

#include "infralogs/collect/shard.h"
#include "infralogs/core/status.h"
#include "infralogs/wire/agent_client.h"

namespace infralogs::collect {

struct DiscoveryOptions {
  std::string host;             // the DNS name to resolve, e.g. infralogs-agent.logging.svc
  std::string port;             // the agents' port
  std::string scheme = "http";  // "http", or "https" with dns+https:
  std::string token;            // secret: the token every discovered agent accepts
  std::string ca_file;          // for https: CA bundle (empty: system default)
};

// "dns:NAME:PORT" or "dns+https:NAME:PORT" into host, port and scheme (token untouched).
// kInvalidArgument saying what is wanted.
Status parse_discovery(const std::string& text, DiscoveryOptions* options);

// Resolves `options.host` (getaddrinfo, A and AAAA) and returns one agent per distinct
// address, in resolver order, labelled discovered=HOST. kUnavailable when the name does not
// resolve (the round goes on with the inventory alone).
Result<std::vector<wire::AgentSpec>> discover_agents(const DiscoveryOptions& options);

// `listed` followed by the agents of `discovered` whose URL and name are not in it (an agent
// in the inventory keeps its name, token and labels).
std::vector<wire::AgentSpec> merge_agents(std::vector<wire::AgentSpec> listed,
                                          const std::vector<wire::AgentSpec>& discovered);

// One round's agents: `listed`, plus (when `discovery.host` is set) the agents it resolves to
// with the token re-read from `token_file` (so a rotated token is followed), merged as above,
// then only those in `shard`. A discovery failure is logged as a warning and the round goes on
// with `listed`; the shard and the counts are logged.
std::vector<wire::AgentSpec> agents_for_round(std::vector<wire::AgentSpec> listed,
                                              const DiscoveryOptions& discovery,
                                              const std::string& token_file, const Shard& shard);

}  // namespace infralogs::collect

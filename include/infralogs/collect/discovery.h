#pragma once
// In-cluster agents found through DNS (`collect --discover-agents dns:NAME:PORT`,
// docs/operations.md): a headless Service has one A/AAAA record per ready agent pod, resolved
// again every round so agents that come and go are followed without a new inventory.
//
// A discovered agent is named by what its /machine says (`name`: the agent's --name, which the
// chart sets to the node's name; else its hostname), never by its address: entries and cursors
// are stored under that name, and a re-created pod gets a new IP but keeps its node, so it
// resumes from the stored cursor instead of fetching its journal again under a new name. An
// agent that does not answer /machine is left out of that round. Agents listed in the
// inventory win over discovered ones (below).

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
// address, in resolver order, named by its address and labelled discovered=HOST (not yet
// named: see name_discovered). kUnavailable when the name does not resolve (the round goes on
// with the inventory alone).
Result<std::vector<wire::AgentSpec>> discover_agents(const DiscoveryOptions& options);

// Names each of `found` by client.identify() (labels address=IP and machine_id); agents that
// cannot be identified are logged and dropped.
std::vector<wire::AgentSpec> name_discovered(std::vector<wire::AgentSpec> found,
                                             wire::AgentClient& client, std::stop_token stop);

// `listed` followed by the agents of `discovered` whose URL and name are not in it (an agent
// in the inventory keeps its name, token and labels).
std::vector<wire::AgentSpec> merge_agents(std::vector<wire::AgentSpec> listed,
                                          const std::vector<wire::AgentSpec>& discovered);

// One round's agents: `listed`, plus (when `discovery.host` is set) the agents it resolves to
// with the token re-read from `token_file` (so a rotated token is followed) and named through
// `client`, merged as above, then only those in `shard` (by name). A discovery failure is logged
// as a warning and the round goes on with `listed`; the shard and the counts are logged.
std::vector<wire::AgentSpec> agents_for_round(std::vector<wire::AgentSpec> listed,
                                              const DiscoveryOptions& discovery,
                                              const std::string& token_file, const Shard& shard,
                                              wire::AgentClient& client, std::stop_token stop);

}  // namespace infralogs::collect

#include "infralogs/collect/discovery.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <set>

#include "infralogs/collect/inventory.h"
#include "infralogs/core/log.h"

namespace infralogs::collect {

Status parse_discovery(const std::string& text, DiscoveryOptions* options) {
  auto bad = [&text](const std::string& why) {
    return Status::invalid_argument("--discover-agents " + text + ": " + why +
                                    " (want dns:NAME:PORT or dns+https:NAME:PORT)");
  };
  std::string rest;
  if (text.rfind("dns:", 0) == 0) {
    options->scheme = "http";
    rest = text.substr(4);
  } else if (text.rfind("dns+https:", 0) == 0) {
    options->scheme = "https";
    rest = text.substr(10);
  } else {
    return bad("unknown scheme");
  }
  size_t colon = rest.rfind(':');
  if (colon == std::string::npos || colon == 0) return bad("no NAME:PORT");
  std::string port = rest.substr(colon + 1);
  if (port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos || std::stoi(port) < 1 ||
      std::stoi(port) > 65535) {
    return bad("PORT must be 1..65535");
  }
  options->host = rest.substr(0, colon);
  options->port = port;
  return Status::ok();
}

Result<std::vector<wire::AgentSpec>> discover_agents(const DiscoveryOptions& options) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  int rc = getaddrinfo(options.host.c_str(), options.port.c_str(), &hints, &res);
  if (rc != 0) {
    return Status::unavailable("discovery: cannot resolve " + options.host + ": " +
                               gai_strerror(rc));
  }
  std::vector<wire::AgentSpec> out;
  std::set<std::string> seen;
  for (addrinfo* ai = res; ai; ai = ai->ai_next) {
    char buf[INET6_ADDRSTRLEN] = {0};
    std::string host;
    if (ai->ai_family == AF_INET) {
      inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(ai->ai_addr)->sin_addr, buf, sizeof buf);
      host = buf;
    } else if (ai->ai_family == AF_INET6) {
      inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(ai->ai_addr)->sin6_addr, buf,
                sizeof buf);
      host = "[" + std::string(buf) + "]";
    } else {
      continue;
    }
    if (!seen.insert(buf).second) continue;
    wire::AgentSpec a;
    a.name = buf;
    a.url = options.scheme + "://" + host + ":" + options.port;
    a.token = options.token;
    a.ca_file = options.ca_file;
    a.labels["discovered"] = options.host;
    out.push_back(std::move(a));
  }
  freeaddrinfo(res);
  return out;
}

std::vector<wire::AgentSpec> merge_agents(std::vector<wire::AgentSpec> listed,
                                          const std::vector<wire::AgentSpec>& discovered) {
  std::set<std::string> urls, names;
  for (const auto& a : listed) {
    urls.insert(a.url);
    names.insert(a.name);
  }
  for (const auto& a : discovered) {
    if (urls.count(a.url) || names.count(a.name)) continue;
    urls.insert(a.url);
    names.insert(a.name);
    listed.push_back(a);
  }
  return listed;
}

std::vector<wire::AgentSpec> name_discovered(std::vector<wire::AgentSpec> found,
                                             wire::AgentClient& client, std::stop_token stop) {
  constexpr std::string_view kComponent = "collect";
  std::vector<wire::AgentSpec> named;
  for (auto& a : found) {
    auto id = client.identify(a, stop);
    if (!id) {
      log::warn(kComponent, "a discovered agent did not say who it is: skipped this round",
                {{"address", a.name}, {"error", id.status().message()}});
      continue;
    }
    a.labels["address"] = a.name;
    if (!id->machine_id.empty()) a.labels["machine_id"] = id->machine_id;
    a.name = id->name;
    named.push_back(std::move(a));
  }
  return named;
}

std::vector<wire::AgentSpec> agents_for_round(std::vector<wire::AgentSpec> listed,
                                              const DiscoveryOptions& discovery,
                                              const std::string& token_file, const Shard& shard,
                                              wire::AgentClient& client, std::stop_token stop) {
  constexpr std::string_view kComponent = "collect";
  if (!discovery.host.empty()) {
    DiscoveryOptions d = discovery;
    auto token = read_token_file(token_file);
    if (token) d.token = *token;
    auto found = token ? discover_agents(d) : Result<std::vector<wire::AgentSpec>>(token.status());
    if (!found) {
      log::warn(kComponent, "discovery failed: this round polls the inventory only",
                {{"error", found.status().message()}});
    } else {
      size_t addresses = found->size();
      auto named = name_discovered(std::move(*found), client, stop);
      log::info(kComponent, "discovered agents",
                {{"name", d.host}, {"addresses", addresses}, {"agents", named.size()}});
      listed = merge_agents(std::move(listed), named);
    }
  }
  if (shard.count > 1) {
    size_t all = listed.size();
    listed = select_shard(listed, shard);
    log::info(kComponent, "shard",
              {{"shard", std::to_string(shard.index) + "/" + std::to_string(shard.count)},
               {"agents", listed.size()},
               {"listed", all}});
  }
  return listed;
}

}  // namespace infralogs::collect

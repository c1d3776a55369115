#include "infralogs/collect/discovery.h"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <set>

#include "fakes/fake_agent_client.h"

using namespace infralogs;

TEST_CASE("discovery specs parse dns:NAME:PORT and refuse the rest", "[collect][discovery]") {
  collect::DiscoveryOptions o;
  REQUIRE(collect::parse_discovery("dns:infralogs-agent.logging.svc:19532", &o).is_ok());
  CHECK(o.host == "infralogs-agent.logging.svc");
  CHECK(o.port == "19532");
  CHECK(o.scheme == "http");
  REQUIRE(collect::parse_discovery("dns+https:agents:443", &o).is_ok());
  CHECK(o.scheme == "https");
  for (const char* bad : {"agents:1", "dns:agents", "dns::1", "dns:agents:0", "dns:agents:x",
                          "dns:agents:70000", "srv:agents:1"}) {
    INFO(bad);
    Status s = collect::parse_discovery(bad, &o);
    CHECK(s.code() == StatusCode::kInvalidArgument);
    CHECK(s.message().find("dns:NAME:PORT") != std::string::npos);
  }
}

TEST_CASE("discovery resolves a name to one agent per address", "[collect][discovery]") {
  collect::DiscoveryOptions o;
  o.host = "localhost";  // /etc/hosts: 127.0.0.1, and ::1 where IPv6 is configured
  o.port = "19532";
  o.token = "tok";
  auto r = collect::discover_agents(o);
  REQUIRE(r.has_value());
  std::set<std::string> urls;
  for (const auto& a : *r) {
    urls.insert(a.url);
    CHECK(a.token == "tok");
    CHECK(a.labels.at("discovered") == "localhost");
  }
  CHECK(urls.size() == r->size());  // no address twice (getaddrinfo lists some per protocol)
  CHECK(urls.count("http://127.0.0.1:19532") == 1);
  for (const auto& a : *r) {
    if (a.name == "::1") CHECK(a.url == "http://[::1]:19532");
  }
  o.host = "no-such-host.invalid";
  auto none = collect::discover_agents(o);
  REQUIRE_FALSE(none.has_value());
  CHECK(none.status().code() == StatusCode::kUnavailable);
}

TEST_CASE("discovered agents already in the inventory are dropped", "[collect][discovery]") {
  auto spec = [](std::string name, std::string url) {
    wire::AgentSpec a;
    a.name = std::move(name);
    a.url = std::move(url);
    return a;
  };
  auto merged = collect::merge_agents(
      {spec("vm-1", "http://10.0.0.1:19532")},
      {spec("10.0.0.1", "http://10.0.0.1:19532"), spec("10.0.0.2", "http://10.0.0.2:19532"),
       spec("10.0.0.2", "http://10.0.0.2:19532")});
  REQUIRE(merged.size() == 2);
  CHECK(merged[0].name == "vm-1");
  CHECK(merged[1].name == "10.0.0.2");
}

TEST_CASE("a round's agents: inventory plus discovered, then the shard", "[collect][discovery]") {
  char dir[] = "/tmp/infralogs-disc-XXXXXX";
  REQUIRE(mkdtemp(dir));
  std::string token_file = std::string(dir) + "/token";
  std::ofstream(token_file) << "# rotated\ntok-now\n";
  std::vector<wire::AgentSpec> listed;
  for (const char* n : {"vm-01", "vm-02", "vm-03", "vm-04"}) {
    wire::AgentSpec a;
    a.name = n;
    a.url = std::string("http://") + n + ":19532";
    listed.push_back(a);
  }
  collect::DiscoveryOptions d;
  d.host = "localhost";
  d.port = "19532";
  infralogs::test::FakeAgentClient client;
  // Unidentified agents are left out of the round.
  CHECK(collect::agents_for_round(listed, d, token_file, {}, client, {}).size() == listed.size());
  // Named by what /machine says, not by the address.
  client.names["http://127.0.0.1:19532"] = "node-a";
  client.names["http://[::1]:19532"] = "node-a";
  auto all = collect::agents_for_round(listed, d, token_file, {}, client, {});
  REQUIRE(all.size() == listed.size() + 1);  // both addresses of localhost are node-a
  CHECK(all.back().name == "node-a");
  CHECK(all.back().labels.at("address") != "node-a");
  CHECK(all.back().token == "tok-now");
  auto shard0 = collect::agents_for_round(listed, {}, token_file, {0, 2}, client, {});
  REQUIRE(shard0.size() == 2);  // vm-01 and vm-03 hash to shard 0 of 2
  CHECK(shard0[0].name == "vm-01");
  CHECK(shard0[1].name == "vm-03");
  d.host = "no-such-host.invalid";
  CHECK(collect::agents_for_round(listed, d, token_file, {}, client, {}).size() == listed.size());
  CHECK(
      collect::agents_for_round(listed, d, std::string(dir) + "/missing", {}, client, {}).size() ==
      listed.size());
  std::system((std::string("rm -rf ") + dir).c_str());
}

#include "infralogs/collect/inventory.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>

#include "support/temp_dir.h"

using namespace infralogs;

TEST_CASE("inventory lists agents with tokens from files or the environment", "[collect]") {
  test::TempDir tmp;
  const std::string& dir = tmp.path();
  tmp.write("t1", "# comment\n  tok-1 \n");
  tmp.write("shared", "tok-shared\n");
  setenv("INFRALOGS_TEST_TOKEN", "tok-env", 1);
  auto r = collect::parse_inventory(R"({"token_file": "shared", "agents": [
      {"name": "a", "url": "http://a:1/", "token_file": "t1", "labels": {"env": "prod"}},
      {"name": "b", "url": "https://b:2", "token_env": "INFRALOGS_TEST_TOKEN"},
      {"name": "c", "url": "http://c:3"}]})",
                                    dir);
  REQUIRE(r.has_value());
  REQUIRE(r->size() == 3);
  CHECK((*r)[0].url == "http://a:1");
  CHECK((*r)[0].token == "tok-1");
  CHECK((*r)[0].labels.at("env") == "prod");
  CHECK((*r)[1].token == "tok-env");
  CHECK((*r)[2].token == "tok-shared");
}

TEST_CASE("inventory problems name the agent and never a token", "[collect]") {
  auto bad = [](const std::string& text) {
    auto r = collect::parse_inventory(text, "/nonexistent");
    REQUIRE_FALSE(r.has_value());
    CHECK(r.status().code() == StatusCode::kInvalidArgument);
    return r.status().message();
  };
  CHECK(bad("nope").find("agents") != std::string::npos);
  // A number too large for a double: nlohmann throws out_of_range, not parse_error
  // (fuzz_inventory's input ended collect with "terminate called").
  CHECK(bad(R"({"agents": [], "n": 5555263e1731})").find("number overflow") != std::string::npos);
  CHECK(bad(R"({"agents": []})").find("no agents") != std::string::npos);
  CHECK(bad(R"({"agents": [{"url": "http://x"}]})").find("no \"name\"") != std::string::npos);
  CHECK(bad(R"({"agents": [{"name": "x", "url": "ftp://x", "token_env": "HOME"}]})")
            .find("agent x") != std::string::npos);
  CHECK(
      bad(R"({"agents": [{"name": "x", "url": "http://x", "token_env": "HOME"}, {"name": "x", "url": "http://y", "token_env": "HOME"}]})")
          .find("twice") != std::string::npos);
  CHECK(bad(R"({"agents": [{"name": "x", "url": "http://x", "token_file": "missing"}]})")
            .find("cannot read token file") != std::string::npos);
  CHECK(bad(R"({"agents": [{"name": "x", "url": "http://x"}]})").find("token") !=
        std::string::npos);
}

TEST_CASE("inventory errors carry no token of the agents they name", "[collect]") {
  test::TempDir tmp;
  tmp.write("tok", "s3cret-agent-token\n");
  for (const std::string& agent :
       {std::string(R"({"name": "x", "url": "ftp://x", "token_file": "tok"})"),
        std::string(R"({"name": "x", "url": "http://x/path", "token_file": "tok"})"),
        std::string(R"({"name": "x", "url": "http://", "token_file": "tok"})")}) {
    INFO(agent);
    auto r = collect::parse_inventory(R"({"agents": [)" + agent + "]}", tmp.path());
    REQUIRE_FALSE(r.has_value());
    CHECK(r.status().message().find("agent x") != std::string::npos);
    CHECK(r.status().message().find("s3cret-agent-token") == std::string::npos);
  }
}

TEST_CASE("inventory refuses duplicate keys and says where JSON is broken", "[collect]") {
  setenv("INFRALOGS_TEST_TOKEN", "t", 1);
  auto dup = collect::parse_inventory(
      R"({"agents": [{"name": "a", "url": "http://a", "name": "b", "token_env": "INFRALOGS_TEST_TOKEN"}]})",
      "/nonexistent");
  REQUIRE_FALSE(dup.has_value());
  CHECK(dup.status().code() == StatusCode::kInvalidArgument);
  CHECK(dup.status().message() == "inventory: key \"name\" appears twice in one object");
  auto top = collect::parse_inventory(R"({"agents": [], "agents": []})", "/nonexistent");
  REQUIRE_FALSE(top.has_value());
  CHECK(top.status().message().find("\"agents\" appears twice") != std::string::npos);
  // The same key in two different objects is fine.
  auto ok = collect::parse_inventory(
      R"({"agents": [{"name": "a", "url": "http://a", "token_env": "INFRALOGS_TEST_TOKEN"},
                     {"name": "b", "url": "http://b", "token_env": "INFRALOGS_TEST_TOKEN"}]})",
      "/nonexistent");
  REQUIRE(ok.has_value());
  CHECK(ok->size() == 2);
  auto broken = collect::parse_inventory("{\"agents\": [\n  {\"name\": \"a\",}\n]}", "/x");
  REQUIRE_FALSE(broken.has_value());
  CHECK(broken.status().code() == StatusCode::kInvalidArgument);
  CHECK(broken.status().message().find("line 2") != std::string::npos);
}

TEST_CASE("inventory refuses credentials or a path in a URL, and overlong names", "[collect]") {
  auto bad = [](const std::string& agent) {
    auto r = collect::parse_inventory(R"({"agents": [)" + agent + "]}", "/nonexistent");
    REQUIRE_FALSE(r.has_value());
    CHECK(r.status().code() == StatusCode::kInvalidArgument);
    return r.status().message();
  };
  std::string creds =
      bad(R"({"name": "x", "url": "http://admin:hunter2@x:19532", "token_env": "HOME"})");
  CHECK(creds.find("must not carry credentials") != std::string::npos);
  CHECK(creds.find("hunter2") == std::string::npos);
  CHECK(creds.find("admin") == std::string::npos);
  CHECK(bad(R"({"name": "x", "url": "https://tok@x", "token_env": "HOME"})").find("credentials") !=
        std::string::npos);
  CHECK(bad(R"({"name": "x", "url": "http://x:19532/agent/logs", "token_env": "HOME"})")
            .find("without a path") != std::string::npos);
  CHECK(bad(R"({"name": "x", "url": "http://x:19532?limit=5", "token_env": "HOME"})")
            .find("without a path") != std::string::npos);
  CHECK(bad(R"({"name": "x", "url": "http://", "token_env": "HOME"})").find("no host") !=
        std::string::npos);
  std::string long_name(256, 'n');
  CHECK(bad(R"({"name": ")" + long_name + R"(", "url": "http://x", "token_env": "HOME"})")
            .find("longer than 255 bytes") != std::string::npos);
  // 255 bytes and a trailing slash are fine.
  setenv("INFRALOGS_TEST_TOKEN", "t", 1);
  auto ok = collect::parse_inventory(
      R"({"agents": [{"name": ")" + std::string(255, 'n') +
          R"(", "url": "http://x:1/", "token_env": "INFRALOGS_TEST_TOKEN"}]})",
      "/nonexistent");
  REQUIRE(ok.has_value());
  CHECK((*ok)[0].url == "http://x:1");
}

TEST_CASE("inventory protocol: infralogs by default, gatewayd needs no token, others refused",
          "[collect]") {
  auto r = collect::parse_inventory(R"({"agents": [
      {"name": "a", "url": "http://a:1", "token_env": "HOME"},
      {"name": "b", "url": "http://b:19531", "protocol": "gatewayd"},
      {"name": "c", "url": "http://c:1", "protocol": "infralogs", "token_env": "HOME"}]})",
                                    "/nonexistent");
  REQUIRE(r.has_value());
  CHECK((*r)[0].protocol == wire::AgentProtocol::kInfralogs);
  CHECK((*r)[1].protocol == wire::AgentProtocol::kGatewayd);
  CHECK((*r)[1].token.empty());
  CHECK((*r)[2].protocol == wire::AgentProtocol::kInfralogs);

  for (const char* protocol : {R"("gateway")", R"(7)", R"("")"}) {
    auto bad = collect::parse_inventory(
        std::string(R"({"agents": [{"name": "a", "url": "http://a:1", "token_env": "HOME"},
            {"name": "b", "url": "http://b:1", "token_env": "HOME", "protocol": )") +
            protocol + "}]}",
        "/nonexistent");
    REQUIRE_FALSE(bad.has_value());
    INFO(bad.status().message());
    CHECK(bad.status().code() == StatusCode::kInvalidArgument);
    CHECK(bad.status().message().find("agent #1 (b)") != std::string::npos);
    CHECK(bad.status().message().find("\"protocol\"") != std::string::npos);
    CHECK(bad.status().message().find(protocol) != std::string::npos);
  }
  // An infralogs agent still needs its token.
  auto no_token =
      collect::parse_inventory(R"({"agents": [{"name": "a", "url": "http://a:1"}]})", "/x");
  CHECK_FALSE(no_token.has_value());
}

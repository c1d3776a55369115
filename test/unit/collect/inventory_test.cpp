#include "infralogs/collect/inventory.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>

using namespace infralogs;

TEST_CASE("inventory lists agents with tokens from files or the environment", "[collect]") {
  char dir[] = "/tmp/infralogs-inv-XXXXXX";
  REQUIRE(mkdtemp(dir));
  std::ofstream(std::string(dir) + "/t1") << "# comment\n  tok-1 \n";
  std::ofstream(std::string(dir) + "/shared") << "tok-shared\n";
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
  std::system((std::string("rm -rf ") + dir).c_str());
}

TEST_CASE("inventory problems name the agent and never a token", "[collect]") {
  auto bad = [](const std::string& text) {
    auto r = collect::parse_inventory(text, "/nonexistent");
    REQUIRE_FALSE(r.has_value());
    CHECK(r.status().code() == StatusCode::kInvalidArgument);
    return r.status().message();
  };
  CHECK(bad("nope").find("agents") != std::string::npos);
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

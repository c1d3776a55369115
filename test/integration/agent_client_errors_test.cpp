// HttpAgentClient's transport errors name the agent's URL and what ran out (issue 11 #9: the
// collector logged httplib's bare "GET /logs: Connection" and "Read").

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "infralogs/wire/agent_client.h"
#include "support/net.h"

using namespace infralogs;

namespace {

// A loopback socket that listens but never accepts: the kernel completes connections, nothing
// ever answers.
class SilentListener {
 public:
  SilentListener() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(listen(fd_, 8) == 0);
    socklen_t len = sizeof a;
    REQUIRE(getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    port_ = ntohs(a.sin_port);
  }
  ~SilentListener() { close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

}  // namespace

TEST_CASE("transport errors name the agent's URL and the timeout, never the token",
          "[integration][wire]") {
  wire::HttpAgentClientOptions options;
  options.connect_timeout = std::chrono::seconds(2);
  options.read_timeout = std::chrono::seconds(1);
  wire::HttpAgentClient client(options);
  wire::FetchRequest req;
  req.limit = 10;

  SECTION("nothing listens on the port") {
    std::string url = "http://127.0.0.1:" + std::to_string(test::free_port());
    wire::AgentSpec spec;
    spec.name = "vm";
    spec.url = url;
    spec.token = "tok-never-logged";
    auto batch = client.fetch(spec, req, {});
    REQUIRE_FALSE(batch);
    CHECK(batch.status().code() == StatusCode::kUnavailable);
    CHECK(batch.status().message() ==
          "GET /logs: cannot connect to " + url + " (refused, unreachable or no such host)");
    auto id = client.identify(spec, {});
    REQUIRE_FALSE(id);
    CHECK(id.status().message().find("GET /machine: cannot connect to " + url) == 0);
  }
  SECTION("the agent accepts and never answers") {
    SilentListener silent;
    std::string url = "http://127.0.0.1:" + std::to_string(silent.port());
    wire::AgentSpec spec;
    spec.name = "vm";
    spec.url = url;
    spec.token = "tok-never-logged";
    auto batch = client.fetch(spec, req, {});
    REQUIRE_FALSE(batch);
    CHECK(batch.status().code() == StatusCode::kUnavailable);
    CHECK(batch.status().message() == "GET /logs: " + url +
                                          " closed the connection or sent nothing for 1 s "
                                          "(read timeout)");
    CHECK(batch.status().message().find("tok-never-logged") == std::string::npos);
  }
}

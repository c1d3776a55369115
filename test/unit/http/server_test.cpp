#include "infralogs/http/server.h"

#include <sys/socket.h>

#include <catch2/catch.hpp>
#include <future>
#include <string>
#include <thread>

using namespace infralogs;

namespace {

// listen_and_serve on its own thread, on a loopback port picked by binding a throwaway server.
struct Serving {
  explicit Serving(http::Server& s, ListenAddress a) : server(s), address(std::move(a)) {
    result = std::async(std::launch::async, [this] {
      return http::listen_and_serve(server, address, "test", stop.get_token());
    });
  }
  http::Server& server;
  ListenAddress address;
  std::stop_source stop;
  std::future<int> result;
};

int any_free_port() {
  auto probe = std::move(*http::Server::create({}));
  int port = probe->bind_to_any_port("127.0.0.1");
  probe->close_listener();
  return port;
}

}  // namespace

TEST_CASE("listen_and_serve serves until stop is requested, then returns 0") {
  auto server = std::move(*http::Server::create({}));
  server->Get("/ping", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("pong", "text/plain");
  });
  int port = any_free_port();
  Serving serving(*server, {"127.0.0.1", port});
  while (!server->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  httplib::Client client("127.0.0.1", port);
  auto res = client.Get("/ping");
  REQUIRE(res);
  CHECK(res->body == "pong");
  serving.stop.request_stop();
  REQUIRE(serving.result.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  CHECK(serving.result.get() == 0);
}

TEST_CASE("listen_and_serve returns at once when stop was requested before it served") {
  // httplib's own stop() does nothing before listening starts; a signal in that window must
  // still stop the server.
  auto server = std::move(*http::Server::create({}));
  std::stop_source stop;
  stop.request_stop();
  auto result = std::async(std::launch::async, [&] {
    return http::listen_and_serve(*server, {"127.0.0.1", 0}, "test", stop.get_token());
  });
  REQUIRE(result.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  CHECK(result.get() == 0);
}

TEST_CASE("listen_and_serve returns 1 when the port is taken") {
  auto holder = std::move(*http::Server::create({}));
  int port = holder->bind_to_any_port("127.0.0.1");
  REQUIRE(port > 0);
  auto server = std::move(*http::Server::create({}));
  std::stop_source stop;
  CHECK(http::listen_and_serve(*server, {"127.0.0.1", port}, "test", stop.get_token()) == 1);
}

TEST_CASE("Server::create applies ServerOptions' payload limit") {
  http::ServerOptions options;
  options.payload_max_length = 16;
  auto server = std::move(*http::Server::create({}, options));
  server->Post("/in", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok", "text/plain");
  });
  int port = any_free_port();
  Serving serving(*server, {"127.0.0.1", port});
  while (!server->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  httplib::Client client("127.0.0.1", port);
  auto small = client.Post("/in", std::string(16, 'x'), "text/plain");
  REQUIRE(small);
  CHECK(small->status == 200);
  auto big = client.Post("/in", std::string(17, 'x'), "text/plain");
  REQUIRE(big);
  CHECK(big->status == 413);
  serving.stop.request_stop();
  CHECK(serving.result.get() == 0);
}

TEST_CASE("Server::create reports an unloadable certificate as kInvalidArgument") {
  auto server = http::Server::create({.cert_file = "/nonexistent/cert.pem",
                                      .key_file = "/nonexistent/key.pem",
                                      .client_ca_file = ""});
  REQUIRE(!server);
  CHECK(server.status().code() == StatusCode::kInvalidArgument);
}

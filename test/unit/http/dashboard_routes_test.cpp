// serve's routes over a FakeLogReader: what a client is told when the database fails (issue 11:
// 503 bodies named the replica's host and account to anyone), client errors, and parameters
// read as the agent and `query` read them.

#include "infralogs/http/dashboard_routes.h"

#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "fakes/fake_log_reader.h"
#include "infralogs/dashboard/dashboard.h"
#include "infralogs/http/server.h"
#include "support/files.h"
#include "support/temp_dir.h"

using namespace infralogs;
using nlohmann::json;

namespace {

// What a MariaDB connect failure says (storage's connect_failure_message): the host and the
// account. None of it may reach a client.
const std::string kHost = "replica-7.db.internal";
const std::string kUser = "infralogs_ro";
const std::string kDbMessage =
    "cannot connect to " + kHost + ":3306 as " + kUser + ": Lost connection to server";

// serve's routes on a loopback port, on the http::Server serve uses.
struct TestServe {
  TestServe() {
    server = std::move(*http::Server::create({}));
    http::attach_dashboard_routes(*server, dash, reader, metrics, assets);
    port = server->bind_to_any_port("127.0.0.1");
    thread = std::thread([this] { server->listen_after_bind(); });
    while (!server->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~TestServe() {
    server->stop();
    thread.join();
  }
  httplib::Client client() const { return httplib::Client("127.0.0.1", port); }

  test::FakeLogReader reader;
  dashboard::Dashboard dash{reader, dashboard::DashboardOptions{}};
  MetricsRegistry metrics;
  std::vector<http::StaticAsset> assets;
  std::unique_ptr<http::Server> server;
  int port = 0;
  std::thread thread;
};

// Sends this process's stderr (where log lines go) to a file until destroyed or restored.
class StderrToFile {
 public:
  explicit StderrToFile(const std::string& path) {
    std::fflush(stderr);
    saved_ = dup(STDERR_FILENO);
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    REQUIRE(fd >= 0);
    dup2(fd, STDERR_FILENO);
    close(fd);
  }
  ~StderrToFile() { restore(); }
  void restore() {
    if (saved_ < 0) return;
    std::fflush(stderr);
    dup2(saved_, STDERR_FILENO);
    close(saved_);
    saved_ = -1;
  }

 private:
  int saved_ = -1;
};

bool mentions_database(const std::string& text) {
  return text.find(kHost) != std::string::npos || text.find(kUser) != std::string::npos;
}

}  // namespace

TEST_CASE("a database failure tells the client 'database unavailable' and the log the detail",
          "[http][dashboard]") {
  TestServe serve;
  test::TempDir dir;
  auto c = serve.client();
  struct Case {
    const char* method;  // the FakeLogReader method that fails
    Status status;
    const char* path;
    int http;
    const char* error;
    const char* reason;
  };
  const Case cases[] = {
      // An explicit window: the reader is first asked for the overview's volume.
      {"volume_by_priority", Status::unavailable(kDbMessage), "/api/overview?from=@0&to=@3600", 503,
       "database unavailable", "unavailable"},
      // The default window asks the reader for its newest hour first.
      {"newest_hour_usec",
       Status::permission_denied("Access denied for user '" + kUser + "'@'" + kHost + "'"),
       "/api/hosts", 503, "database unavailable", "permission_denied"},
      // kInvalidArgument from storage is a misconfiguration (an account that needs TLS), the
      // server's fault: 500, never a 400 that blames the request.
      {"search", Status::invalid_argument(kDbMessage + " (the account needs TLS)"),
       "/api/search?from=@0&to=@3600", 500, "database error", "invalid_argument"},
      {"gaps", Status::internal(kDbMessage), "/api/gaps?from=@0&to=@3600", 500, "database error",
       "internal"},
      {"entry", Status::unavailable(kDbMessage),
       "/api/entry?id=1000-1-0123456789abcdef0123456789abcdef-5", 503, "database unavailable",
       "unavailable"},
  };
  for (const Case& k : cases) {
    INFO(k.path);
    serve.reader.fail_next(k.method, k.status);
    std::string log_path = dir.file("stderr");
    StderrToFile capture(log_path);
    auto res = c.Get(k.path);
    capture.restore();
    REQUIRE(res);
    CHECK(res->status == k.http);
    CHECK_FALSE(mentions_database(res->body));
    json body = json::parse(res->body);
    CHECK(body == json{{"error", k.error}, {"reason", k.reason}});
    // The operator still gets the whole message, with the path.
    std::string log = test::read_file(log_path);
    CHECK(log.find(kHost) != std::string::npos);
    std::string route(k.path);
    route = route.substr(0, route.find('?'));
    CHECK(log.find("\"" + route + "\"") != std::string::npos);
  }
}

TEST_CASE("healthz and freshness say the replica is down without naming it", "[http][dashboard]") {
  TestServe serve;
  test::TempDir dir;
  auto c = serve.client();
  serve.reader.fail_next("ping", Status::unavailable(kDbMessage));
  serve.reader.fail_next("heartbeat_usec", Status::unavailable(kDbMessage));
  std::string log_path = dir.file("stderr");
  StderrToFile capture(log_path);
  auto health = c.Get("/healthz");
  auto fresh = c.Get("/api/freshness");
  capture.restore();
  REQUIRE(health);
  CHECK(health->status == 503);
  CHECK(json::parse(health->body) == json{{"status", "unavailable"}, {"reason", "unavailable"}});
  REQUIRE(fresh);
  CHECK(fresh->status == 200);
  CHECK_FALSE(mentions_database(health->body));
  CHECK_FALSE(mentions_database(fresh->body));
  json f = json::parse(fresh->body);
  CHECK(f["replica_ok"] == false);
  CHECK(f["error"] == "database unavailable");
  std::string log = test::read_file(log_path);
  CHECK(log.find(kHost) != std::string::npos);
  // Healthy again: 200 with no reason.
  auto ok = c.Get("/healthz");
  REQUIRE(ok);
  CHECK(ok->status == 200);
}

TEST_CASE("the request's own faults still say what is wrong", "[http][dashboard]") {
  TestServe serve;
  auto c = serve.client();
  auto res = c.Get("/api/overview?from=@20&to=@10");
  REQUIRE(res);
  CHECK(res->status == 400);
  CHECK(json::parse(res->body)["parameter"] == "from");
  res = c.Get("/api/entry?id=1000-1-0123456789abcdef0123456789abcdef-5");
  REQUIRE(res);
  CHECK(res->status == 404);
  CHECK(json::parse(res->body)["error"] == "no such entry");
  res = c.Get("/api/search?limit=0");
  REQUIRE(res);
  CHECK(res->status == 400);
  CHECK(json::parse(res->body)["parameter"] == "limit");
}

TEST_CASE("search's unit gets .service as the agent's unit= and query -u do", "[http][dashboard]") {
  TestServe serve;
  storage::SearchRow cron;
  cron.key = {5000000, 1, "0123456789abcdef0123456789abcdef", 1};
  cron.host = "vm-01";
  cron.unit = "cron.service";
  cron.message = "a=b ran";
  serve.reader.add_entry(cron);
  auto c = serve.client();
  auto res = c.Get("/api/search?from=@0&to=@3600&unit=cron");
  REQUIRE(res);
  REQUIRE(res->status == 200);
  CHECK(json::parse(res->body)["entries"].size() == 1);
  auto calls = serve.reader.calls("search");
  REQUIRE(!calls.empty());
  CHECK(calls.back().search->unit == "cron.service");
  // A name with a unit suffix is left as it is.
  REQUIRE(c.Get("/api/search?from=@0&to=@3600&unit=cron.timer"));
  CHECK(serve.reader.calls("search").back().search->unit == "cron.timer");
  // Text with '=' is searched whole (http::Server splits a parameter at its first '=').
  res = c.Get("/api/search?from=@0&to=@3600&q=a=b");
  REQUIRE(res);
  CHECK(serve.reader.calls("search").back().search->text == "a=b");
  CHECK(json::parse(res->body)["entries"].size() == 1);
}

TEST_CASE("search ignores case unless case=exact", "[http][dashboard]") {
  TestServe serve;
  storage::SearchRow cron;
  cron.key = {5000000, 1, "0123456789abcdef0123456789abcdef", 1};
  cron.host = "vm-01";
  cron.message = "Kernel PANIC";
  serve.reader.add_entry(cron);
  auto c = serve.client();
  auto res = c.Get("/api/search?from=@0&to=@3600&q=kernel%20panic");
  REQUIRE(res);
  REQUIRE(res->status == 200);
  CHECK_FALSE(serve.reader.calls("search").back().search->exact_case);
  CHECK(json::parse(res->body)["entries"].size() == 1);
  CHECK(json::parse(res->body)["partial"] == false);
  res = c.Get("/api/search?from=@0&to=@3600&q=kernel%20panic&case=exact");
  REQUIRE(res);
  CHECK(serve.reader.calls("search").back().search->exact_case);
  CHECK(json::parse(res->body)["entries"].empty());
  res = c.Get("/api/search?from=@0&to=@3600&q=kernel&case=ignore");
  REQUIRE(res);
  CHECK_FALSE(serve.reader.calls("search").back().search->exact_case);
  res = c.Get("/api/search?q=kernel&case=Exact");
  REQUIRE(res);
  CHECK(res->status == 400);
  CHECK(json::parse(res->body)["parameter"] == "case");
}

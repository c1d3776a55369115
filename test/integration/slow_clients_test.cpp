// Slow and idle clients against the real agent and serve (issue 11, item 1): they cannot keep a
// real request from being answered, a request head has a total deadline, and SIGTERM does not
// wait for them.

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "support/journal.h"
#include "support/net.h"
#include "support/server_process.h"
#include "support/temp_dir.h"

using namespace infralogs::test;
using Clock = std::chrono::steady_clock;

namespace {

int connect_to(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  return fd;
}

// True once the peer has closed `fd` (a read returns 0 or fails), waiting up to `timeout`.
bool closed_within(int fd, std::chrono::milliseconds timeout) {
  auto end = Clock::now() + timeout;
  while (Clock::now() < end) {
    pollfd p{fd, POLLIN, 0};
    int left = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now()).count());
    if (::poll(&p, 1, std::max(left, 1)) > 0) {
      char buf[512];
      ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
      if (n <= 0) return true;
    }
  }
  return false;
}

// `count` connections that each send a request line and then one header line every
// `every`, never the blank line, until destroyed. `idle` connections send nothing at all.
class Tricklers {
 public:
  Tricklers(int port, int count, std::chrono::milliseconds every, bool idle = false) {
    for (int i = 0; i < count; ++i) fds_.push_back(connect_to(port));
    if (idle) return;
    thread_ = std::thread([this, every] {
      for (int fd : fds_) send_line(fd, "GET /healthz HTTP/1.1\r\n");
      int n = 0;
      while (!stop_) {
        auto next = Clock::now() + every;
        for (int fd : fds_) send_line(fd, "X-Slow-" + std::to_string(n) + ": a\r\n");
        ++n;
        while (!stop_ && Clock::now() < next) {
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
      }
    });
  }
  ~Tricklers() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    for (int fd : fds_) ::close(fd);
  }
  const std::vector<int>& fds() const { return fds_; }

 private:
  static void send_line(int fd, const std::string& line) {
    (void)::send(fd, line.data(), line.size(), MSG_NOSIGNAL);
  }
  std::vector<int> fds_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Milliseconds until `port` answers GET /healthz (any status); -1 when it does not in 10 s.
long answer_ms(int port) {
  httplib::Client c("127.0.0.1", port);
  c.set_connection_timeout(10);
  c.set_read_timeout(10);
  auto start = Clock::now();
  auto res = c.Get("/healthz");
  if (!res) return -1;
  return static_cast<long>(
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count());
}

struct Agent {
  TempDir dir;
  std::string journal = dir.path() + "/small.journal";
  std::string tokens = dir.write("tokens", "token-one\n");
  Agent() { generate_journal(journal, {"--entries", "20"}); }
  std::vector<std::string> args(std::vector<std::string> extra = {}) const {
    std::vector<std::string> a = {"--token-file", tokens, "--file", journal};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
};

// serve with a replica that refuses connections: /healthz answers 503 at once.
struct Serve {
  TempDir dir;
  std::string creds = dir.write("reader.json", R"({"username": "r", "password": "pw-unused"})");
  std::vector<std::string> args(std::vector<std::string> extra = {}) const {
    std::vector<std::string> a = {"--db", "mysql://127.0.0.1:" + std::to_string(free_port()) + "/x",
                                  "--db-credentials-file", creds};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
};

}  // namespace

TEST_CASE("64 trickling connections do not delay a real request to agent or serve",
          "[integration][slow]") {
  // Before: 8 workers, each held by a connection for its life; the request waited ~30 s.
  Agent a;
  Serve s;
  for (const char* mode : {"agent", "serve"}) {
    INFO(mode);
    ServerProcess server(mode, std::string(mode) == "agent" ? a.args() : s.args());
    Tricklers slow(server.port(), 64, std::chrono::milliseconds(1000));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // all 64 accepted
    long ms = answer_ms(server.port());
    CHECK(ms >= 0);
    CHECK(ms < 2000);
  }
}

TEST_CASE("64 idle connections do not delay a real request", "[integration][slow]") {
  Agent a;
  ServerProcess agent("agent", a.args());
  Tricklers idle(agent.port(), 64, std::chrono::milliseconds(0), /*idle=*/true);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  long ms = answer_ms(agent.port());
  CHECK(ms >= 0);
  CHECK(ms < 2000);
}

TEST_CASE("a request head still arriving after --header-timeout is cut off",
          "[integration][slow]") {
  Agent a;
  ServerProcess agent("agent", a.args({"--header-timeout", "2"}));
  auto start = Clock::now();
  Tricklers slow(agent.port(), 1, std::chrono::milliseconds(300));
  // Each line comes well within the 30 s per-read timeout: only the total deadline ends it.
  REQUIRE(closed_within(slow.fds()[0], std::chrono::milliseconds(5000)));
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
  CHECK(ms >= 1800);
  CHECK(ms < 3500);
  CHECK(answer_ms(agent.port()) >= 0);
}

TEST_CASE("a request body still arriving after --header-timeout is cut off, on agent and serve",
          "[integration][slow]") {
  // Before: httplib reads a POST's body before routing, with only the 30 s per-read timeout,
  // so a body trickling in held its connection and thread without end.
  Agent a;
  Serve s;
  for (const char* mode : {"agent", "serve"}) {
    INFO(mode);
    std::vector<std::string> extra = {"--header-timeout", "2"};
    ServerProcess server(mode, std::string(mode) == "agent" ? a.args(extra) : s.args(extra));
    auto start = Clock::now();
    int fd = connect_to(server.port());
    std::string head = "POST /logs HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n";
    REQUIRE(::send(fd, head.data(), head.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(head.size()));
    std::atomic<bool> stop{false};
    std::thread trickle([fd, &stop] {
      while (!stop) {
        (void)::send(fd, "a", 1, MSG_NOSIGNAL);
        for (int i = 0; i < 15 && !stop; ++i)
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    });
    bool closed = closed_within(fd, std::chrono::milliseconds(5000));
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
    stop = true;
    trickle.join();
    ::close(fd);
    CHECK(closed);
    CHECK(ms >= 1800);
    CHECK(ms < 3500);
    CHECK(answer_ms(server.port()) >= 0);
  }
}

TEST_CASE("past --max-connections the oldest slow connection makes room for a new one",
          "[integration][slow]") {
  Agent a;
  ServerProcess agent("agent", a.args({"--max-connections", "16", "--threads", "2"}));
  Tricklers slow(agent.port(), 40, std::chrono::milliseconds(1000));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  // 24 of the 40 were closed to keep 16 open: the first ones, the oldest.
  int closed = 0;
  for (int fd : slow.fds()) closed += closed_within(fd, std::chrono::milliseconds(50)) ? 1 : 0;
  CHECK(closed == 24);
  CHECK(closed_within(slow.fds().front(), std::chrono::milliseconds(10)));
  long ms = answer_ms(agent.port());
  CHECK(ms >= 0);
  CHECK(ms < 2000);
}

TEST_CASE("SIGTERM with trickling and idle clients exits within 3 s", "[integration][slow]") {
  // Before: it waited for them, 28 s.
  Agent a;
  Serve s;
  for (const char* mode : {"agent", "serve"}) {
    INFO(mode);
    ServerProcess server(mode, std::string(mode) == "agent" ? a.args() : s.args());
    Tricklers slow(server.port(), 32, std::chrono::milliseconds(1000));
    Tricklers idle(server.port(), 32, std::chrono::milliseconds(0), /*idle=*/true);
    // A kept-alive connection between requests, too.
    httplib::Client kept("127.0.0.1", server.port());
    kept.set_keep_alive(true);
    REQUIRE(kept.Get("/healthz"));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    auto start = Clock::now();
    CHECK(server.stop() == 0);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
    CHECK(ms < 3000);
  }
}

// libFuzzer target: gatewayd's "Range:" request header on the agent's /entries, end to end
// through the real server: http::Server's header renaming (RangeRenamingStream, which
// reads the request head byte by byte), then the /entries handler's parse_entries_range and
// the read it asks for (skips, counts, cursors) against a FakeJournalReader. The parser itself
// is internal to agent_routes.cpp, so this goes through the closest public entry point: one
// raw HTTP request per input on a loopback connection.
//
// The input is the header's value with CR and LF removed (a line break would end the header,
// which is the request parser's business, not the Range parser's). The server must answer
// (any status) or close, and keep answering.

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "fakes/fake_journal_reader.h"
#include "infralogs/http/agent_routes.h"
#include "infralogs/http/server.h"

using namespace infralogs;

namespace {

struct Agent {
  Agent() : limiter(1000000, std::chrono::seconds(60)) {
    for (uint64_t i = 0; i < 5; ++i) {
      reader.entries.push_back({1000 + i, {"MESSAGE=entry " + std::to_string(i), "N=1"}});
    }
    char path[] = "/tmp/infralogs-fuzz-tokens-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) std::abort();
    close(fd);
    std::ofstream(path) << "fuzz-token\n";
    tokens = std::move(*http::TokenFile::load(path));
    unlink(path);
    server = std::move(*http::Server::create({}));
    http::attach_agent_routes(*server, reader, *tokens, limiter, metrics, {});
    port = server->bind_to_any_port("127.0.0.1");
    thread = std::thread([this] { server->listen_after_bind(); });
    while (!server->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }

  test::FakeJournalReader reader;
  std::unique_ptr<http::TokenFile> tokens;
  http::AuthRateLimiter limiter;
  MetricsRegistry metrics;
  std::unique_ptr<http::Server> server;
  int port = 0;
  std::thread thread;
};

// Sends `request` and returns the whole answer (the server closes the connection).
std::string round_trip(int port, const std::string& request) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) std::abort();
  timeval timeout{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  // One connection per input, over a thousand a second: the closed ones wait in TIME_WAIT, and
  // loopback's ephemeral ports (about 28,000) run out within 30 s on a fast machine. That is the
  // harness's limit, not the server's, so wait for ports to free up (up to 30 s) before giving
  // up with errno.
  // A signal (libFuzzer's timer) may interrupt connect: with SO_RCVTIMEO set it is not
  // restarted but goes on in the background, so wait for it and take its result.
  auto connected = [&] {
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) return true;
    if (errno != EINTR) return false;
    pollfd p{fd, POLLOUT, 0};
    while (poll(&p, 1, 5000) < 0 && errno == EINTR) {
    }
    int error = 0;
    socklen_t len = sizeof error;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) != 0) return false;
    errno = error;
    return error == 0;
  };
  for (int attempt = 0; !connected(); ++attempt) {
    if (errno != EADDRNOTAVAIL || attempt == 300) {
      std::fprintf(stderr, "connect to the agent: %s\n", std::strerror(errno));
      std::abort();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  for (size_t off = 0; off < request.size();) {
    ssize_t n = send(fd, request.data() + off, request.size() - off, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may refuse and close before reading everything
    off += static_cast<size_t>(n);
  }
  std::string answer;
  char buf[65536];
  ssize_t n;
  while ((n = recv(fd, buf, sizeof buf, 0)) > 0 || (n < 0 && errno == EINTR))
    if (n > 0) answer.append(buf, static_cast<size_t>(n));
  // Reset rather than close: the server has closed already, and the reset ends its TIME_WAIT,
  // so the port is free for a later input.
  linger reset{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
  close(fd);
  return answer;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Never destroyed: libFuzzer exits without unwinding, and the server thread must outlive
  // every input.
  static Agent* agent = new Agent;
  std::string request =
      "GET /entries HTTP/1.1\r\nHost: fuzz\r\nAuthorization: Bearer fuzz-token\r\n"
      "Accept: application/json\r\nConnection: close\r\nRange: ";
  for (size_t i = 0; i < size; ++i) {
    if (data[i] != '\r' && data[i] != '\n') request += static_cast<char>(data[i]);
  }
  request += "\r\n\r\n";
  std::string answer = round_trip(agent->port, request);
  // Some header values make httplib close without an answer (an empty "Range:" does); that is
  // a refusal, not a failure. The server must still answer the next, ordinary request.
  if (answer.rfind("HTTP/1.1 ", 0) != 0) {
    std::string next =
        round_trip(agent->port, "GET /healthz HTTP/1.1\r\nHost: fuzz\r\nConnection: close\r\n\r\n");
    if (next.rfind("HTTP/1.1 ", 0) != 0) {
      std::fprintf(stderr, "the server stopped answering after this input\n");
      std::abort();
    }
  }
  return 0;
}

#pragma once
// The real `infralogs agent` or `infralogs serve` on 127.0.0.1 and a port it picks.

#include <sys/types.h>

#include <string>
#include <vector>

#include "support/process.h"

namespace infralogs::test {

class ServerProcess {
 public:
  // Runs `PREFIX... infralogs MODE --listen 127.0.0.1:0 ARGS...` (MODE is agent or serve;
  // PREFIX is for wrappers such as setpriv) and waits, up to 30 s, for its "listening" log
  // line, which gives the port. Fails the test, showing the log, if the server exits first or
  // does not listen in time; the process is killed then.
  ServerProcess(const std::string& mode, const std::vector<std::string>& args,
                const std::vector<std::string>& prefix = {});
  // Stops it like stop() if it still runs (SIGKILL after 10 s), without failing the test.
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  int port() const { return port_; }
  pid_t pid() const { return process_.pid(); }
  // What it logged so far (stderr, JSON lines).
  std::string log() const { return process_.err(); }
  // Sends SIGTERM and waits: the exit status, or -1 if a signal ended it. Fails the test (and
  // kills the server) if it has not exited within 10 s.
  int stop();

 private:
  std::string mode_;
  BackgroundProcess process_;
  int port_ = 0;
};

}  // namespace infralogs::test

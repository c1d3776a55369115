#include "support/server_process.h"

#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "support/binaries.h"
#include "support/ndjson.h"

namespace infralogs::test {
namespace {

using namespace std::chrono_literals;

// Generous: on a loaded 2-core machine a start can take seconds.
constexpr auto kStartTimeout = 30s;
constexpr auto kStopTimeout = 10s;

std::vector<std::string> command(const std::string& mode, const std::vector<std::string>& args,
                                 const std::vector<std::string>& prefix) {
  std::vector<std::string> argv = prefix;
  for (const auto& a :
       {infralogs_binary(), mode, std::string("--listen"), std::string("127.0.0.1:0")})
    argv.push_back(a);
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

}  // namespace

ServerProcess::ServerProcess(const std::string& mode, const std::vector<std::string>& args,
                             const std::vector<std::string>& prefix)
    : mode_(mode), process_(command(mode, args, prefix)) {
  auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  while (std::chrono::steady_clock::now() < deadline) {
    for (const auto& line : parse_json_lines(process_.err())) {
      if (line.value("msg", "") == "listening") {
        port_ = line.value("port", 0);
        REQUIRE(port_ > 0);
        return;
      }
    }
    if (auto code = process_.poll())
      FAIL(mode << " exited with " << *code << " at start:\n" << process_.log());
    std::this_thread::sleep_for(20ms);
  }
  // process_'s destructor kills it as the exception leaves.
  FAIL(mode << " did not log \"listening\" within 30 s:\n" << process_.log());
}

ServerProcess::~ServerProcess() {
  if (process_.poll()) return;
  process_.signal(SIGTERM);
  process_.wait_for(kStopTimeout);  // then ~BackgroundProcess sends SIGKILL
}

int ServerProcess::stop() {
  process_.signal(SIGTERM);
  auto code = process_.wait_for(kStopTimeout);
  if (!code) {
    process_.signal(SIGKILL);
    process_.wait();
    FAIL(mode_ << " still ran 10 s after SIGTERM (killed):\n" << process_.log());
  }
  return *code;
}

}  // namespace infralogs::test

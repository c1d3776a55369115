// The executable itself: self-contained, and its command line.

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "support/binaries.h"
#include "support/exit_codes.h"
#include "support/process.h"
#include "support/temp_dir.h"

using namespace infralogs::test;

TEST_CASE("the binary needs nothing but glibc at run time", "[integration][binary]") {
  auto r = run({"ldd", infralogs_binary()});
  REQUIRE(r.exit_code == 0);
  std::istringstream in(r.out);
  std::string line;
  int libs = 0;
  while (std::getline(in, line)) {
    INFO(line);
    bool allowed = line.find("linux-vdso.so") != std::string::npos ||
                   line.find("libc.so.6") != std::string::npos ||
                   line.find("ld-linux-x86-64.so.2") != std::string::npos;
    CHECK(allowed);
    ++libs;
  }
  CHECK(libs >= 2);
}

TEST_CASE("the version and help flags explain the binary", "[integration][binary]") {
  auto r = run({infralogs_binary(), "--version"});
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("infralogs 0.") == 0);
  r = run({infralogs_binary(), "--help"});
  CHECK(r.exit_code == 0);
  for (const char* mode : {"agent", "collect", "serve", "rotate-creds", "query"}) {
    CHECK(r.out.find(mode) != std::string::npos);
  }
  r = run({infralogs_binary(), "agent", "--help"});
  CHECK(r.exit_code == 0);
  for (const char* opt : {"--listen", "--token-file", "--directory", "--file", "--tls-cert",
                          "--tls-client-ca", "--write-timeout"}) {
    CHECK(r.out.find(opt) != std::string::npos);
  }
}

TEST_CASE("every mode is built: an unknown option is a usage error", "[integration][binary]") {
  for (const char* mode : {"agent", "collect", "serve", "rotate-creds", "query"}) {
    auto r = run({infralogs_binary(), mode, "--whatever"});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("not built yet") == std::string::npos);
    CHECK(r.err.find("Run with --help") != std::string::npos);
  }
}

TEST_CASE("a missing or unknown mode is a usage error", "[integration][binary]") {
  auto r = run({infralogs_binary()});
  check_usage_error(r);
  CHECK(r.err.find("subcommand") != std::string::npos);
  check_usage_error(run({infralogs_binary(), "frobnicate"}));
}

TEST_CASE("a number too long for its type is a usage error, not an abort",
          "[integration][binary]") {
  TempDir dir;
  std::string creds = dir.write("creds.json", R"({"username": "u", "password": "p"})");
  auto r =
      run({infralogs_binary(), "collect", "--db", "mysql://127.0.0.1:1/x", "--db-credentials-file",
           creds, "--inventory", creds, "--since", "99999999999999999999h"});
  INFO(r.err);
  CHECK(r.signal == 0);
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("--since") != std::string::npos);
  r = run({infralogs_binary(), "serve", "--listen", "127.0.0.1:123456789012345678901234567890",
           "--db", "mysql://127.0.0.1:1/x", "--db-credentials-file", creds});
  INFO(r.err);
  CHECK(r.signal == 0);
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("--listen") != std::string::npos);
  r = run({infralogs_binary(), "agent", "--listen", "127.0.0.1:123456789012345678901234567890",
           "--token-file", creds});
  INFO(r.err);
  CHECK(r.signal == 0);
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("--listen") != std::string::npos);
}

TEST_CASE("agent --write-timeout takes 1..3600 seconds", "[integration][binary]") {
  TempDir dir;
  std::string tokens = dir.write("tokens", "tok\n");
  for (const char* bad : {"0", "3601", "-1", "abc"}) {
    INFO(bad);
    auto r = run({infralogs_binary(), "agent", "--token-file", tokens, "--write-timeout", bad});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("--write-timeout") != std::string::npos);
  }
  auto r = run({infralogs_binary(), "agent", "--help"});
  CHECK(r.out.find("--write-timeout INT:INT in [1 - 3600]=60") != std::string::npos);
}

namespace {

// The agent's log line for a token file that holds no token, logged at once before it exits 2:
// `prefix... infralogs agent ... 2>&1 | cat` (stderr a pipe) or under `script` (stderr a pty).
struct LogRun {
  TempDir dir;
  std::string command;
  LogRun(const std::string& extra = "") {
    std::string tokens = dir.write("empty-tokens", "");
    command = "'" + infralogs_binary() + "' agent --listen 127.0.0.1:0 --token-file '" + tokens +
              "'" + extra;
  }
  std::string on_pipe(const std::vector<std::string>& env = {}) const {
    auto r = run({"sh", "-c", command + " 2>&1 | cat"}, env);
    return r.out;
  }
  std::string on_pty(const std::vector<std::string>& env = {}) const {
    auto r = run({"script", "-qec", command, "/dev/null"}, env);
    return r.out;
  }
};

void check_json_line(const std::string& out) {
  INFO(out);
  REQUIRE(!out.empty());
  auto line = nlohmann::json::parse(out.substr(0, out.find_first_of("\r\n")));
  CHECK(line["level"] == "error");
  CHECK(line["component"] == "agent");
  CHECK(line["msg"] == "cannot use --token-file");
  CHECK(line["error"].get<std::string>().find("holds no token") != std::string::npos);
  CHECK(std::regex_match(line["ts"].get<std::string>(),
                         std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")));
}

void check_text_line(const std::string& out) {
  INFO(out);
  std::string line = out.substr(0, out.find_first_of("\r\n"));
  CHECK(std::regex_match(line, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z error agent )"
                                          R"(cannot use --token-file error="token file .* holds )"
                                          R"(no token")")));
}

}  // namespace

TEST_CASE("logs are text on a terminal and JSON lines on a pipe", "[integration][binary]") {
  LogRun r;
  check_text_line(r.on_pty());
  check_json_line(r.on_pipe());
}

TEST_CASE("log format: --log-format and INFRALOGS_LOG_FORMAT override the terminal check",
          "[integration][binary]") {
  check_json_line(LogRun(" --log-format json").on_pty());
  check_text_line(LogRun(" --log-format text").on_pipe());
  LogRun r;
  check_text_line(r.on_pipe({"INFRALOGS_LOG_FORMAT=text"}));
  check_json_line(r.on_pty({"INFRALOGS_LOG_FORMAT=json"}));
}

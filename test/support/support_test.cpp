// The shared test support itself (test_support): what the integration tests rely on it for.

#include <signal.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include "support/binaries.h"
#include "support/files.h"
#include "support/ndjson.h"
#include "support/net.h"
#include "support/pki.h"
#include "support/process.h"
#include "support/temp_dir.h"

using namespace infralogs::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

TEST_CASE("a TempDir is removed with its files, also when the test unwinds", "[support]") {
  std::string path, file;
  {
    TempDir dir;
    path = dir.path();
    file = dir.write("sub.txt", "x");
    std::filesystem::create_directory(dir.file("nested"));
    dir.write("nested/deeper", "y");
    REQUIRE(fs::exists(file));
  }
  CHECK_FALSE(fs::exists(path));
  try {
    TempDir dir;
    path = dir.path();
    dir.write("a", "b");
    throw std::runtime_error("a failing REQUIRE unwinds the same way");
  } catch (const std::runtime_error&) {
  }
  CHECK_FALSE(fs::exists(path));
}

TEST_CASE("TempDir::write replaces the file and read_file gives back its bytes", "[support]") {
  TempDir dir;
  std::string p = dir.write("f", std::string("one\0two", 7));
  CHECK(p == dir.path() + "/f");
  CHECK(read_file(p) == std::string("one\0two", 7));
  dir.write("f", "3");
  CHECK(read_file(p) == "3");
  CHECK(try_read_file(dir.file("missing")) == std::nullopt);
}

TEST_CASE("parse_ndjson gives one object per line and skips empty lines", "[support]") {
  auto v = parse_ndjson("{\"a\":1}\n\n{\"b\":[2]}\n{\"c\":3}");
  REQUIRE(v.size() == 3);
  CHECK(v[0]["a"] == 1);
  CHECK(v[1]["b"][0] == 2);
  CHECK(v[2]["c"] == 3);  // a last line without its newline counts
  CHECK(parse_ndjson("").empty());
}

TEST_CASE("parse_json_lines skips what is not JSON and an unfinished last line", "[support]") {
  auto v = parse_json_lines("{\"msg\":\"a\"}\nnot json\n{\"msg\":\"b\"}\n{\"msg\":\"c");
  REQUIRE(v.size() == 2);
  CHECK(v[0]["msg"] == "a");
  CHECK(v[1]["msg"] == "b");
}

TEST_CASE("run captures stdout, stderr and the exit status", "[support]") {
  auto r = run({"sh", "-c", "echo out; echo oops >&2; exit 3"});
  CHECK(r.exit_code == 3);
  CHECK(r.signal == 0);
  CHECK(r.out == "out\n");
  CHECK(r.err == "oops\n");
}

TEST_CASE("run's env replaces inherited variables of the same name", "[support]") {
  setenv("INFRALOGS_SUPPORT_TEST", "parent", 1);
  // printenv lists every entry of that name, so a shadowed one would show (a shell in between
  // would hide it: it keeps the last).
  CHECK(run({"printenv", "INFRALOGS_SUPPORT_TEST"}, {"INFRALOGS_SUPPORT_TEST=child"}).out ==
        "child\n");
  CHECK(run({"printenv", "INFRALOGS_SUPPORT_TEST"}).out == "parent\n");
  unsetenv("INFRALOGS_SUPPORT_TEST");
}

TEST_CASE("a command ended by a signal reports exit -1 and the signal", "[support]") {
  auto r = run({"sh", "-c", "kill -KILL $$"});
  CHECK(r.exit_code == -1);
  CHECK(r.signal == SIGKILL);
}

TEST_CASE("a BackgroundProcess can be polled, waited for with a timeout and signalled",
          "[support]") {
  BackgroundProcess p({"sh", "-c", "echo started; exec sleep 30"});
  CHECK(p.wait_for(50ms) == std::nullopt);
  CHECK(p.poll() == std::nullopt);
  p.signal(SIGTERM);
  CHECK(p.wait() == -1);
  CHECK(p.term_signal() == SIGTERM);
  CHECK(p.poll() == -1);  // stays reaped
  CHECK(p.out() == "started\n");

  BackgroundProcess quick({"sh", "-c", "exit 7"});
  CHECK(quick.wait_for(10s) == 7);
  CHECK(quick.term_signal() == 0);
}

TEST_CASE("a BackgroundProcess still running is killed and reaped on destruction", "[support]") {
  pid_t pid = -1;
  {
    BackgroundProcess p({"sleep", "30"});
    pid = p.pid();
    REQUIRE(kill(pid, 0) == 0);
  }
  // Reaped, not a zombie: the pid is gone.
  CHECK(kill(pid, 0) == -1);
  CHECK(errno == ESRCH);
}

TEST_CASE("Pki issues certificates for 127.0.0.1 that only its own CA verifies", "[support]") {
  Pki pki, other;
  CertificateFiles agent = pki.issue("agent");
  CHECK(fs::exists(agent.key));
  auto verify = [&](const std::string& ca, const std::string& ip) {
    return run({"openssl", "verify", "-CAfile", ca, "-verify_ip", ip, agent.cert});
  };
  auto ok = verify(pki.ca_cert(), "127.0.0.1");
  INFO("openssl verify: " << ok.out << ok.err);
  CHECK(ok.exit_code == 0);
  CHECK(ok.out.find(": OK") != std::string::npos);
  auto stranger = verify(other.ca_cert(), "127.0.0.1");
  CHECK(stranger.exit_code == 2);
  CHECK(stranger.err.find("unable to get local issuer certificate") != std::string::npos);
  auto elsewhere = verify(pki.ca_cert(), "127.0.0.2");
  CHECK(elsewhere.exit_code == 2);
  CHECK(elsewhere.err.find("IP address mismatch") != std::string::npos);
  auto subject = run({"openssl", "x509", "-in", agent.cert, "-noout", "-subject"});
  CHECK(subject.out.find("CN = agent") != std::string::npos);
}

TEST_CASE("free_port gives a loopback port nobody listens on", "[support]") {
  int port = free_port();
  CHECK(port > 0);
  CHECK(port < 65536);
  auto r = run({"bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/" + std::to_string(port)});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("Connection refused") != std::string::npos);
}

TEST_CASE("INFRALOGS_TEST_BINARY, when set, names the binary the integration tests run",
          "[support]") {
  TempDir dir;
  const std::string built = "/build/infralogs";
  CHECK(test_binary_from(nullptr, built) == built);
  CHECK(test_binary_from("", built) == built);
  CHECK(test_binary_from("/bin/sh", built) == "/bin/sh");
  // Never a silent fallback to the uninstrumented binary: a wrong value is an error that names it.
  CHECK_THROWS_WITH(test_binary_from("build-asan/infralogs", built),
                    Catch::Contains("INFRALOGS_TEST_BINARY=build-asan/infralogs"));
  CHECK_THROWS_WITH(test_binary_from((dir.path() + "/missing").c_str(), built),
                    Catch::Contains("not an absolute path to an executable"));
  dir.write("plain", "not executable");
  CHECK_THROWS(test_binary_from((dir.path() + "/plain").c_str(), built));
}

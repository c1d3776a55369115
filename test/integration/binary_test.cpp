// The executable itself: self-contained, and its command line.

#include <catch2/catch.hpp>
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
  for (const char* opt :
       {"--listen", "--token-file", "--directory", "--file", "--tls-cert", "--tls-client-ca"}) {
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

// Catch2's main for the integration and browser tests. A process under test that hangs up on us
// (an agent refusing a TLS client certificate, say) must fail a check, not kill the test binary
// with SIGPIPE from OpenSSL's write(2).
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#include <csignal>

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  return Catch::Session().run(argc, argv);
}

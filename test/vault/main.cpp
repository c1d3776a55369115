// Catch2's main for the test-vault tests. A server that hangs up on us must fail a check, not
// kill the test binary with SIGPIPE.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#include <csignal>

#include "vault_fixture.h"

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  int rc = Catch::Session().run(argc, argv);
  infralogs::vtest::MariaDbPair::shutdown_shared();
  return rc;
}

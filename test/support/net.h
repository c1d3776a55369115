#pragma once
// Loopback ports for tests.

namespace infralogs::test {

// A TCP port on 127.0.0.1 that was free when asked (another process could take it after; prefer
// letting a server bind port 0 and report its port). Fails the test if no socket can be bound.
int free_port();

}  // namespace infralogs::test

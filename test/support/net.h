#pragma once
// Loopback ports and raw connections for tests.

#include <chrono>

namespace infralogs::test {

// A TCP port on 127.0.0.1 that was free when asked (another process could take it after; prefer
// letting a server bind port 0 and report its port). Fails the test if no socket can be bound.
int free_port();

// A TCP connection to 127.0.0.1:port (blocking). Fails the test if it cannot connect.
int connect_to(int port);

// True once the peer has closed `fd` (a read returns 0 or fails), waiting up to `timeout`;
// whatever the peer sends before is read and dropped.
bool closed_within(int fd, std::chrono::milliseconds timeout);

}  // namespace infralogs::test

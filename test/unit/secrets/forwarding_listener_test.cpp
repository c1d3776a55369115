#include "infralogs/secrets/forwarding_listener.h"

#include <catch2/catch.hpp>

#include "fakes/fake_rotation_listener.h"

using namespace infralogs;

TEST_CASE("a forwarding listener passes rotations to its consumer only while bound", "[secrets]") {
  secrets::ForwardingRotationListener forward;
  fakes::FakeRotationListener consumer;
  consumer.set_result(Status::unavailable("not on the replica yet"));
  Credentials c{"user_b", "pw"};
  auto deadline = std::chrono::steady_clock::now();

  // Before the consumer exists: accepted, nothing to drain.
  CHECK(forward.verify(c).is_ok());
  forward.switched(2, deadline);
  {
    secrets::ListenerBinding binding(forward, consumer);
    CHECK(forward.verify(c).code() == StatusCode::kUnavailable);  // the consumer's answer
    forward.switched(3, deadline);
  }
  // Unbound when the binding went out of scope: the consumer is never called again.
  CHECK(forward.verify(c).is_ok());
  forward.switched(4, deadline);
  CHECK(consumer.verified() == std::vector<std::string>{"user_b"});
  CHECK(consumer.switched() == std::vector<uint64_t>{3});
}

#pragma once
// ForwardingRotationListener: the RotationListener a mode hands to its credential source
// before the consumer exists. A source needs its listener when it starts, but the consumer (a
// MariaDbLogStore or MariaDbLogReader, which is the real listener) is built from the source's
// credentials afterwards. Until bind() (and after unbind()), verify() accepts and switched()
// returns at once: with no consumer there is nothing to check or drain.

#include <chrono>
#include <cstdint>

#include "infralogs/core/mutex.h"
#include "infralogs/secrets/credential_source.h"

namespace infralogs::secrets {

class ForwardingRotationListener : public RotationListener {
 public:
  // Thread-safe. `target` must stay valid until unbind() (or another bind()) returns; unbind()
  // waits for a call in flight, so after it the target is never called again.
  void bind(RotationListener* target) {
    MutexLock lock(mu_);
    target_ = target;
  }
  void unbind() { bind(nullptr); }

  Status verify(const Credentials& candidate) override {
    MutexLock lock(mu_);
    return target_ ? target_->verify(candidate) : Status::ok();
  }
  void switched(uint64_t generation, std::chrono::steady_clock::time_point deadline) override {
    MutexLock lock(mu_);
    if (target_) target_->switched(generation, deadline);
  }

 private:
  Mutex mu_;
  RotationListener* target_ GUARDED_BY(mu_) = nullptr;
};

// Binds `listener` to `target` for its scope: declare it after the consumer, so it unbinds
// before the consumer is destroyed.
class ListenerBinding {
 public:
  ListenerBinding(ForwardingRotationListener& listener, RotationListener& target)
      : listener_(listener) {
    listener_.bind(&target);
  }
  ~ListenerBinding() { listener_.unbind(); }
  ListenerBinding(const ListenerBinding&) = delete;
  ListenerBinding& operator=(const ListenerBinding&) = delete;

 private:
  ForwardingRotationListener& listener_;
};

}  // namespace infralogs::secrets

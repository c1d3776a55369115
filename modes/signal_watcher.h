#pragma once
// SignalWatcher: turns SIGTERM and SIGINT into a callback on a thread of its own, so that agent,
// serve and collect stop the same way (docs/modes.md, "Stopping").

#include <signal.h>

#include <atomic>
#include <functional>
#include <thread>

namespace infralogs::modes {

// Takes SIGTERM and SIGINT: blocks them in this thread and every thread started later (so no
// handler runs in an arbitrary thread) and calls on_signal with the signal's name from its own
// thread when one arrives. Construct it before starting other threads; destroying it ends its
// thread. on_signal runs at most once.
class SignalWatcher {
 public:
  explicit SignalWatcher(std::function<void(const char* signal)> on_signal);
  ~SignalWatcher();
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

 private:
  sigset_t set_;
  std::atomic<bool> exiting_{false};
  std::thread thread_;
};

}  // namespace infralogs::modes

#include "signal_watcher.h"

#include <pthread.h>

namespace infralogs::modes {

SignalWatcher::SignalWatcher(std::function<void(const char* signal)> on_signal) {
  sigemptyset(&set_);
  sigaddset(&set_, SIGTERM);
  sigaddset(&set_, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set_, nullptr);
  thread_ = std::thread([this, on_signal = std::move(on_signal)] {
    int sig = 0;
    sigwait(&set_, &sig);
    if (exiting_) return;  // the destructor's wake-up
    on_signal(sig == SIGTERM ? "SIGTERM" : "SIGINT");
  });
}

SignalWatcher::~SignalWatcher() {
  exiting_ = true;
  // Wakes the thread if it still waits; a thread that already took a signal has returned.
  pthread_kill(thread_.native_handle(), SIGTERM);
  thread_.join();
}

}  // namespace infralogs::modes

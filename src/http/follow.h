#pragma once
// Private to agent_routes.cpp: the parts of a follow response (docs/wire-protocol.md, "Follow")
// that a page does not have: the count of followers against --max-followers, and the wait at
// the tail of the journal that ends for new entries, a heartbeat, the response's end or the
// agent's shutdown.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>

#include "infralogs/core/metrics.h"
#include "infralogs/core/status.h"
#include "infralogs/journal/reader.h"

namespace infralogs::http {

// The followers of one agent. Thread-safe.
class FollowerSlots {
 public:
  // `max` follow responses at once; the metrics are registered in `metrics`.
  FollowerSlots(size_t max, MetricsRegistry& metrics);

  // A held slot; destroying it frees the slot.
  class Slot {
   public:
    explicit Slot(FollowerSlots& owner) : owner_(owner) {}
    ~Slot();
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;

   private:
    FollowerSlots& owner_;
  };

  // A slot, or nullptr (counted as refused) when `max` followers are already served.
  std::unique_ptr<Slot> acquire();
  size_t max() const { return max_; }

 private:
  const size_t max_;
  std::atomic<size_t> count_{0};
  Gauge& followers_;
  Counter& refused_;
};

// One follow response's waiting. Not thread-safe (the response's thread), except that the stop
// request may come from any thread.
class Follower {
 public:
  using Clock = std::chrono::steady_clock;
  // `heartbeat`: silence after which heartbeat() is due; `duration`: the response ends that long
  // after now; `stop`: ends the response at once (the agent shuts down).
  Follower(std::chrono::milliseconds heartbeat, std::chrono::milliseconds duration,
           std::stop_token stop);
  ~Follower();
  Follower(const Follower&) = delete;
  Follower& operator=(const Follower&) = delete;

  enum class Next {
    kRead,       // the journal may have more: advance the session
    kHeartbeat,  // nothing for the heartbeat interval: send one (then call sent())
    kEnd,        // the response's time is up, or the agent is stopping: end it cleanly
  };
  // Called when `session` is at the end of the journal: blocks until one of Next happens. An
  // error: the journal cannot be watched (the response ends).
  Result<Next> wait(journal::Session& session);
  // Something was sent: the heartbeat interval starts again.
  void sent() { last_sent_ = Clock::now(); }
  bool ended() const { return stop_.stop_requested() || Clock::now() >= end_; }

 private:
  const std::chrono::milliseconds heartbeat_;
  const Clock::time_point end_;
  Clock::time_point last_sent_;
  std::stop_token stop_;
  // Readable once stop is requested: it interrupts the session's poll(2).
  int wake_fd_ = -1;
  std::optional<std::stop_callback<std::function<void()>>> on_stop_;
};

}  // namespace infralogs::http

#include "follow.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <functional>

namespace infralogs::http {

FollowerSlots::FollowerSlots(size_t max, MetricsRegistry& metrics)
    : max_(max),
      followers_(metrics.gauge("infralogs_agent_followers",
                               "Follow responses (/logs?follow=true, /entries?follow) open now.")),
      refused_(metrics.counter("infralogs_agent_follow_refused_total",
                               "Follow requests refused with 503 because --max-followers were "
                               "being served.")) {}

std::unique_ptr<FollowerSlots::Slot> FollowerSlots::acquire() {
  size_t n = count_.load();
  do {
    if (n >= max_) {
      refused_.inc();
      return nullptr;
    }
  } while (!count_.compare_exchange_weak(n, n + 1));
  followers_.set(static_cast<double>(n + 1));
  return std::make_unique<Slot>(*this);
}

FollowerSlots::Slot::~Slot() {
  size_t n = --owner_.count_;
  owner_.followers_.set(static_cast<double>(n));
}

Follower::Follower(std::chrono::milliseconds heartbeat, std::chrono::milliseconds duration,
                   std::stop_token stop)
    : heartbeat_(heartbeat),
      end_(Clock::now() + duration),
      last_sent_(Clock::now()),
      stop_(std::move(stop)) {
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  // Without an eventfd (out of descriptors) the wait still ends within a heartbeat of the
  // stop: ended() is checked after every wake-up.
  if (wake_fd_ >= 0) {
    int fd = wake_fd_;
    on_stop_.emplace(stop_, std::function<void()>([fd] {
                       uint64_t one = 1;
                       ssize_t r = write(fd, &one, sizeof one);
                       (void)r;
                     }));
  }
}

Follower::~Follower() {
  on_stop_.reset();  // waits for a running callback, which uses wake_fd_
  if (wake_fd_ >= 0) close(wake_fd_);
}

Result<Follower::Next> Follower::wait(journal::Session& session) {
  while (true) {
    if (ended()) return Next::kEnd;
    Clock::time_point now = Clock::now();
    Clock::time_point beat = last_sent_ + heartbeat_;
    if (now >= beat) return Next::kHeartbeat;
    auto left = std::chrono::ceil<std::chrono::milliseconds>(std::min(beat, end_) - now);
    Result<bool> changed = session.wait(left, wake_fd_);
    if (!changed) return changed.status();
    if (*changed && !ended()) return Next::kRead;
  }
}

}  // namespace infralogs::http

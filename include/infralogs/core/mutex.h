#pragma once
// Mutex and MutexLock: std::mutex and std::lock_guard with the thread-safety annotations clang
// checks (core/thread_annotations.h). CondVar waits on a Mutex held through a MutexLock.

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stop_token>

#include "infralogs/core/thread_annotations.h"

namespace infralogs {

class CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void lock() ACQUIRE() { mu_.lock(); }
  void unlock() RELEASE() { mu_.unlock(); }
  bool try_lock() TRY_ACQUIRE(true) { return mu_.try_lock(); }
  // Documents (and, for clang, asserts to the analysis) that the caller holds the mutex.
  void assert_held() const ASSERT_CAPABILITY(this) {}

 private:
  friend class CondVar;
  std::mutex mu_;
};

// Holds `mu` for its scope.
class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mu) ACQUIRE(mu) : mu_(mu) { mu_.lock(); }
  ~MutexLock() RELEASE() { mu_.unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex& mu_;
};

// A condition variable for a Mutex the caller holds. Waits release the mutex while blocked and
// hold it again when they return.
class CondVar {
 public:
  void notify_one() { cv_.notify_one(); }
  void notify_all() { cv_.notify_all(); }

  // Waits until pred() holds (checked with the mutex held) or `timeout` passes; returns pred().
  template <typename Pred>
  bool wait_for(Mutex& mu, std::chrono::steady_clock::duration timeout, Pred pred) REQUIRES(mu) {
    std::unique_lock<std::mutex> lock(mu.mu_, std::adopt_lock);
    bool ok = cv_.wait_for(lock, timeout, pred);
    lock.release();  // the caller's MutexLock still owns it
    return ok;
  }
  // Waits until pred() holds, `stop` is requested or `timeout` passes; returns pred().
  template <typename Pred>
  bool wait_for(Mutex& mu, std::stop_token stop, std::chrono::steady_clock::duration timeout,
                Pred pred) REQUIRES(mu) {
    std::unique_lock<std::mutex> lock(mu.mu_, std::adopt_lock);
    bool ok = cv_.wait_for(lock, stop, timeout, pred);
    lock.release();
    return ok;
  }
  // Waits until pred() holds.
  template <typename Pred>
  void wait(Mutex& mu, Pred pred) REQUIRES(mu) {
    std::unique_lock<std::mutex> lock(mu.mu_, std::adopt_lock);
    cv_.wait(lock, pred);
    lock.release();
  }

 private:
  std::condition_variable_any cv_;
};

}  // namespace infralogs

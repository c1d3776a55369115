#pragma once
// FakeRotationListener: a RotationListener for tests. verify() answers with `verify_result` (or
// with `check` when set: e.g. a real login), recording every candidate; switched() records the
// generations. Thread-safe.

#include <functional>
#include <string>
#include <vector>

#include "infralogs/core/mutex.h"
#include "infralogs/secrets/credential_source.h"

namespace infralogs::fakes {

class FakeRotationListener : public secrets::RotationListener {
 public:
  Status verify(const Credentials& candidate) override {
    std::function<Status(const Credentials&)> check;
    {
      MutexLock lock(mu_);
      verified_.push_back(candidate.username);
      if (unavailable_left_ > 0) {
        --unavailable_left_;
        return Status::unavailable("not on the replica yet");
      }
      if (!check_) return result_;
      check = check_;
    }
    return check(candidate);
  }
  void switched(uint64_t generation, std::chrono::steady_clock::time_point) override {
    MutexLock lock(mu_);
    switched_.push_back(generation);
  }

  void set_result(Status s) {
    MutexLock lock(mu_);
    result_ = std::move(s);
  }
  void set_check(std::function<Status(const Credentials&)> check) {
    MutexLock lock(mu_);
    check_ = std::move(check);
  }
  // The next `n` verify() calls answer kUnavailable.
  void set_unavailable_times(int n) {
    MutexLock lock(mu_);
    unavailable_left_ = n;
  }
  std::vector<std::string> verified() const {
    MutexLock lock(mu_);
    return verified_;
  }
  std::vector<uint64_t> switched() const {
    MutexLock lock(mu_);
    return switched_;
  }

 private:
  mutable Mutex mu_;
  Status result_;
  std::function<Status(const Credentials&)> check_;
  int unavailable_left_ = 0;
  std::vector<std::string> verified_;
  std::vector<uint64_t> switched_;
};

}  // namespace infralogs::fakes

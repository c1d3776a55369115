#pragma once
// FakeCredentialSource: a CredentialSource for unit tests. Serves `user` with the password
// "pw-<user>" (or `failure` when set), and counts what it was asked.

#include <string>

#include "infralogs/core/mutex.h"
#include "infralogs/secrets/credential_source.h"

namespace infralogs::fakes {

class FakeCredentialSource : public secrets::CredentialSource {
 public:
  Result<Credentials> current() override {
    MutexLock lock(mu_);
    ++asked_;
    if (!failure_.is_ok()) return failure_;
    return Credentials{user_, "pw-" + user_};
  }
  Result<Credentials> refresh_after_auth_failure() override {
    {
      MutexLock lock(mu_);
      ++refreshes_;
    }
    return current();
  }
  secrets::CredentialInfo info() const override {
    MutexLock lock(mu_);
    secrets::CredentialInfo info;
    info.source = "fake";
    info.username = user_;
    info.generation = 1;
    return info;
  }

  void set_user(std::string user) {
    MutexLock lock(mu_);
    user_ = std::move(user);
  }
  void set_failure(Status s) {
    MutexLock lock(mu_);
    failure_ = std::move(s);
  }
  int asked() const {
    MutexLock lock(mu_);
    return asked_;
  }
  int refreshes() const {
    MutexLock lock(mu_);
    return refreshes_;
  }

 private:
  mutable Mutex mu_;
  std::string user_ GUARDED_BY(mu_) = "v1";
  Status failure_ GUARDED_BY(mu_);
  int asked_ GUARDED_BY(mu_) = 0;
  int refreshes_ GUARDED_BY(mu_) = 0;
};

}  // namespace infralogs::fakes

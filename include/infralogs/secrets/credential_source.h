#pragma once
// CredentialSource: where database credentials come from. current() is asked at every new
// database connection, so a rotation is followed without a restart.

#include <memory>
#include <string>

#include "infralogs/core/credentials.h"
#include "infralogs/core/status.h"

namespace infralogs::secrets {

class CredentialSource {
 public:
  virtual ~CredentialSource() = default;
  // The credentials to use now. Thread-safe.
  virtual Result<Credentials> current() = 0;
};

// Reads a JSON file {"username": ..., "password": ...} (the shape a Vault Agent sidecar renders)
// at every call, so a re-rendered file is picked up. kInvalidArgument naming the file (never its
// content) when it is missing, not JSON, or lacks either key.
class FileCredentialSource : public CredentialSource {
 public:
  explicit FileCredentialSource(std::string path) : path_(std::move(path)) {}
  Result<Credentials> current() override;

 private:
  std::string path_;
};

}  // namespace infralogs::secrets

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "infralogs/secrets/credential_source.h"

namespace infralogs::secrets {

Result<Credentials> FileCredentialSource::current() {
  std::ifstream in(path_);
  if (!in)
    return Status::invalid_argument("credentials file " + path_ + ": " + std::strerror(errno));
  std::stringstream ss;
  ss << in.rdbuf();
  auto j = nlohmann::json::parse(ss.str(), nullptr, false);
  if (!j.is_object())
    return Status::invalid_argument("credentials file " + path_ + " is not a JSON object");
  // Vault's KV v2 and database engines nest the values under "data".
  const nlohmann::json& d = j.contains("data") && j["data"].is_object() ? j["data"] : j;
  if (!d.contains("username") || !d["username"].is_string() || !d.contains("password") ||
      !d["password"].is_string()) {
    return Status::invalid_argument("credentials file " + path_ +
                                    " needs string keys \"username\" and \"password\"");
  }
  return Credentials{d["username"].get<std::string>(), d["password"].get<std::string>()};
}

}  // namespace infralogs::secrets

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "infralogs/secrets/credential_source.h"

namespace infralogs::secrets {
namespace {

Result<Credentials> read_credentials(const std::string& path) {
  std::ifstream in(path);
  if (!in)
    return Status::invalid_argument("credentials file " + path + ": " + std::strerror(errno));
  std::stringstream ss;
  ss << in.rdbuf();
  auto j = nlohmann::json::parse(ss.str(), nullptr, false);
  if (!j.is_object()) {
    return Status::invalid_argument("credentials file " + path + " is not a JSON object");
  }
  // Vault's KV v2 and database engines nest the values under "data".
  const nlohmann::json& d = j.contains("data") && j["data"].is_object() ? j["data"] : j;
  if (!d.contains("username") || !d["username"].is_string() || !d.contains("password") ||
      !d["password"].is_string()) {
    return Status::invalid_argument("credentials file " + path +
                                    " needs string keys \"username\" and \"password\"");
  }
  return Credentials{d["username"].get<std::string>(), d["password"].get<std::string>()};
}

}  // namespace

Result<Credentials> FileCredentialSource::current() { return read_credentials(path_); }

CredentialInfo FileCredentialSource::info() const {
  CredentialInfo info;
  info.source = "file";
  info.location = path_;
  Result<Credentials> c = read_credentials(path_);
  if (c) {
    info.username = c->username;
    info.generation = 1;
  } else {
    info.source_reachable = false;
    info.last_error = c.status().message();
  }
  return info;
}

}  // namespace infralogs::secrets

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "credentials_json.h"
#include "infralogs/secrets/credential_source.h"

namespace infralogs::secrets {

Result<Credentials> parse_credentials_json(const std::string& text, const std::string& what) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) return Status::invalid_argument(what + " is not a JSON object");
  // Vault's KV v2 and database engines nest the values under "data" (KV v2 twice).
  const nlohmann::json* d = &j;
  for (int depth = 0;
       depth < 2 && !d->contains("username") && d->contains("data") && (*d)["data"].is_object();
       ++depth) {
    d = &(*d)["data"];
  }
  if (!d->contains("username") || !(*d)["username"].is_string() || !d->contains("password") ||
      !(*d)["password"].is_string()) {
    return Status::invalid_argument(what + " needs string keys \"username\" and \"password\"");
  }
  return Credentials{(*d)["username"].get<std::string>(), (*d)["password"].get<std::string>()};
}

Result<Credentials> read_credentials_file(const std::string& path) {
  std::ifstream in(path);
  if (!in)
    return Status::invalid_argument("credentials file " + path + ": " + std::strerror(errno));
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_credentials_json(ss.str(), "credentials file " + path);
}

Result<Credentials> FileCredentialSource::current() { return read_credentials_file(path_); }

CredentialInfo FileCredentialSource::info() const {
  CredentialInfo info;
  info.source = "file";
  info.location = path_;
  Result<Credentials> c = read_credentials_file(path_);
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

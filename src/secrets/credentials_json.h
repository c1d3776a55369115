#pragma once
// The JSON shapes a credentials file may have, as Vault Agent templates commonly render them:
//   {"username": ..., "password": ...}                 (explicit template)
//   {"data": {"username", "password"}}                  ({{ .Data | toJSON }} of a database secret
//                                                        or the whole secret of KV v1)
//   {"data": {"data": {"username", "password"}, ...}}  ({{ .Data | toJSON }} of KV v2)
// Shared by FileCredentialSource and WatchedFileCredentialSource.

#include <string>

#include "infralogs/core/credentials.h"
#include "infralogs/core/status.h"

namespace infralogs::secrets {

// `what` names the origin in errors ("credentials file /x"); errors never quote the content.
Result<Credentials> parse_credentials_json(const std::string& text, const std::string& what);
// Reads and parses the file at `path`.
Result<Credentials> read_credentials_file(const std::string& path);

}  // namespace infralogs::secrets

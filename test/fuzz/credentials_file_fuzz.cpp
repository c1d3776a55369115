// libFuzzer target: a credentials file as a Vault Agent sidecar renders it (FileCredentialSource
// and WatchedFileCredentialSource read it through parse_credentials_json), and the same bytes as
// --db-creds-path (check_db_creds_path, credentials_config). A template mistake or a half-written
// file must give an error, never a crash, and never the file's content in that error (it holds
// a password).
//
// Beyond "no crash, leak or UB": accepted content is JSON nlohmann accepts, with the username and
// password of one of the three documented shapes (src/secrets/credentials_json.h).

#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "infralogs/secrets/credentials_config.h"
#include "secrets/credentials_json.h"

namespace {

// The credentials at the top level, under "data", or under "data"."data".
bool holds(const nlohmann::json& j, const infralogs::Credentials& c) {
  const nlohmann::json* d = &j;
  for (int depth = 0; depth <= 2; ++depth) {
    if (!d->is_object()) return false;
    auto u = d->find("username");
    auto p = d->find("password");
    if (u != d->end() && p != d->end() && u->is_string() && p->is_string())
      return *u == c.username && *p == c.password;
    auto next = d->find("data");
    if (next == d->end()) return false;
    d = &*next;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  const std::string what = "credentials file /run/secrets/db.json";
  infralogs::Result<infralogs::Credentials> c =
      infralogs::secrets::parse_credentials_json(text, what);
  if (c) {
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !holds(j, *c)) std::abort();
  } else {
    if (c.status().code() != infralogs::StatusCode::kInvalidArgument) std::abort();
    // The message is the file's name and a fixed text: nothing of the content.
    std::string m = c.status().message();
    if (m != what + " is not a JSON object" &&
        m != what + " needs string keys \"username\" and \"password\"")
      std::abort();
  }
  infralogs::Status path = infralogs::secrets::check_db_creds_path(text);
  if (path.is_ok() && text.rfind("kv:", 0) != 0 && text.find("creds/") == std::string::npos)
    std::abort();
  return 0;
}

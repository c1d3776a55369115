#pragma once
// VaultClient: HashiCorp Vault's HTTP API as infralogs uses it (docs/vault.md,
// ../shared/reference/vault-api.md). One request per call over a fresh connection, so calls
// from several threads never share a socket. Errors become a Status whose message names the
// method, the path and the HTTP status, never the token or a request body.
// Thread-safety: every method may be called from any thread.

#include <chrono>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "infralogs/core/mutex.h"
#include "infralogs/core/status.h"

namespace infralogs::secrets {

struct VaultClientOptions {
  // "http://host:port" or "https://host:port"; required.
  std::string address;
  // PEM file of the CA that signed Vault's certificate (https only). "": the system's CAs.
  std::string ca_file;
  // Verify Vault's certificate and name. Turn off only for a throw-away test server.
  bool verify_tls = true;
  // Sent as X-Vault-Namespace when not empty (Vault Enterprise; CE ignores it).
  std::string vault_namespace;
  // Bounds on each request, so a hung Vault delays a refresh and never blocks a thread forever.
  std::chrono::milliseconds connect_timeout{3000};
  std::chrono::milliseconds request_timeout{10000};
};

// Vault's response envelope (logical.HTTPResponse), the parts infralogs reads.
struct VaultResponse {
  int http_status = 0;
  nlohmann::json data;  // null when absent
  std::string lease_id;
  int64_t lease_duration = 0;  // seconds
  bool renewable = false;
  std::vector<std::string> warnings;
  nlohmann::json auth;  // null or {client_token, accessor, lease_duration, renewable, ...}
  // On a 429: the server's Retry-After, in seconds.
  std::optional<std::chrono::seconds> retry_after;
};

// Maps a Vault error answer to a Status (pure; exposed for tests):
// 400 -> kInvalidArgument, 403 -> kPermissionDenied, 404 -> kNotFound, 429 and 5xx (503 sealed)
// -> kUnavailable, anything else -> kInternal. The message is "vault <method> <path>: HTTP
// <status>: <Vault's errors joined>" (Vault's error texts never contain the token).
Status vault_error_status(const std::string& method, const std::string& path, int http_status,
                          const std::string& body);
// Parses a success body into `out` (keeps out->http_status). kCorruption when it is not JSON.
Status parse_vault_envelope(const std::string& body, VaultResponse* out);

class VaultClient {
 public:
  // kInvalidArgument when the address is not http(s)://host[:port] or the CA file is missing.
  static Result<std::unique_ptr<VaultClient>> create(VaultClientOptions options);

  // The token sent as X-Vault-Token by the calls below; "" sends none (logins).
  void set_token(std::string token);
  bool has_token() const;

  // `path` is relative to /v1/ ("database/creds/ro"). Network failures and timeouts are
  // kUnavailable. `out` is filled on success and gets retry_after on a 429.
  Status read(const std::string& path, VaultResponse* out);
  Status write(const std::string& path, const nlohmann::json& body, VaultResponse* out);
  Status list(const std::string& path, VaultResponse* out);  // GET ?list=true
  // Like read and write, with an explicit token instead of the one set (e.g. "" for a login).
  Status write_with_token(const std::string& path, const nlohmann::json& body,
                          const std::string& token, VaultResponse* out);
  Status read_with_token(const std::string& path, const std::string& token, VaultResponse* out);

  const VaultClientOptions& options() const { return options_; }

 private:
  explicit VaultClient(VaultClientOptions options) : options_(std::move(options)) {}
  Status request(const std::string& method, const std::string& path, const nlohmann::json* body,
                 const std::string& token, VaultResponse* out);
  std::string token() const;

  const VaultClientOptions options_;
  mutable Mutex mu_;
  std::string token_ GUARDED_BY(mu_);
};

}  // namespace infralogs::secrets

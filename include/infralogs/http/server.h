#pragma once
// JournalHttpServer: an httplib::Server, optionally serving TLS, that lets gatewayd's
// "Range: entries=..." header through. httplib itself answers any Range header that is not
// "bytes=..." with 416 before routing, so this server renames an incoming Range header to
// kJournalRangeHeader while reading the request head.

#include <httplib.h>

#include <memory>
#include <string>
#include <string_view>

#include "infralogs/core/status.h"

namespace infralogs::http {

inline constexpr const char* kJournalRangeHeader = "Infralogs-Journal-Range";

struct TlsOptions {
  std::string cert_file;       // PEM certificate chain; empty: plain HTTP
  std::string key_file;        // PEM private key
  std::string client_ca_file;  // PEM CA bundle; non-empty: clients must present a cert it signed
};

class JournalHttpServer : public httplib::Server {
 public:
  // kInvalidArgument when the certificate, key or CA cannot be loaded.
  static Result<std::unique_ptr<JournalHttpServer>> create(const TlsOptions& tls);
  ~JournalHttpServer() override;

  bool is_valid() const override { return true; }

 private:
  JournalHttpServer() = default;
  bool process_and_close_socket(socket_t sock) override;

  SSL_CTX* ctx_ = nullptr;  // null: plain HTTP
  std::mutex ctx_mutex_;
};

// A JSON body ({"error": ...}) for every 4xx/5xx response that has none, and for an exception
// escaping a handler a JSON 500, logged with the path under `component`.
void install_json_error_handlers(httplib::Server& server, std::string_view component);

}  // namespace infralogs::http

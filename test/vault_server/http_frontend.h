#pragma once
// VaultHttpServer: the HTTP(S) face of test-vault. It routes /v1/... to Core::handle and
// /_test/... to Core::handle_test, and accepts the LIST method: httplib 0.11.4 refuses request
// methods it does not know, so the request line "LIST /v1/x HTTP/1.1" is rewritten to
// "GET /v1/x?list=true" (the form Vault treats the same) before httplib parses it.
// Thread-safety: httplib runs handlers on its thread pool; Core is thread-safe.

#include <httplib.h>

#include <memory>
#include <mutex>
#include <string>

#include "core.h"
#include "infralogs/core/status.h"

namespace infralogs::vaultd {

// Set on a request whose method was rewritten from LIST.
inline constexpr const char* kRewrittenMethodHeader = "X-Test-Vault-Method";

class VaultHttpServer : public httplib::Server {
 public:
  // `core` must outlive the server. With a certificate and key the server speaks TLS only.
  // kInvalidArgument when the certificate or key cannot be loaded.
  static Result<std::unique_ptr<VaultHttpServer>> create(Core& core, const std::string& tls_cert,
                                                         const std::string& tls_key);
  ~VaultHttpServer() override;

  bool is_valid() const override { return true; }

 private:
  explicit VaultHttpServer(Core& core) : core_(core) {}
  void install_routes();
  bool process_and_close_socket(socket_t sock) override;

  Core& core_;
  SSL_CTX* ctx_ = nullptr;  // null: plain HTTP
  std::mutex ctx_mutex_;
};

}  // namespace infralogs::vaultd

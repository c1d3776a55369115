#include "http_frontend.h"

#include <cstring>
#include <nlohmann/json.hpp>

#include "infralogs/core/log.h"

namespace infralogs::vaultd {
namespace {

constexpr size_t kMaxRequestLine = 8192;

// Forwards to the connection's stream; on the first read it takes the request line and, when
// its method is LIST, hands httplib "GET <target>?list=true" plus kRewrittenMethodHeader.
class ListRewritingStream : public httplib::Stream {
 public:
  explicit ListRewritingStream(httplib::Stream& inner) : inner_(inner) {}

  bool is_readable() const override { return pos_ < pending_.size() || inner_.is_readable(); }
  bool is_writable() const override { return inner_.is_writable(); }
  ssize_t write(const char* ptr, size_t size) override { return inner_.write(ptr, size); }
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    inner_.get_remote_ip_and_port(ip, port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    inner_.get_local_ip_and_port(ip, port);
  }
  socket_t socket() const override { return inner_.socket(); }

  ssize_t read(char* ptr, size_t size) override {
    if (!first_line_read_) {
      first_line_read_ = true;
      ssize_t r = read_first_line();
      if (r <= 0) return r;
    }
    if (pos_ < pending_.size()) {
      size_t n = std::min(size, pending_.size() - pos_);
      std::memcpy(ptr, pending_.data() + pos_, n);
      pos_ += n;
      return static_cast<ssize_t>(n);
    }
    return inner_.read(ptr, size);
  }

 private:
  ssize_t read_first_line() {
    std::string line;
    while (line.size() < kMaxRequestLine) {
      char c;
      ssize_t r = inner_.read(&c, 1);
      if (r <= 0) {
        if (line.empty()) return r;
        break;
      }
      line.push_back(c);
      if (c == '\n') break;
    }
    if (line.rfind("LIST ", 0) == 0) {
      size_t target_end = line.find(' ', 5);
      if (target_end != std::string::npos) {
        std::string target = line.substr(5, target_end - 5);
        target += target.find('?') == std::string::npos ? "?list=true" : "&list=true";
        std::string rest = line.substr(target_end);  // " HTTP/1.1\r\n"
        line = "GET " + target + rest + kRewrittenMethodHeader + ": LIST\r\n";
      }
    }
    pending_ = std::move(line);
    pos_ = 0;
    return static_cast<ssize_t>(pending_.size());
  }

  httplib::Stream& inner_;
  std::string pending_;
  size_t pos_ = 0;
  bool first_line_read_ = false;
};

HttpRequest to_request(const httplib::Request& req, const std::string& path) {
  HttpRequest out;
  out.method = req.method;
  if (req.get_header_value(kRewrittenMethodHeader) == "LIST") out.method = "LIST";
  out.path = path;
  for (const auto& [k, v] : req.params) out.query.emplace(k, v);
  out.body = req.body;
  out.token = req.get_header_value("X-Vault-Token");
  if (out.token.empty()) {
    std::string auth = req.get_header_value("Authorization");
    if (auth.rfind("Bearer ", 0) == 0) out.token = auth.substr(7);
  }
  out.remote_addr = req.remote_addr;
  return out;
}

void send(const HttpReply& reply, httplib::Response& res) {
  res.status = reply.status;
  std::string content_type;
  for (const auto& [k, v] : reply.headers) {
    if (k == "Content-Type") {
      content_type = v;
    } else {
      res.set_header(k, v);
    }
  }
  if (!reply.body.empty()) res.set_content(reply.body, content_type.c_str());
}

}  // namespace

Result<std::unique_ptr<VaultHttpServer>> VaultHttpServer::create(Core& core,
                                                                 const std::string& tls_cert,
                                                                 const std::string& tls_key) {
  std::unique_ptr<VaultHttpServer> server(new VaultHttpServer(core));
  if (!tls_cert.empty()) {
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) return Status::internal("cannot create a TLS context");
    server->ctx_ = ctx;
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION);
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    if (SSL_CTX_use_certificate_chain_file(ctx, tls_cert.c_str()) != 1) {
      return Status::invalid_argument("--tls-cert " + tls_cert + ": cannot load the certificate");
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, tls_key.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
      return Status::invalid_argument(
          "--tls-key " + tls_key + ": cannot load the key, or it does not match the certificate");
    }
  }
  server->set_payload_max_length(32 * 1024 * 1024);
  server->install_routes();
  return server;
}

VaultHttpServer::~VaultHttpServer() {
  if (ctx_) SSL_CTX_free(ctx_);
}

void VaultHttpServer::install_routes() {
  auto v1 = [this](const httplib::Request& req, httplib::Response& res) {
    send(core_.handle(to_request(req, req.matches[1])), res);
  };
  auto test = [this](const httplib::Request& req, httplib::Response& res) {
    send(core_.handle_test(to_request(req, req.matches[1])), res);
  };
  auto unknown = [](const httplib::Request&, httplib::Response& res) {
    res.status = 404;
    res.set_header("Cache-Control", "no-store");
    res.set_content("{\"errors\":[]}\n", "application/json");
  };
  const char* kV1 = "/v1/(.*)";
  const char* kTest = "/_test/(.*)";
  Get(kV1, v1);
  Post(kV1, v1);
  Put(kV1, v1);
  Delete(kV1, v1);
  Patch(kV1, v1);
  Options(kV1, v1);
  Get(kTest, test);
  Post(kTest, test);
  Put(kTest, test);
  Delete(kTest, test);
  for (const char* any : {".*"}) {
    Get(any, unknown);
    Post(any, unknown);
    Put(any, unknown);
    Delete(any, unknown);
    Patch(any, unknown);
  }
  set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return;
    res.set_header("Cache-Control", "no-store");
    res.set_content("{\"errors\":[]}\n", "application/json");
  });
  set_exception_handler(
      [](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unknown exception";
        try {
          std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        }
        log::error("test-vault", "request failed", {{"path", req.path}, {"error", what}});
        res.status = 500;
        res.set_content("{\"errors\":[\"1 error occurred:\\n\\t* internal error\\n\\n\"]}\n",
                        "application/json");
      });
}

// Server::process_and_close_socket and SSLServer::process_and_close_socket of httplib 0.11.4,
// with the request stream wrapped in ListRewritingStream.
bool VaultHttpServer::process_and_close_socket(socket_t sock) {
  auto handle = [this](httplib::Stream& strm, bool close_connection, bool& connection_closed,
                       SSL* ssl) {
    ListRewritingStream rewriting(strm);
    return process_request(rewriting, close_connection, connection_closed,
                           [ssl](httplib::Request& req) { req.ssl = ssl; });
  };
  bool ret = false;
  if (!ctx_) {
    ret = httplib::detail::process_server_socket(
        svr_sock_, sock, keep_alive_max_count_, keep_alive_timeout_sec_, read_timeout_sec_,
        read_timeout_usec_, write_timeout_sec_, write_timeout_usec_,
        [&](httplib::Stream& strm, bool close_connection, bool& connection_closed) {
          return handle(strm, close_connection, connection_closed, nullptr);
        });
  } else {
    SSL* ssl = httplib::detail::ssl_new(
        sock, ctx_, ctx_mutex_,
        [&](SSL* ssl2) {
          return httplib::detail::ssl_connect_or_accept_nonblocking(
              sock, ssl2, SSL_accept, read_timeout_sec_, read_timeout_usec_);
        },
        [](SSL*) { return true; });
    if (ssl) {
      ret = httplib::detail::process_server_socket_ssl(
          svr_sock_, ssl, sock, keep_alive_max_count_, keep_alive_timeout_sec_, read_timeout_sec_,
          read_timeout_usec_, write_timeout_sec_, write_timeout_usec_,
          [&](httplib::Stream& strm, bool close_connection, bool& connection_closed) {
            return handle(strm, close_connection, connection_closed, ssl);
          });
      httplib::detail::ssl_delete(ctx_mutex_, ssl, ret);
    }
  }
  httplib::detail::shutdown_socket(sock);
  httplib::detail::close_socket(sock);
  return ret;
}

}  // namespace infralogs::vaultd

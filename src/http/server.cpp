#include "infralogs/http/server.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string_view>

#include "connections.h"
#include "infralogs/core/log.h"
#include "infralogs/http/json_response.h"

namespace infralogs::http {
namespace {

// Forwards to the connection's stream, renaming a "Range:" request header to
// "Infralogs-Journal-Range:". httplib reads the request head one byte at a time, so this looks
// ahead at most six bytes at the start of each header line and passes everything after the
// head through untouched.
// It also bounds the head: past kMaxLineBytes in one line or kMaxHeadBytes in all, its reads
// fail, and httplib answers 400 or closes the connection. httplib checks a line's length only
// after reading the whole line into memory, and does not count header lines at all, so a
// client sending one endless line (or endless short ones) within --header-timeout could make
// it buffer gigabytes.
class RangeRenamingStream : public httplib::Stream {
 public:
  explicit RangeRenamingStream(httplib::Stream& inner) : inner_(inner) {}

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

  // A line longer than httplib's own limits (8 KiB for the request line and for a header
  // line) still reaches them, so it gets their 414 or 400.
  static constexpr size_t kMaxLineBytes = 16 * 1024;
  static constexpr size_t kMaxHeadBytes = 64 * 1024;

  ssize_t read(char* ptr, size_t size) override {
    if (in_head_ && (line_len_ > kMaxLineBytes || head_bytes_ > kMaxHeadBytes)) return -1;
    if (pos_ == pending_.size() && in_head_ && at_line_start_ && !first_line_) {
      ssize_t r = look_ahead();
      if (r <= 0) return r;
    }
    if (pos_ < pending_.size()) {
      size_t n = std::min(size, pending_.size() - pos_);
      std::memcpy(ptr, pending_.data() + pos_, n);
      pos_ += n;
      track(ptr, n);
      return static_cast<ssize_t>(n);
    }
    ssize_t n = inner_.read(ptr, size);
    if (n > 0 && in_head_) track(ptr, static_cast<size_t>(n));
    return n;
  }

 private:
  static constexpr std::string_view kName = "range:";

  // Reads the start of a header line into pending_, renamed when it is "Range:".
  ssize_t look_ahead() {
    pending_.clear();
    pos_ = 0;
    while (pending_.size() < kName.size()) {
      char c;
      ssize_t r = inner_.read(&c, 1);
      if (r <= 0) {
        if (pending_.empty()) return r;
        break;
      }
      pending_.push_back(c);
      if (std::tolower(static_cast<unsigned char>(c)) != kName[pending_.size() - 1]) break;
    }
    if (pending_.size() == kName.size() &&
        std::equal(kName.begin(), kName.end(), pending_.begin(), [](char a, char b) {
          return a == std::tolower(static_cast<unsigned char>(b));
        })) {
      pending_ = std::string(kJournalRangeHeader) + ":";
    }
    return static_cast<ssize_t>(pending_.size());
  }

  // Follows line boundaries; a blank line ends the head.
  void track(const char* p, size_t n) {
    for (size_t i = 0; i < n && in_head_; ++i) {
      char c = p[i];
      ++head_bytes_;
      if (c == '\n') {
        if (line_len_ == 0) in_head_ = false;
        first_line_ = false;
        at_line_start_ = true;
        line_len_ = 0;
      } else if (c != '\r') {
        at_line_start_ = false;
        ++line_len_;
      }
    }
  }

  httplib::Stream& inner_;
  std::string pending_;
  size_t pos_ = 0;
  bool in_head_ = true;
  bool first_line_ = true;
  bool at_line_start_ = true;
  size_t line_len_ = 0;
  size_t head_bytes_ = 0;
};

}  // namespace

Result<std::unique_ptr<Server>> Server::create(const TlsOptions& tls,
                                               const ServerOptions& options) {
  std::unique_ptr<Server> server(new Server());
  size_t threads = options.threads;
  size_t max_connections = std::max(options.max_connections, size_t{1});
  // A thread per connection, up to max_connections: a connection no longer waits for one of
  // `threads` workers that slow clients may hold. The table's eviction keeps the count at
  // max_connections, so jobs rarely wait for a thread.
  Server* self = server.get();
  server->new_task_queue = [threads, max_connections, self] {
    return new ConnectionThreads(threads, max_connections,
                                 [self] { self->connections_->accepted(); });
  };
  ConnectionLimits limits;
  limits.max_connections = max_connections;
  limits.header_timeout = options.header_timeout;
  limits.idle_timeout = options.keep_alive_timeout + std::chrono::seconds(1);
  limits.stop_grace = options.stop_grace;
  server->connections_ = std::make_unique<ConnectionTable>(limits);
  server->set_keep_alive_max_count(options.keep_alive_max_count);
  server->set_keep_alive_timeout(options.keep_alive_timeout.count());
  // Without it a response's last small write waits for the client's delayed ACK (~40 ms) on a
  // kept-alive connection.
  server->set_tcp_nodelay(true);
  // httplib's default also sets SO_REUSEPORT, which lets a second agent or serve bind a port
  // already in use and the kernel split connections between the two: SO_REUSEADDR only.
  server->set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, reinterpret_cast<const void*>(&yes), sizeof(yes));
  });
  server->set_read_timeout(options.read_timeout);
  server->set_write_timeout(options.write_timeout);
  if (options.payload_max_length > 0) server->set_payload_max_length(options.payload_max_length);
  if (tls.cert_file.empty()) return server;
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (!ctx) return Status::internal("cannot create a TLS context");
  server->ctx_ = ctx;
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION);
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  if (SSL_CTX_use_certificate_chain_file(ctx, tls.cert_file.c_str()) != 1) {
    return Status::invalid_argument("--tls-cert " + tls.cert_file +
                                    ": cannot load the certificate");
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, tls.key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(ctx) != 1) {
    return Status::invalid_argument("--tls-key " + tls.key_file +
                                    ": cannot load the key, or it does not match the certificate");
  }
  if (!tls.client_ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(ctx, tls.client_ca_file.c_str(), nullptr) != 1) {
      return Status::invalid_argument("--tls-client-ca " + tls.client_ca_file +
                                      ": cannot load the CA certificates");
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }
  return server;
}

Server::~Server() {
  if (ctx_) SSL_CTX_free(ctx_);
}

void Server::close_listener() {
  if (connections_) connections_->stop();
  socket_t sock = svr_sock_.exchange(INVALID_SOCKET);
  if (sock == INVALID_SOCKET) return;
  httplib::detail::shutdown_socket(sock);
  httplib::detail::close_socket(sock);
}

void Server::raise_listen_backlog() {
  socket_t sock = svr_sock_;
  // Linux applies a second listen() on a listening socket as a new backlog.
  if (sock != INVALID_SOCKET) ::listen(sock, 128);
}

// Server::process_and_close_socket and SSLServer::process_and_close_socket of httplib 0.11.4,
// with the request stream wrapped in RangeRenamingStream and the keep-alive loop of
// detail::process_server_socket_core, reporting each phase to connections_.
bool Server::process_and_close_socket(socket_t sock) {
  ConnectionTable& table = *connections_;
  uint64_t id = table.add(sock);
  // `make_stream(fn)` calls fn with a fresh stream over the connection, per request.
  auto serve = [&](auto make_stream, SSL* ssl) {
    bool ret = false;
    size_t count = keep_alive_max_count_;
    bool first = true;
    while (svr_sock_ != INVALID_SOCKET && count > 0) {
      if (!first) table.idle(id);
      if (!httplib::detail::keep_alive(sock, keep_alive_timeout_sec_)) break;
      // The first head's deadline runs from the accept (and covers a TLS handshake).
      if (!first) table.head(id, ConnectionTable::Clock::now());
      first = false;
      bool close_connection = count == 1;
      bool connection_closed = false;
      ret = make_stream([&](httplib::Stream& strm) {
        RangeRenamingStream renaming(strm);
        return process_request(renaming, close_connection, connection_closed,
                               [ssl, &table, id](httplib::Request& req) {
                                 req.ssl = ssl;
                                 // Runs after httplib parsed the head, before routing.
                                 req.params = parse_query(req.target);
                                 // A method httplib reads a body for (POST, PUT, ...: no route
                                 // takes one) stays under the head's deadline, so a body
                                 // trickling in cannot hold the connection past it.
                                 if (!httplib::detail::expect_content(req)) table.handling(id);
                               });
      });
      if (!ret || connection_closed) break;
      --count;
    }
    return ret;
  };
  bool ret = false;
  if (!ctx_) {
    ret = serve(
        [&](auto&& fn) {
          httplib::detail::SocketStream strm(sock, read_timeout_sec_, read_timeout_usec_,
                                             write_timeout_sec_, write_timeout_usec_);
          return fn(strm);
        },
        nullptr);
  } else {
    SSL* ssl = httplib::detail::ssl_new(
        sock, ctx_, ctx_mutex_,
        [&](SSL* ssl2) {
          return httplib::detail::ssl_connect_or_accept_nonblocking(
              sock, ssl2, SSL_accept, read_timeout_sec_, read_timeout_usec_);
        },
        [](SSL*) { return true; });
    if (ssl) {
      ret = serve(
          [&](auto&& fn) {
            httplib::detail::SSLSocketStream strm(sock, ssl, read_timeout_sec_, read_timeout_usec_,
                                                  write_timeout_sec_, write_timeout_usec_);
            return fn(strm);
          },
          ssl);
      httplib::detail::ssl_delete(ctx_mutex_, ssl, ret);
    }
  }
  table.remove(id);
  httplib::detail::shutdown_socket(sock);
  httplib::detail::close_socket(sock);
  return ret;
}

int listen_and_serve(Server& server, const ListenAddress& address, std::string_view component,
                     std::stop_token stop, const nlohmann::json& fields) {
  const std::string& host = address.host;
  int bound = address.port == 0 ? server.bind_to_any_port(host)
                                : (server.bind_to_port(host, address.port) ? address.port : -1);
  if (bound < 0) {
    log::error(component, "cannot listen",
               {{"address", host}, {"port", address.port}, {"error", std::strerror(errno)}});
    return 1;
  }
  // Registered after the bind: a stop requested earlier runs here at once and makes
  // listen_after_bind return straight away.
  server.raise_listen_backlog();
  std::stop_callback on_stop(stop, [&server] { server.close_listener(); });
  nlohmann::json f = fields.is_object() ? fields : nlohmann::json::object();
  f["address"] = host;
  f["port"] = bound;
  log::info(component, "listening", f);
  bool ok = server.listen_after_bind();
  log::info(component, "stopped");
  return ok || stop.stop_requested() ? 0 : 1;
}

std::multimap<std::string, std::string> parse_query(std::string_view target) {
  std::multimap<std::string, std::string> params;
  size_t q = target.find('?');
  if (q == std::string_view::npos) return params;
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view piece = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    size_t eq = piece.find('=');
    std::string_view key = piece.substr(0, eq);
    if (key.empty()) continue;
    std::string_view value =
        eq == std::string_view::npos ? std::string_view() : piece.substr(eq + 1);
    params.emplace(httplib::detail::decode_url(std::string(key), true),
                   httplib::detail::decode_url(std::string(value), true));
  }
  return params;
}

void install_json_error_handlers(httplib::Server& server, std::string_view component) {
  server.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty() || res.is_chunked_content_provider_) return;
    send_json_error(res, res.status,
                    res.status == 404 ? "not found" : httplib::detail::status_message(res.status));
  });
  std::string name(component);
  server.set_exception_handler(
      [name](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unknown exception";
        try {
          std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        }
        log::error(name, "request failed", {{"path", req.path}, {"error", what}});
        send_json_error(res, 500, "internal error");
      });
}

}  // namespace infralogs::http

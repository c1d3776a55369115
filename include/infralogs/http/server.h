#pragma once
// http::Server: an httplib::Server, optionally serving TLS, that lets gatewayd's
// "Range: entries=..." header through, used by both `agent` and `serve`. httplib itself answers
// any Range header that is not "bytes=..." with 416 before routing, so this server renames an
// incoming Range header to kJournalRangeHeader while reading the request head. It also replaces
// httplib's query parameters with parse_query's, which keep '=' inside values.

#include <httplib.h>
#include <openssl/ssl.h>

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stop_token>
#include <string>
#include <string_view>

#include "infralogs/core/parse.h"
#include "infralogs/core/status.h"

namespace infralogs::http {

class ConnectionTable;  // src/http/connections.h

inline constexpr const char* kJournalRangeHeader = "Infralogs-Journal-Range";

// The parameters of a request target's query ("/logs?after=s=1;i=2&match=PRIORITY=3"), each
// split at its FIRST '=' and URL-decoded ('+' is a space), in order, repeats kept. httplib 0.11
// keeps only what follows the LAST '=' ("match=PRIORITY=3" became match "3") and drops a
// repeat of an identical "key=value". Parameter names never contain '=', values may: a field
// match, a journal cursor typed raw. A piece without '=' is a key with an empty value; empty
// pieces and empty keys are skipped. Server sets every request's params to this.
std::multimap<std::string, std::string> parse_query(std::string_view target);

struct TlsOptions {
  std::string cert_file;       // PEM certificate chain; empty: plain HTTP
  std::string key_file;        // PEM private key
  std::string client_ca_file;  // PEM CA bundle; non-empty: clients must present a cert it signed
};

// The httplib tuning both modes share, applied by Server::create.
//
// Each connection has a thread of its own while it is open: `threads` are started up front, more
// on demand up to `max_connections`. What a slow or idle client can hold is bounded by the
// deadlines below, enforced by a watchdog that shuts its socket down (src/http/connections.h).
struct ServerOptions {
  size_t threads = 8;            // connection threads started up front
  size_t max_connections = 256;  // open at once; past it the oldest idle (then oldest still
                                 // sending its head) connection is closed to make room
  // Total, from a request's first byte (the accept, for the first) to its blank line, or to
  // the end of its body for the methods httplib reads one for (POST, PUT, PATCH, DELETE).
  std::chrono::milliseconds header_timeout{10000};
  std::chrono::milliseconds stop_grace{2000};  // on stop, for requests being handled; idle and
                                               // head-sending connections close at once
  size_t keep_alive_max_count = 100;  // requests per kept-alive connection (httplib's default)
  std::chrono::seconds keep_alive_timeout{5};  // idle time before a kept-alive connection closes
                                               // (httplib's check, and the watchdog's at +1 s)
  std::chrono::seconds read_timeout{5};        // per read of a request (header_timeout: in all)
  std::chrono::seconds write_timeout{5};       // per write of a response
  size_t payload_max_length = 64 * 1024;       // largest request body (no route takes one); 0: none
};

// Thread-safety: configure (routes, handlers) before listening; once listening, only stop() may
// be called from another thread. Handlers run concurrently, one thread per connection.
//
// httplib internals relied on (0.11.4; re-check all of them when upgrading): the virtual
// process_and_close_socket and process_request, `new_task_queue` and httplib::TaskQueue,
// svr_sock_, the keep-alive and timeout members (keep_alive_max_count_, keep_alive_timeout_sec_,
// read/write_timeout_sec_/usec_), detail::keep_alive, detail::SocketStream,
// detail::SSLSocketStream, detail::ssl_new/ssl_delete/ssl_connect_or_accept_nonblocking,
// detail::shutdown_socket/close_socket, and that the request head is read through the Stream
// passed to process_request (so the wrapper sees where it ends).
class Server : public httplib::Server {
 public:
  // A server with `options` applied and TCP_NODELAY set. kInvalidArgument when the
  // certificate, key or CA cannot be loaded; kInternal when OpenSSL cannot create a context.
  static Result<std::unique_ptr<Server>> create(const TlsOptions& tls,
                                                const ServerOptions& options = {});
  ~Server() override;

  // httplib::Server::is_valid() is true; httplib::SSLServer's is false when its SSL_CTX failed.
  // create() fails instead of returning a server without its context, so a server that exists
  // is always valid.
  bool is_valid() const override { return true; }

  // Like stop(), but also when called after the bind and before listen_after_bind has started
  // (httplib's stop() does nothing then, so a SIGTERM in that window would be lost): closes the
  // listening socket so listen_after_bind returns at once. Also closes the idle and
  // head-sending connections at once and the others after stop_grace, so listen_after_bind's
  // wait for its threads is bounded. Any thread; idempotent.
  void close_listener();

  // After a bind: raises the bound socket's listen backlog from httplib's 5
  // (CPPHTTPLIB_LISTEN_BACKLOG) to 128, so a burst of connections (64 slow clients, say) is not
  // met with dropped SYNs and 1 s retransmits. listen_and_serve calls it.
  void raise_listen_backlog();

 private:
  Server() = default;
  // A copy of httplib 0.11.4's Server/SSLServer::process_and_close_socket, using its
  // httplib::detail internals, with the request stream wrapped to rename Range and the
  // connection registered in connections_ (its keep-alive loop is process_server_socket_core's,
  // with the phase changes added). Upgrading httplib must re-check this against the new
  // version, or the agent silently breaks.
  bool process_and_close_socket(socket_t sock) override;

  SSL_CTX* ctx_ = nullptr;  // null: plain HTTP
  std::mutex ctx_mutex_;    // guards SSL_new/SSL_free on ctx_, as httplib's SSLServer does
  std::unique_ptr<ConnectionTable> connections_;  // set by create()
};

// Binds `server` to `address` (port 0: any free port), logs "listening" under `component` with
// the address, the bound port and `fields`, serves until `stop` is requested (from any thread,
// e.g. a signal watcher's) and logs "stopped". Returns 0 after a stop, 1 when the bind fails
// or serving ends on its own (both logged).
int listen_and_serve(Server& server, const ListenAddress& address, std::string_view component,
                     std::stop_token stop, const nlohmann::json& fields = nlohmann::json::object());

// A JSON body ({"error": ...}) for every 4xx/5xx response that has none, and for an exception
// escaping a handler a JSON 500, logged with the path under `component`.
void install_json_error_handlers(httplib::Server& server, std::string_view component);

}  // namespace infralogs::http

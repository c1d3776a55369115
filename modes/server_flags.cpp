#include "server_flags.h"

#include <chrono>

namespace infralogs::modes {

void add_server_flags(CLI::App& sub, ServerFlags* f) {
  sub.add_option("--threads", f->threads,
                 "Connection threads started up front (more start on demand, up to "
                 "--max-connections).")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{256}));
  sub.add_option("--max-connections", f->max_connections,
                 "Connections served at once; past it the oldest idle connection, or the oldest "
                 "still sending its request head, is closed to make room.")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{10000}));
  sub.add_option("--header-timeout", f->header_timeout_s,
                 "Seconds a client has to send a whole request head (and body, for methods "
                 "that have one); the connection is closed past it (slow clients cannot hold "
                 "the server).")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
}

void apply_server_flags(const ServerFlags& f, http::ServerOptions* o) {
  o->threads = f.threads;
  o->max_connections = f.max_connections;
  o->header_timeout = std::chrono::seconds(f.header_timeout_s);
}

}  // namespace infralogs::modes

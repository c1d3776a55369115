#include "infralogs/storage/mariadb_options.h"

#include <charconv>
#include <string>

namespace infralogs::storage {

Status validate(const MariaDbConnectionOptions& o) {
  if (o.tls_cert.empty() != o.tls_key.empty()) {
    return Status::invalid_argument(
        "--db-tls-cert and --db-tls-key go together: a client certificate needs its key");
  }
  if (!o.tls_cert.empty() && o.tls_ca.empty()) {
    return Status::invalid_argument(
        "--db-tls-cert needs --db-tls-ca: the server's certificate is always verified");
  }
  return Status::ok();
}

Result<MariaDbConnectionOptions> parse_mysql_url(std::string_view url) {
  constexpr std::string_view kScheme = "mysql://";
  auto bad = [&](const char* why) {
    return Status::invalid_argument("--db '" + std::string(url) + "': " + why +
                                    " (want mysql://HOST:PORT/DATABASE)");
  };
  if (url.substr(0, kScheme.size()) != kScheme) return bad("not a mysql:// URL");
  std::string_view rest = url.substr(kScheme.size());
  if (rest.find('@') != std::string_view::npos) return bad("credentials do not go in the URL");
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos || slash + 1 == rest.size()) return bad("no database");
  MariaDbConnectionOptions o;
  o.database = std::string(rest.substr(slash + 1));
  if (o.database.find_first_not_of(
          "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != std::string::npos) {
    return bad("database names are letters, digits and _");
  }
  std::string_view hostport = rest.substr(0, slash);
  size_t colon = hostport.rfind(':');
  if (colon != std::string_view::npos) {
    int port = 0;
    auto [p, ec] =
        std::from_chars(hostport.data() + colon + 1, hostport.data() + hostport.size(), port);
    if (ec != std::errc() || p != hostport.data() + hostport.size() || port <= 0 || port > 65535) {
      return bad("bad port");
    }
    o.port = port;
    hostport = hostport.substr(0, colon);
  }
  if (hostport.empty()) return bad("no host");
  o.host = std::string(hostport);
  return o;
}

}  // namespace infralogs::storage

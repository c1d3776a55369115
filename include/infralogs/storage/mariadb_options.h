#pragma once
// What a MariaDB/MySQL connection needs, shared by MariaDbLogStore (the primary) and
// MariaDbLogReader (the replica), and the --db URL that fills it. Each of those two classes has
// its own options struct besides this one, for what only it uses.
// Plain values: thread-safe to copy.

#include <chrono>
#include <string>
#include <string_view>

#include "infralogs/core/status.h"

namespace infralogs::storage {

// Everything needed to open a connection except the credentials, which come from a
// secrets::CredentialSource at every new connection.
struct MariaDbConnectionOptions {
  std::string host = "127.0.0.1";
  int port = 3306;
  std::string database;
  // mysql_real_connect gives up after this (MYSQL_OPT_CONNECT_TIMEOUT).
  std::chrono::seconds connect_timeout{5};
  // One read or write on the socket gives up after these (MYSQL_OPT_READ_TIMEOUT,
  // MYSQL_OPT_WRITE_TIMEOUT); the connection is then dropped. They bound how long a frozen
  // server (SIGSTOP, a hung host: the TCP connection stays up) can hold a caller: the writer
  // (collect) keeps these; serve lowers read_timeout to --db-timeout (10 s) so its requests
  // answer 503 soon.
  std::chrono::seconds read_timeout{30};
  std::chrono::seconds write_timeout{30};

  // TLS (--db-tls-ca, --db-tls-cert, --db-tls-key). With `tls_ca` set, every connection must be
  // TLS and the server's certificate must verify against this CA file (PEM) and name `host`:
  // credentials then never travel in the clear nor to an impostor. Empty (the default): plain
  // connections, for a server on the same host or a trusted network only.
  std::string tls_ca;
  // A client certificate and its key (PEM files), for servers that want one (REQUIRE X509).
  // Both or neither, and only with `tls_ca`.
  std::string tls_cert;
  std::string tls_key;
};

// kInvalidArgument, naming the option, when the TLS settings do not go together (a client
// certificate without its key or without a CA). Ok otherwise; files are read at connect time.
Status validate(const MariaDbConnectionOptions& options);

// Parses mysql://HOST:PORT/DATABASE (PORT defaults to 3306; timeouts keep their defaults).
// kInvalidArgument, naming the URL and the expected shape, when it is not one. Credentials are
// refused in the URL: they come from a credentials file or Vault.
Result<MariaDbConnectionOptions> parse_mysql_url(std::string_view url);

}  // namespace infralogs::storage

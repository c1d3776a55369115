#include "mariadb_connection.h"

namespace infralogs::storage {

Result<std::unique_ptr<Connection>> connect_mariadb(const MariaDbOptions& options,
                                                    secrets::CredentialSource& credentials) {
  Result<Credentials> creds = credentials.current();
  if (!creds) return creds.status();
  auto c = std::make_unique<Connection>();
  c->m = mysql_init(nullptr);
  if (!c->m) return Status::internal("mysql_init failed");
  unsigned int connect_timeout = static_cast<unsigned int>(options.connect_timeout.count());
  unsigned int read_timeout = static_cast<unsigned int>(options.read_timeout.count());
  unsigned int write_timeout = static_cast<unsigned int>(options.write_timeout.count());
  unsigned long max_packet = 1UL << 30;
  my_bool local_infile = options.allow_local_infile ? 1 : 0;
  mysql_options(c->m, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout);
  mysql_options(c->m, MYSQL_OPT_READ_TIMEOUT, &read_timeout);
  mysql_options(c->m, MYSQL_OPT_WRITE_TIMEOUT, &write_timeout);
  mysql_options(c->m, MYSQL_OPT_MAX_ALLOWED_PACKET, &max_packet);
  mysql_options(c->m, MYSQL_OPT_LOCAL_INFILE, &local_infile);
  mysql_options(c->m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  mysql_options(c->m, MYSQL_INIT_COMMAND, "SET time_zone = '+00:00'");
  if (!mysql_real_connect(c->m, options.host.c_str(), creds->username.c_str(),
                          creds->password.c_str(), options.database.c_str(),
                          static_cast<unsigned int>(options.port), nullptr, 0)) {
    unsigned int e = mysql_errno(c->m);
    std::string what = "cannot connect to " + options.host + ":" + std::to_string(options.port) +
                       "/" + options.database + " as " + creds->username + ": " + mysql_error(c->m);
    if (e == ER_ACCESS_DENIED_ERROR || e == ER_DBACCESS_DENIED_ERROR)
      return Status::permission_denied(what);
    if (e == ER_BAD_DB_ERROR) return Status::invalid_argument(what);
    return Status::unavailable(what);
  }
  return c;
}

}  // namespace infralogs::storage

#include "mariadb_connection.h"

#include <algorithm>
#include <cstdio>

namespace infralogs::storage {
namespace {

// LOAD DATA LOCAL INFILE handler: streams Connection::infile_rows. The file name the server
// names is ignored; with no load running the request is refused.
int infile_init(void** ptr, const char*, void* userdata) {
  *ptr = userdata;
  return static_cast<Connection*>(userdata)->infile_rows ? 0 : 1;
}

int infile_read(void* ptr, char* buf, unsigned int len) {
  auto* c = static_cast<Connection*>(ptr);
  if (!c->infile_rows) return -1;
  size_t n = std::min<size_t>(len, c->infile_rows->size() - c->infile_sent);
  std::memcpy(buf, c->infile_rows->data() + c->infile_sent, n);
  c->infile_sent += n;
  return static_cast<int>(n);
}

void infile_end(void*) {}

int infile_error(void*, char* msg, unsigned int len) {
  std::snprintf(msg, len, "%s", "infralogs sends rows with LOAD DATA LOCAL only, never a file the server names");
  return CR_UNKNOWN_ERROR;
}

}  // namespace

Result<std::unique_ptr<Connection>> connect_mariadb(const MariaDbOptions& options, secrets::CredentialSource& credentials) {
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
  // LOCAL INFILE only ever carries rows from memory (insert_entries_load_data): the handler
  // below never opens a file, whatever the server asks.
  mysql_options(c->m, MYSQL_OPT_LOCAL_INFILE, &local_infile);
  mysql_set_local_infile_handler(c->m, infile_init, infile_read, infile_end, infile_error, c.get());
  mysql_options(c->m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  mysql_options(c->m, MYSQL_INIT_COMMAND, "SET time_zone = '+00:00'");
  if (!mysql_real_connect(c->m, options.host.c_str(), creds->username.c_str(), creds->password.c_str(),
                          options.database.c_str(), static_cast<unsigned int>(options.port), nullptr, 0)) {
    unsigned int e = mysql_errno(c->m);
    std::string what = "cannot connect to " + options.host + ":" + std::to_string(options.port) + "/" +
                       options.database + " as " + creds->username + ": " + mysql_error(c->m);
    if (e == ER_ACCESS_DENIED_ERROR || e == ER_DBACCESS_DENIED_ERROR) return Status::permission_denied(what);
    if (e == ER_BAD_DB_ERROR) return Status::invalid_argument(what);
    return Status::unavailable(what);
  }
  return c;
}

}  // namespace infralogs::storage

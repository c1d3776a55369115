#include "infralogs/storage/mariadb_account_admin.h"

#include <mysqld_error.h>

#include "mariadb_connection.h"

namespace infralogs::storage {
namespace {

bool plain(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

Status MariaDbAccountAdmin::set_password(const std::string& user, const std::string& password) {
  if (!plain(user) || user.size() > 128)
    return Status::invalid_argument("user name " + user + ": want [A-Za-z0-9_.-], at most 128");
  if (!plain(password)) return Status::invalid_argument("the new password has unsafe characters");
  if (!plain(options_.account_host) && options_.account_host != "%")
    return Status::invalid_argument("account host " + options_.account_host);
  if (admin_ == nullptr)
    return Status::invalid_argument("no rotation account: set --db-credentials-file or Vault");
  Result<Credentials> creds = admin_->current();
  if (!creds) return creds.status();
  Result<std::unique_ptr<Connection>> conn = connect_mariadb(options_.primary, *creds);
  if (!conn) return conn.status();
  const std::string account = "'" + user + "'@'" + options_.account_host + "'";
  Status s = (*conn)->query("ALTER USER " + account + " IDENTIFIED BY '" + password + "'");
  if (s.is_ok()) return s;
  // MySQL's error texts for ALTER USER name the account, never the password.
  unsigned int e = (*conn)->last_errno();
  if (e == ER_CANNOT_USER) return Status::not_found("ALTER USER " + account + ": no such user");
  return status_for(e, "ALTER USER " + account + ": " + s.message());
}

Status MariaDbAccountAdmin::can_login(rotate::DbServer server, const Credentials& credentials) {
  const MariaDbConnectionOptions& o =
      server == rotate::DbServer::kPrimary ? options_.primary : options_.replica;
  Result<std::unique_ptr<Connection>> conn = connect_mariadb(o, credentials);
  return conn.status();
}

Status MariaDbAccountAdmin::record_event(const CredentialEvent& event) {
  if (admin_ == nullptr) return Status::invalid_argument("no rotation account to record events");
  Result<Credentials> creds = admin_->current();
  if (!creds) return creds.status();
  Result<std::unique_ptr<Connection>> conn = connect_mariadb(options_.primary, *creds);
  if (!conn) return conn.status();
  Params p;
  p.str(event.mode);
  p.str(event.action);
  p.str(event.path.substr(0, 1024));
  p.str(event.username);
  p.str(event.result.substr(0, 1000));
  return (*conn)
      ->exec(
          "INSERT INTO credential_events (ts, mode, action, path, username, result) VALUES "
          "(NOW(6), ?, ?, ?, ?, ?)",
          p)
      .status();
}

}  // namespace infralogs::storage

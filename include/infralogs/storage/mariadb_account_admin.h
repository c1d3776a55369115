#pragma once
// MariaDbAccountAdmin: rotate::AccountAdmin on a MariaDB/MySQL primary + replica pair, for
// rotate-creds. Passwords are set with ALTER USER on the primary as the rotation account (the
// mode's own credentials, which need CREATE USER or the global UPDATE privilege), and
// replication carries the change to the replica. Every call opens its own connection.
// Thread-safety: one thread at a time (rotate-creds runs one).

#include "infralogs/rotate/rotator.h"
#include "infralogs/secrets/credential_source.h"
#include "infralogs/storage/log_reader.h"
#include "infralogs/storage/mariadb_options.h"

namespace infralogs::storage {

struct MariaDbAccountAdminOptions {
  MariaDbConnectionOptions primary;
  MariaDbConnectionOptions replica;
  // The host part of the accounts rotated ('user'@'<host>').
  std::string account_host = "%";
};

class MariaDbAccountAdmin : public rotate::AccountAdmin {
 public:
  // `admin` (may be null: set_password then fails with kInvalidArgument) gives the rotation
  // account's credentials; it must outlive this object.
  MariaDbAccountAdmin(MariaDbAccountAdminOptions options, secrets::CredentialSource* admin)
      : options_(std::move(options)), admin_(admin) {}

  // kInvalidArgument for a user name or password outside [A-Za-z0-9_.-] (they are written into
  // the statement: ALTER USER cannot take parameters), kNotFound when the user does not exist.
  // Errors never contain the password.
  Status set_password(const std::string& user, const std::string& password) override;
  Status can_login(rotate::DbServer server, const Credentials& credentials) override;

  // Adds `event` to credential_events on the primary as the rotation account (which needs
  // INSERT on it), for serve's Credentials panel; event.time_usec is ignored (the server's
  // NOW(6)). kInvalidArgument when there is no rotation account.
  Status record_event(const CredentialEvent& event);

 private:
  const MariaDbAccountAdminOptions options_;
  secrets::CredentialSource* const admin_;
};

}  // namespace infralogs::storage

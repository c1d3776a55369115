#pragma once
// Connection: one MariaDB C client connection with its cached prepared statements, shared by
// MariaDbLogStore and MariaDbLogReader through a ConnectionPool. Private to src/storage/.
// Not thread-safe: one thread at a time uses a connection (the holder of its pool lease).

#include <mysql.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "connection_pool.h"
#include "infralogs/core/credentials.h"
#include "infralogs/core/status.h"
#include "infralogs/storage/log_reader.h"
#include "infralogs/storage/mariadb_options.h"
#include "mariadb_binder.h"
#include "mariadb_rows.h"

namespace infralogs::storage {

// Whether the client or server error number means the connection is gone.
bool is_connection_error(unsigned int e);

// Whether a failed login's error number says the server refused the credentials (access
// denied, no access to the database, account locked): the case where fetching the credentials
// again may help.
bool is_auth_error(unsigned int e);

// The Status for a failed call with error number `e`: kUnavailable for a lost connection, a
// deadlock or a lock wait timeout (retry), kPermissionDenied for access errors, kAborted for a
// duplicate key, else kInternal. `what` is the message.
Status status_for(unsigned int e, const std::string& what);

class Connection {
 public:
  // Takes `m`, a handle from mysql_init (connected or not), and closes it when destroyed.
  explicit Connection(MYSQL* m) : m_(m) {}
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // True once a call failed with a connection error, or left the connection in a state that
  // cannot be trusted: the pool then closes it instead of reusing it.
  bool broken() const { return broken_; }
  // The error number of the last call that failed; 0 when the last call succeeded.
  unsigned int last_errno() const { return last_errno_; }

  // A text query, for DDL and transaction control only (never with data in it).
  Status query(const std::string& sql);
  // Runs a statement once with these parameters; returns the affected rows.
  Result<uint64_t> exec(const std::string& sql, Params& p);
  // Runs a query with these parameters; every row it returns.
  Status select_rows(const std::string& sql, Params& p, std::vector<Row>* rows);
  // Runs a query returning at most one row; nullopt when it returned none.
  Result<std::optional<Row>> select_row(const std::string& sql, Params& p);
  // Runs a statement once per row of `columns` in one execution (array binding); errors start
  // with `what`.
  Status execute_bulk(std::string_view what, const std::string& sql, ColumnBinder& columns);
  // The warnings of the last statement.
  unsigned int warning_count() { return mysql_warning_count(m_); }

  // Transaction control (mysql_autocommit, mysql_commit, mysql_rollback). A connection whose
  // rollback fails, or whose autocommit cannot be turned back on, is broken from then on.
  Status set_autocommit(bool on);
  Status commit();
  Status rollback();

 private:
  friend Result<std::unique_ptr<Connection>> connect_mariadb(const MariaDbConnectionOptions&,
                                                             const Credentials&);

  // Turn a failed C call into a Status "what: reason", remembering its error number and
  // whether it broke the connection.
  Status fail(std::string_view what);
  Status fail(std::string_view what, unsigned int e, const char* message);
  Status fail(std::string_view what, MYSQL_STMT* st);
  Status succeed() {
    last_errno_ = 0;
    return Status::ok();
  }
  // The statement prepared once per connection and cached.
  Result<MYSQL_STMT*> prepare(const std::string& sql);
  // Prepares, binds `p` and executes once (a statement that ran in bulk before runs plain).
  Result<MYSQL_STMT*> execute_prepared(const std::string& sql, Params& p);
  // Fetches every row of the executed statement `st`.
  Status fetch_rows(MYSQL_STMT* st, std::vector<Row>* rows);

  MYSQL* m_;
  std::map<std::string, MYSQL_STMT*> stmts_;
  bool broken_ = false;
  unsigned int last_errno_ = 0;
};

// The message of a failed connect: host, port, database and user, never the password. With
// `tls_required`, says the server wants TLS and which option gives it; else ends in `reason`.
std::string connect_failure_message(const MariaDbConnectionOptions& options,
                                    const std::string& username, bool tls_required,
                                    const char* reason);

using ConnectionPool = Pool<Connection>;
using ConnectionLease = Lease<Connection>;

// Says when a server stops answering and when it answers again: one warning naming `role`
// ("replica", "primary") and HOST:PORT with the first failure's error (which never holds the
// password), then nothing until a query succeeds, then one info line. Without it a frozen
// server showed only as slow requests. Thread-safe.
class OutageLog {
 public:
  OutageLog(std::string role, const MariaDbConnectionOptions& options);
  // kUnavailable (connection lost, timed out, refused) starts an outage; ok ends one; other
  // errors (a bad query, denied access) say nothing about reachability.
  void record(const Status& status);

 private:
  const std::string role_;
  const std::string server_;  // HOST:PORT
  std::atomic<bool> down_{false};
};

// RotationListener::verify for a pool connecting with `options`: one connection with
// `candidate`, SELECT 1, closed. On the replica (`replica`) an authentication failure is
// kUnavailable: a new user reaches it only through replication, so it is asked again later.
Status verify_login(const MariaDbConnectionOptions& options, const Credentials& candidate,
                    bool replica);

// RotationListener::switched for `pool`: switch_to(generation, deadline); if older connections
// were still in use at the deadline, logs how many, naming `what` ("writer", "reader").
void switch_pool(ConnectionPool& pool, uint64_t generation,
                 std::chrono::steady_clock::time_point deadline, const char* what);

// The status of `pool` and `source`, for credential_status() and credentials().
CredentialStatus pool_status(const ConnectionPool& pool, const secrets::CredentialSource& source);

// Opens a connection with `credentials`, in UTC and utf8mb4, with LOAD DATA LOCAL INFILE off,
// over verified TLS when options.tls_ca is set (mariadb_options.h).
// Initialises the client library first (mysql_library_init, once per process, thread-safe).
// Errors name the host, port, database and user, never the password: kPermissionDenied (the
// server refused the credentials: is_auth_error), kInvalidArgument (no such database, TLS
// options that do not go together, or a plain connection to a server that requires TLS),
// kUnavailable (anything else, e.g. a certificate that does not verify: retry).
Result<std::unique_ptr<Connection>> connect_mariadb(const MariaDbConnectionOptions& options,
                                                    const Credentials& credentials);

}  // namespace infralogs::storage

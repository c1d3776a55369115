#include "mariadb_connection.h"

#include <errmsg.h>
#include <mysqld_error.h>

#include <cstring>
#include <mutex>

#include "infralogs/core/log.h"

namespace infralogs::storage {

bool is_connection_error(unsigned int e) {
  return e == CR_SERVER_GONE_ERROR || e == CR_SERVER_LOST || e == CR_CONN_HOST_ERROR ||
         e == CR_CONNECTION_ERROR || e == CR_UNKNOWN_HOST || e == CR_SERVER_LOST_EXTENDED ||
         e == ER_SERVER_SHUTDOWN || e == ER_CONNECTION_KILLED || e == CR_COMMANDS_OUT_OF_SYNC;
}

bool is_auth_error(unsigned int e) {
  return e == ER_ACCESS_DENIED_ERROR || e == ER_DBACCESS_DENIED_ERROR ||
         e == ER_ACCESS_DENIED_NO_PASSWORD_ERROR || e == ER_ACCOUNT_HAS_BEEN_LOCKED;
}

Status status_for(unsigned int e, const std::string& what) {
  if (is_connection_error(e) || e == ER_LOCK_DEADLOCK || e == ER_LOCK_WAIT_TIMEOUT) {
    return Status::unavailable(what);
  }
  if (e == ER_ACCESS_DENIED_ERROR || e == ER_DBACCESS_DENIED_ERROR ||
      e == ER_TABLEACCESS_DENIED_ERROR || e == ER_COLUMNACCESS_DENIED_ERROR ||
      e == ER_SPECIFIC_ACCESS_DENIED_ERROR) {
    return Status::permission_denied(what);
  }
  if (e == ER_DUP_ENTRY) return Status::aborted(what);
  return Status::internal(what);
}

Connection::~Connection() {
  for (auto& [sql, st] : stmts_) mysql_stmt_close(st);
  mysql_close(m_);
}

Status Connection::fail(std::string_view what, unsigned int e, const char* message) {
  last_errno_ = e;
  if (is_connection_error(e)) broken_ = true;
  return status_for(e, std::string(what) + ": " + message);
}

Status Connection::fail(std::string_view what) {
  return fail(what, mysql_errno(m_), mysql_error(m_));
}

Status Connection::fail(std::string_view what, MYSQL_STMT* st) {
  return fail(what, mysql_stmt_errno(st), mysql_stmt_error(st));
}

Status Connection::query(const std::string& sql) {
  if (mysql_real_query(m_, sql.data(), sql.size()) != 0) return fail("query");
  if (MYSQL_RES* r = mysql_store_result(m_)) mysql_free_result(r);
  return succeed();
}

Result<MYSQL_STMT*> Connection::prepare(const std::string& sql) {
  auto it = stmts_.find(sql);
  if (it != stmts_.end()) return it->second;
  MYSQL_STMT* st = mysql_stmt_init(m_);
  if (!st) return fail("mysql_stmt_init");
  if (mysql_stmt_prepare(st, sql.data(), sql.size()) != 0) {
    Status s = fail("prepare", st);
    mysql_stmt_close(st);
    return s;
  }
  stmts_[sql] = st;
  return st;
}

Result<MYSQL_STMT*> Connection::execute_prepared(const std::string& sql, Params& p) {
  auto st = prepare(sql);
  if (!st) return st.status();
  unsigned int single = 0;  // a plain execution (the statement may have run in bulk before)
  mysql_stmt_attr_set(*st, STMT_ATTR_ARRAY_SIZE, &single);
  auto binds = p.binds(mysql_stmt_param_count(*st));
  if (!binds) return binds.status();
  if (p.size() > 0 && mysql_stmt_bind_param(*st, *binds) != 0) return fail("bind", *st);
  if (mysql_stmt_execute(*st) != 0) return fail("execute", *st);
  return *st;
}

Result<uint64_t> Connection::exec(const std::string& sql, Params& p) {
  auto st = execute_prepared(sql, p);
  if (!st) return st.status();
  last_errno_ = 0;
  return static_cast<uint64_t>(mysql_stmt_affected_rows(*st));
}

Status Connection::select_rows(const std::string& sql, Params& p, std::vector<Row>* rows) {
  rows->clear();
  auto st = execute_prepared(sql, p);
  if (!st) return st.status();
  Status s = fetch_rows(*st, rows);
  mysql_stmt_free_result(*st);
  return s.is_ok() ? succeed() : s;
}

Status Connection::fetch_rows(MYSQL_STMT* st, std::vector<Row>* rows) {
  unsigned int n = mysql_stmt_field_count(st);
  std::vector<MYSQL_BIND> out(n);
  std::vector<unsigned long> lens(n);
  std::vector<my_bool> nulls(n);
  std::vector<std::string> bufs(n, std::string(256, '\0'));
  for (unsigned i = 0; i < n; ++i) {
    std::memset(&out[i], 0, sizeof out[i]);
    out[i].buffer_type = MYSQL_TYPE_STRING;
    out[i].buffer = bufs[i].data();
    out[i].buffer_length = bufs[i].size();
    out[i].length = &lens[i];
    out[i].is_null = &nulls[i];
  }
  // On failure here the result may still be pending on the connection: it is not reused.
  if (mysql_stmt_bind_result(st, out.data()) != 0) {
    broken_ = true;
    return fail("bind result", st);
  }
  if (mysql_stmt_store_result(st) != 0) {
    broken_ = true;
    return fail("store result", st);
  }
  int r;
  while ((r = mysql_stmt_fetch(st)) == 0 || r == MYSQL_DATA_TRUNCATED) {
    Row& row = rows->emplace_back(n);
    for (unsigned i = 0; i < n; ++i) {
      if (nulls[i]) continue;
      std::string& v = row[i].emplace();
      if (lens[i] > bufs[i].size()) {  // longer than the buffer: fetch the column whole
        v.resize(lens[i]);
        MYSQL_BIND col{};
        col.buffer_type = MYSQL_TYPE_STRING;
        col.buffer = v.data();
        col.buffer_length = lens[i];
        if (mysql_stmt_fetch_column(st, &col, i, 0) != 0) return fail("fetch column", st);
      } else {
        v.assign(bufs[i].data(), lens[i]);
      }
    }
  }
  if (r == 1) return fail("fetch", st);
  return Status::ok();
}

Result<std::optional<Row>> Connection::select_row(const std::string& sql, Params& p) {
  std::vector<Row> rows;
  Status s = select_rows(sql, p, &rows);
  if (!s.is_ok()) return s;
  if (rows.empty()) return std::optional<Row>();
  return std::optional<Row>(std::move(rows[0]));
}

Status Connection::execute_bulk(std::string_view what, const std::string& sql,
                                ColumnBinder& columns) {
  auto st = prepare(sql);
  if (!st) return st.status();
  auto binds = columns.binds(mysql_stmt_param_count(*st));
  if (!binds) return Status::internal(std::string(what) + ": " + binds.status().message());
  unsigned int rows = static_cast<unsigned int>(columns.rows());
  mysql_stmt_attr_set(*st, STMT_ATTR_ARRAY_SIZE, &rows);
  if (mysql_stmt_bind_param(*st, *binds) != 0) return fail(std::string(what) + " (bind)", *st);
  if (mysql_stmt_execute(*st) != 0) return fail(what, *st);
  return succeed();
}

Status Connection::set_autocommit(bool on) {
  if (mysql_autocommit(m_, on ? 1 : 0) != 0) {
    if (on) broken_ = true;  // it would carry the next caller's statements into a transaction
    return fail(on ? "autocommit on" : "autocommit off");
  }
  return succeed();
}

Status Connection::commit() {
  if (mysql_commit(m_) != 0) return fail("commit");
  return succeed();
}

Status Connection::rollback() {
  if (mysql_rollback(m_) != 0) {
    broken_ = true;  // the transaction's state is unknown
    return fail("rollback");
  }
  return succeed();
}

namespace {

std::once_flag library_once;

// A handle with every option set; tls_unverified: TLS without checking the server (only for
// the probe in connect_mariadb, which sends no statement over it).
MYSQL* new_handle(const MariaDbConnectionOptions& options, bool tls_unverified) {
  MYSQL* m = mysql_init(nullptr);
  if (!m) return nullptr;
  unsigned int connect_timeout = static_cast<unsigned int>(options.connect_timeout.count());
  unsigned int read_timeout = static_cast<unsigned int>(options.read_timeout.count());
  unsigned int write_timeout = static_cast<unsigned int>(options.write_timeout.count());
  unsigned long max_packet = 1UL << 30;
  // Never LOAD DATA LOCAL: with the client's default handler the server could read any file.
  my_bool local_infile = 0;
  mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout);
  mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &read_timeout);
  mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &write_timeout);
  mysql_options(m, MYSQL_OPT_MAX_ALLOWED_PACKET, &max_packet);
  mysql_options(m, MYSQL_OPT_LOCAL_INFILE, &local_infile);
  mysql_options(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  mysql_options(m, MYSQL_INIT_COMMAND, "SET time_zone = '+00:00'");
  my_bool on = 1;
  if (!options.tls_ca.empty()) {
    // ENFORCE: fail rather than fall back to plain; VERIFY: the chain and the host name.
    mysql_options(m, MYSQL_OPT_SSL_CA, options.tls_ca.c_str());
    if (!options.tls_cert.empty()) {
      mysql_options(m, MYSQL_OPT_SSL_CERT, options.tls_cert.c_str());
      mysql_options(m, MYSQL_OPT_SSL_KEY, options.tls_key.c_str());
    }
    mysql_options(m, MYSQL_OPT_SSL_ENFORCE, &on);
    mysql_options(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &on);
  } else if (tls_unverified) {
    my_bool off = 0;
    mysql_options(m, MYSQL_OPT_SSL_ENFORCE, &on);
    mysql_options(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &off);
  }
  return m;
}

bool real_connect(MYSQL* m, const MariaDbConnectionOptions& options,
                  const Credentials& credentials) {
  return mysql_real_connect(m, options.host.c_str(), credentials.username.c_str(),
                            credentials.password.c_str(), options.database.c_str(),
                            static_cast<unsigned int>(options.port), nullptr, 0) != nullptr;
}

// MariaDB answers a plain login to a server with require_secure_transport (or to an account
// with REQUIRE SSL) with the same ER_ACCESS_DENIED_ERROR as a wrong password. Whether the same
// login works over TLS tells the two apart. The probe does not verify the server, but sends no
// more than the plain attempt did (the client never sends a cleartext password unasked), and
// is closed at once.
bool login_needs_tls(const MariaDbConnectionOptions& options, const Credentials& credentials) {
  MYSQL* probe = new_handle(options, /*tls_unverified=*/true);
  if (!probe) return false;
  bool ok = real_connect(probe, options, credentials);
  mysql_close(probe);
  return ok;
}

}  // namespace

std::string connect_failure_message(const MariaDbConnectionOptions& options,
                                    const std::string& username, bool tls_required,
                                    const char* reason) {
  std::string where = options.host + ":" + std::to_string(options.port) + "/" + options.database +
                      " as " + username;
  if (tls_required) {
    return "cannot connect to " + where +
           ": the server requires TLS for this login (require_secure_transport or REQUIRE SSL) "
           "and this connection is plain: set the CA of its certificate (--db-tls-ca)";
  }
  return "cannot connect to " + where + (options.tls_ca.empty() ? "" : " over TLS") + ": " + reason;
}

Result<std::unique_ptr<Connection>> connect_mariadb(const MariaDbConnectionOptions& options,
                                                    const Credentials& credentials) {
  Status valid = validate(options);
  if (!valid.is_ok()) return valid;
  // mysql_init would initialise the library itself, but not safely from two threads at once.
  std::call_once(library_once, [] { mysql_library_init(0, nullptr, nullptr); });
  MYSQL* m = new_handle(options, /*tls_unverified=*/false);
  if (!m) return Status::internal("mysql_init failed");
  auto c = std::make_unique<Connection>(m);
  if (!real_connect(m, options, credentials)) {
    unsigned int e = mysql_errno(m);
    if (e == ER_ACCESS_DENIED_ERROR && options.tls_ca.empty() &&
        login_needs_tls(options, credentials)) {
      // The probe may have got in only because the credentials reached the server meanwhile:
      // a replica applying a new user or password between the two logins (seen under load in
      // test/vault/load_test.cpp, where rotate-creds gave up on the replica). A plain login
      // that works now was never a TLS matter.
      MYSQL* again = new_handle(options, /*tls_unverified=*/false);
      if (again && real_connect(again, options, credentials)) {
        return std::make_unique<Connection>(again);
      }
      if (again) mysql_close(again);
      // A configuration error, not a credential one: no refetch would help.
      return Status::invalid_argument(
          connect_failure_message(options, credentials.username, true, ""));
    }
    std::string what =
        connect_failure_message(options, credentials.username, false, mysql_error(m));
    if (is_auth_error(e)) return Status::permission_denied(what);
    if (e == ER_BAD_DB_ERROR) return Status::invalid_argument(what);
    return Status::unavailable(what);
  }
  return c;
}

Status verify_login(const MariaDbConnectionOptions& options, const Credentials& candidate,
                    bool replica) {
  auto c = connect_mariadb(options, candidate);
  Status s = c ? (*c)->query("SELECT 1") : c.status();
  if (replica && s.code() == StatusCode::kPermissionDenied) {
    return Status::unavailable(s.message() + " (a new user may not have replicated yet)");
  }
  return s;
}

void switch_pool(ConnectionPool& pool, uint64_t generation,
                 std::chrono::steady_clock::time_point deadline, const char* what) {
  if (pool.switch_to(generation, deadline)) {
    log::info("storage", "credential switch drained", {{"role", what}, {"generation", generation}});
    return;
  }
  size_t in_use = 0;
  for (const auto& g : pool.counts()) {
    if (g.generation < generation) in_use += g.leased;
  }
  log::warn("storage", "credential switch: older connections still in use at the deadline",
            {{"role", what}, {"generation", generation}, {"older_in_use", in_use}});
}

CredentialStatus pool_status(const ConnectionPool& pool, const secrets::CredentialSource& source) {
  CredentialStatus status;
  secrets::CredentialInfo info = source.info();
  status.source = info.source;
  status.location = info.location;
  status.username = info.username;
  status.obtained_usec = info.obtained_usec;
  status.expires_usec = info.expires_usec;
  status.last_switch_usec = info.last_switch_usec;
  status.switches = info.switches;
  status.failures = info.failures;
  status.last_error = info.last_error;
  status.source_reachable = info.source_reachable;
  status.generation = pool.generation();
  for (const auto& g : pool.counts()) {
    status.connections.push_back({g.generation, g.leased, g.idle});
  }
  status.auth_retries = pool.auth_retries();
  return status;
}

OutageLog::OutageLog(std::string role, const MariaDbConnectionOptions& options)
    : role_(std::move(role)), server_(options.host + ":" + std::to_string(options.port)) {}

void OutageLog::record(const Status& status) {
  if (status.is_ok()) {
    if (down_.exchange(false)) {
      log::info("storage", "the " + role_ + " answers again", {{"server", server_}});
    }
  } else if (status.code() == StatusCode::kUnavailable && !down_.exchange(true)) {
    log::warn("storage", "the " + role_ + " does not answer",
              {{"server", server_}, {"error", status.message()}});
  }
}

}  // namespace infralogs::storage

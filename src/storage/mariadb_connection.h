#pragma once
// A MariaDB C client connection with cached prepared statements, shared by MariaDbLogStore and
// MariaDbLogReader. Private to src/storage/.

#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>

#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "infralogs/core/status.h"
#include "infralogs/secrets/credential_source.h"
#include "infralogs/storage/mariadb_log_store.h"

namespace infralogs::storage {

inline bool is_connection_error(unsigned int e) {
  return e == CR_SERVER_GONE_ERROR || e == CR_SERVER_LOST || e == CR_CONN_HOST_ERROR ||
         e == CR_CONNECTION_ERROR || e == CR_UNKNOWN_HOST || e == CR_SERVER_LOST_EXTENDED ||
         e == ER_SERVER_SHUTDOWN || e == ER_CONNECTION_KILLED || e == CR_COMMANDS_OUT_OF_SYNC;
}

inline Status status_for(unsigned int e, const std::string& what) {
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

// Typed parameters for one execution of a prepared statement; values live until it runs.
class Params {
 public:
  void u64(uint64_t v) { add(MYSQL_TYPE_LONGLONG, &(nums_[n_] = v), true); }
  void str(std::string_view s) {
    strs_[n_] = std::string(s);
    MYSQL_BIND& b = add(MYSQL_TYPE_BLOB, strs_[n_].data(), false);
    lens_[n_ - 1] = strs_[n_ - 1].size();
    b.buffer_length = lens_[n_ - 1];
    b.length = &lens_[n_ - 1];
  }
  void null() { add(MYSQL_TYPE_NULL, nullptr, false); }
  MYSQL_BIND* binds() { return binds_; }

 private:
  MYSQL_BIND& add(enum_field_types t, void* buf, bool is_unsigned) {
    MYSQL_BIND& b = binds_[n_];
    std::memset(&b, 0, sizeof b);
    b.buffer_type = t;
    b.buffer = buf;
    b.is_unsigned = is_unsigned;
    ++n_;
    return b;
  }
  static constexpr int kMax = 16;
  MYSQL_BIND binds_[kMax];
  uint64_t nums_[kMax] = {};
  std::string strs_[kMax];
  unsigned long lens_[kMax] = {};
  int n_ = 0;
};

struct Connection {
  MYSQL* m = nullptr;
  std::map<std::string, MYSQL_STMT*> stmts;
  bool broken = false;

  ~Connection() {
    for (auto& [sql, st] : stmts) mysql_stmt_close(st);
    if (m) mysql_close(m);
  }

  Status fail(const std::string& what, unsigned int e, const char* msg) {
    if (is_connection_error(e)) broken = true;
    return status_for(e, what + ": " + msg);
  }
  Status fail(const std::string& what) { return fail(what, mysql_errno(m), mysql_error(m)); }
  Status fail(const std::string& what, MYSQL_STMT* st) {
    return fail(what, mysql_stmt_errno(st), mysql_stmt_error(st));
  }

  // A text query, for DDL and transaction control only (never with data in it).
  Status query(const std::string& sql) {
    if (mysql_real_query(m, sql.data(), sql.size()) != 0) return fail("query");
    if (MYSQL_RES* r = mysql_store_result(m)) mysql_free_result(r);
    return Status::ok();
  }

  Result<MYSQL_STMT*> prepare(const std::string& sql) {
    auto it = stmts.find(sql);
    if (it != stmts.end()) return it->second;
    MYSQL_STMT* st = mysql_stmt_init(m);
    if (!st) return fail("mysql_stmt_init");
    if (mysql_stmt_prepare(st, sql.data(), sql.size()) != 0) {
      Status s = fail("prepare", st);
      mysql_stmt_close(st);
      return s;
    }
    stmts[sql] = st;
    return st;
  }

  // Runs a statement with these parameters; returns affected rows.
  Result<uint64_t> exec(const std::string& sql, Params& p) {
    auto st = prepare(sql);
    if (!st) return st.status();
    unsigned int single = 0;  // a plain execution (the statement may have run in bulk before)
    mysql_stmt_attr_set(*st, STMT_ATTR_ARRAY_SIZE, &single);
    if (mysql_stmt_param_count(*st) > 0 && mysql_stmt_bind_param(*st, p.binds()) != 0)
      return fail("bind", *st);
    if (mysql_stmt_execute(*st) != 0) return fail("execute", *st);
    return static_cast<uint64_t>(mysql_stmt_affected_rows(*st));
  }

  // Runs a query returning at most one row of text columns; *found says whether there was one.
  Status select_row(const std::string& sql, Params& p, std::vector<std::string>* row, bool* found) {
    std::vector<std::vector<std::string>> rows;
    Status s = select_rows(sql, p, &rows);
    *found = s.is_ok() && !rows.empty();
    if (*found) *row = std::move(rows[0]);
    return s;
  }

  // Runs a query; every row's columns as text (NULL as "").
  // With `null_flags`, also which columns were NULL.
  Status select_rows(const std::string& sql, Params& p, std::vector<std::vector<std::string>>* rows,
                     std::vector<std::vector<bool>>* null_flags = nullptr) {
    rows->clear();
    if (null_flags) null_flags->clear();
    auto st = prepare(sql);
    if (!st) return st.status();
    unsigned int single = 0;  // a plain execution (the statement may have run in bulk before)
    mysql_stmt_attr_set(*st, STMT_ATTR_ARRAY_SIZE, &single);
    if (mysql_stmt_param_count(*st) > 0 && mysql_stmt_bind_param(*st, p.binds()) != 0)
      return fail("bind", *st);
    if (mysql_stmt_execute(*st) != 0) return fail("execute", *st);
    unsigned int n = mysql_stmt_field_count(*st);
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
    if (mysql_stmt_bind_result(*st, out.data()) != 0) return fail("bind result", *st);
    if (mysql_stmt_store_result(*st) != 0) return fail("store result", *st);
    int r;
    while ((r = mysql_stmt_fetch(*st)) == 0 || r == MYSQL_DATA_TRUNCATED) {
      std::vector<std::string>& row = rows->emplace_back(n);
      if (null_flags) null_flags->emplace_back(nulls.begin(), nulls.end());
      for (unsigned i = 0; i < n; ++i) {
        if (nulls[i]) continue;
        if (lens[i] > bufs[i].size()) {  // longer than the buffer: fetch the column whole
          row[i].resize(lens[i]);
          MYSQL_BIND col{};
          col.buffer_type = MYSQL_TYPE_STRING;
          col.buffer = row[i].data();
          col.buffer_length = lens[i];
          mysql_stmt_fetch_column(*st, &col, i, 0);
        } else {
          row[i].assign(bufs[i].data(), lens[i]);
        }
      }
    }
    mysql_stmt_free_result(*st);
    if (r == 1) return fail("fetch", *st);
    return Status::ok();
  }
};

// Opens a connection with the source's current credentials.
Result<std::unique_ptr<Connection>> connect_mariadb(const MariaDbOptions& options,
                                                    secrets::CredentialSource& credentials);

// Idle connections for reuse. Thread-safe.
class ConnectionPool {
 public:
  ConnectionPool(const MariaDbOptions& options, secrets::CredentialSource& credentials)
      : options_(options), credentials_(credentials) {}

  Result<std::unique_ptr<Connection>> acquire() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!idle_.empty()) {
        auto c = std::move(idle_.back());
        idle_.pop_back();
        return c;
      }
    }
    return connect_mariadb(options_, credentials_);
  }
  // A broken connection is closed, and so are the idle ones: after a server restart they are
  // all dead, and the next caller should not have to find that out one by one.
  void release(std::unique_ptr<Connection> c) {
    if (!c) return;
    std::lock_guard<std::mutex> lock(mutex_);
    if (c->broken) {
      idle_.clear();
      return;
    }
    idle_.push_back(std::move(c));
  }

 private:
  const MariaDbOptions& options_;
  secrets::CredentialSource& credentials_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Connection>> idle_;  // guarded by mutex_
};

}  // namespace infralogs::storage

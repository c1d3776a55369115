#include "mysql_client.h"

#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>

#include <cstring>

#include "util.h"

namespace infralogs::vaultd {
namespace {

Status classify(unsigned int e, const std::string& text) {
  if (e == ER_ACCESS_DENIED_ERROR || e == ER_ACCESS_DENIED_NO_PASSWORD_ERROR ||
      e == ER_DBACCESS_DENIED_ERROR || e == ER_SPECIFIC_ACCESS_DENIED_ERROR) {
    return Status::permission_denied(text);
  }
  if (e == CR_CONNECTION_ERROR || e == CR_CONN_HOST_ERROR || e == CR_SERVER_GONE_ERROR ||
      e == CR_SERVER_LOST || e == CR_UNKNOWN_HOST || e == ER_SERVER_SHUTDOWN) {
    return Status::unavailable(text);
  }
  return Status::internal(text);
}

}  // namespace

std::string mysql_error_text(unsigned int errnum, const char* sqlstate, const char* message) {
  std::string state = sqlstate ? sqlstate : "";
  if (state.empty() || state == "00000") {
    return "Error " + std::to_string(errnum) + ": " + message;
  }
  return "Error " + std::to_string(errnum) + " (" + state + "): " + message;
}

std::string fill_placeholders(std::string text, const std::map<std::string, std::string>& values) {
  for (const auto& [k, v] : values) text = replace_all(std::move(text), "{{" + k + "}}", v);
  return text;
}

std::vector<std::string> split_statements(const std::vector<std::string>& statements) {
  std::vector<std::string> out;
  for (const auto& stmt : statements) {
    for (auto& q : split(stmt, ';')) {
      std::string t = trim(q);
      if (!t.empty()) out.push_back(t);
    }
  }
  return out;
}

Result<MySqlTarget> parse_dsn(const std::string& url, const std::string& username,
                              const std::string& password) {
  std::string dsn = fill_placeholders(url, {{"username", username}, {"password", password}});
  MySqlTarget t;
  size_t slash = dsn.rfind('/');
  if (slash == std::string::npos) {
    return Status::invalid_argument("invalid DSN: missing the slash separating the database name");
  }
  std::string head = dsn.substr(0, slash);
  std::string tail = dsn.substr(slash + 1);
  size_t q = tail.find('?');
  t.database = tail.substr(0, q);
  if (q != std::string::npos) {
    for (const auto& kv : split(tail.substr(q + 1), '&')) {
      size_t eq = kv.find('=');
      std::string k = kv.substr(0, eq), v = eq == std::string::npos ? "" : kv.substr(eq + 1);
      if (k == "tls") {
        t.tls = v == "true" || v == "skip-verify" || v == "preferred" || v == "custom";
        t.tls_verify = v == "true";
      } else if (k == "timeout") {
        auto d = parse_duration(nlohmann::json(v));
        if (d && *d > 0) t.connect_timeout_s = static_cast<int>(*d);
      }
    }
  }
  size_t at = head.rfind('@');
  std::string userinfo = at == std::string::npos ? "" : head.substr(0, at);
  std::string addr = at == std::string::npos ? head : head.substr(at + 1);
  size_t colon = userinfo.find(':');
  t.user = userinfo.substr(0, colon);
  if (colon != std::string::npos) t.password = userinfo.substr(colon + 1);
  if (!username.empty() && url.find("{{username}}") == std::string::npos) t.user = username;
  if (!password.empty() && url.find("{{password}}") == std::string::npos) t.password = password;
  if (addr.empty()) return t;
  size_t open = addr.find('(');
  if (open == std::string::npos || addr.back() != ')') {
    return Status::invalid_argument(
        "invalid DSN: network address not terminated (missing closing brace)");
  }
  std::string net = addr.substr(0, open);
  std::string where = addr.substr(open + 1, addr.size() - open - 2);
  if (net == "unix") {
    t.unix_socket = where;
  } else if (net == "tcp") {
    size_t c = where.rfind(':');
    t.host = where.substr(0, c);
    if (c != std::string::npos) {
      try {
        t.port = std::stoi(where.substr(c + 1));
      } catch (const std::exception&) {
        return Status::invalid_argument("invalid DSN: bad port in \"" + where + "\"");
      }
    }
  } else {
    return Status::invalid_argument("invalid DSN: unknown network \"" + net + "\"");
  }
  return t;
}

Result<std::unique_ptr<MySqlSession>> MySqlSession::open(const MySqlTarget& target) {
  MYSQL* m = mysql_init(nullptr);
  if (!m) return Status::internal("mysql_init failed");
  unsigned int connect_timeout = static_cast<unsigned int>(target.connect_timeout_s);
  unsigned int io_timeout = static_cast<unsigned int>(target.io_timeout_s);
  mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout);
  mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &io_timeout);
  mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &io_timeout);
  mysql_options(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  if (target.tls) {
    my_bool on = 1;
    mysql_options(m, MYSQL_OPT_SSL_ENFORCE, &on);
    if (!target.tls_ca_file.empty()) mysql_options(m, MYSQL_OPT_SSL_CA, target.tls_ca_file.c_str());
    my_bool verify = target.tls_verify ? 1 : 0;
    mysql_options(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify);
  }
  const char* socket = target.unix_socket.empty() ? nullptr : target.unix_socket.c_str();
  const char* host = socket ? "localhost" : target.host.c_str();
  if (!mysql_real_connect(m, host, target.user.c_str(), target.password.c_str(),
                          target.database.empty() ? nullptr : target.database.c_str(),
                          static_cast<unsigned int>(target.port), socket, 0)) {
    std::string text = mysql_error_text(mysql_errno(m), mysql_sqlstate(m), mysql_error(m));
    Status s = classify(mysql_errno(m), text);
    mysql_close(m);
    return s;
  }
  return std::unique_ptr<MySqlSession>(new MySqlSession(m));
}

MySqlSession::~MySqlSession() { mysql_close(m_); }

Status MySqlSession::error(const std::string& what) const {
  return classify(
      mysql_errno(m_),
      what.empty() ? mysql_error_text(mysql_errno(m_), mysql_sqlstate(m_), mysql_error(m_)) : what);
}

Status MySqlSession::query(const std::string& sql) {
  if (mysql_real_query(m_, sql.data(), sql.size()) != 0) return error("");
  if (MYSQL_RES* r = mysql_store_result(m_)) mysql_free_result(r);
  return Status::ok();
}

Status MySqlSession::run_prepared(const std::vector<std::string>& statements) {
  Status s = query("START TRANSACTION");
  if (!s.is_ok()) return s;
  for (const auto& sql : statements) {
    MYSQL_STMT* st = mysql_stmt_init(m_);
    if (!st) return error("");
    if (mysql_stmt_prepare(st, sql.data(), sql.size()) != 0) {
      unsigned int e = mysql_stmt_errno(st);
      std::string text = mysql_error_text(e, mysql_stmt_sqlstate(st), mysql_stmt_error(st));
      mysql_stmt_close(st);
      if (e == ER_UNSUPPORTED_PS) {
        s = query(sql);
        if (!s.is_ok()) {
          query("ROLLBACK");
          return s;
        }
        continue;
      }
      query("ROLLBACK");
      return classify(e, text);
    }
    if (mysql_stmt_execute(st) != 0) {
      unsigned int e = mysql_stmt_errno(st);
      std::string text = mysql_error_text(e, mysql_stmt_sqlstate(st), mysql_stmt_error(st));
      mysql_stmt_close(st);
      query("ROLLBACK");
      return classify(e, text);
    }
    mysql_stmt_close(st);
  }
  return query("COMMIT");
}

Status MySqlSession::run_plain(const std::vector<std::string>& statements) {
  Status s = query("START TRANSACTION");
  if (!s.is_ok()) return s;
  for (const auto& sql : statements) {
    s = query(sql);
    if (!s.is_ok()) {
      query("ROLLBACK");
      return s;
    }
  }
  return query("COMMIT");
}

Result<std::vector<std::string>> MySqlSession::session_ids(const std::string& user) {
  std::string escaped(user.size() * 2 + 1, '\0');
  unsigned long n = mysql_real_escape_string(m_, escaped.data(), user.data(), user.size());
  escaped.resize(n);
  Status s = Status::ok();
  std::string sql = "SELECT ID FROM information_schema.PROCESSLIST WHERE USER = '" + escaped + "'";
  if (mysql_real_query(m_, sql.data(), sql.size()) != 0) return error("");
  MYSQL_RES* r = mysql_store_result(m_);
  if (!r) return error("");
  std::vector<std::string> ids;
  while (MYSQL_ROW row = mysql_fetch_row(r)) {
    if (row[0]) ids.emplace_back(row[0]);
  }
  mysql_free_result(r);
  return ids;
}

Status MySqlSession::kill_connection(const std::string& id) {
  Status s = query("KILL CONNECTION " + id);
  // The session may have ended between the PROCESSLIST read and the KILL.
  if (!s.is_ok() && mysql_errno(m_) == ER_NO_SUCH_THREAD) return Status::ok();
  return s;
}

}  // namespace infralogs::vaultd

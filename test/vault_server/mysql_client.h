#pragma once
// The MariaDB side of the database secrets engine: Go-style DSNs as Vault's mysql plugin takes
// them, and statements run the way plugins/database/mysql/mysql.go runs them.
// Thread-safety: a MySqlSession is used by one thread at a time; parse_dsn is a free function.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "infralogs/core/status.h"

struct st_mysql;

namespace infralogs::vaultd {

struct MySqlTarget {
  std::string host = "127.0.0.1";
  int port = 3306;
  std::string unix_socket;  // unix(/path) in the DSN
  std::string user;
  std::string password;
  std::string database;
  bool tls = false;         // ?tls=true|skip-verify|preferred, or a tls_ca in the config
  bool tls_verify = false;  // verify the server certificate against tls_ca_file
  std::string tls_ca_file;  // PEM file
  int connect_timeout_s = 5;
  int io_timeout_s = 30;
};

// Parses a go-sql-driver DSN, "[user[:password]@][tcp(host:port)|unix(path)]/[db][?params]",
// after replacing {{username}} and {{password}} with the given values (as Vault's connection
// producer does). Explicit username/password win over ones written in the DSN.
Result<MySqlTarget> parse_dsn(const std::string& url, const std::string& username,
                              const std::string& password);

// Replaces {{key}} for every key (dbutil.QueryHelper).
std::string fill_placeholders(std::string text, const std::map<std::string, std::string>& values);

// Splits statements on ';' (strutil.ParseArbitraryStringSlice) and drops empty ones.
std::vector<std::string> split_statements(const std::vector<std::string>& statements);

class MySqlSession {
 public:
  // kUnavailable when the server cannot be reached, kPermissionDenied when the login fails
  // (the message carries the server's "Error 1045 (28000): ..." text).
  static Result<std::unique_ptr<MySqlSession>> open(const MySqlTarget& target);
  ~MySqlSession();
  MySqlSession(const MySqlSession&) = delete;
  MySqlSession& operator=(const MySqlSession&) = delete;

  // One transaction; each statement prepared and executed, or executed as text when the
  // server cannot prepare it (error 1295), like executePreparedStatementsWithMap.
  Status run_prepared(const std::vector<std::string>& statements);
  // One transaction of text statements, like the plugin's DeleteUser.
  Status run_plain(const std::vector<std::string>& statements);
  // Ids of the sessions logged in as `user` (information_schema.PROCESSLIST).
  Result<std::vector<std::string>> session_ids(const std::string& user);
  Status kill_connection(const std::string& id);

 private:
  explicit MySqlSession(st_mysql* m) : m_(m) {}
  Status query(const std::string& sql);
  Status error(const std::string& what) const;

  st_mysql* m_;
};

// go-sql-driver's error text: "Error 1045 (28000): Access denied for user ...".
std::string mysql_error_text(unsigned int errnum, const char* sqlstate, const char* message);

}  // namespace infralogs::vaultd

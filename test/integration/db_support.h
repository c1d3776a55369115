#pragma once
// A throwaway MariaDB primary and GTID replica (scripts/mariadb-pair) for integration tests,
// plus helpers to create an infralogs database with least-privilege accounts.

#include <string>
#include <vector>

#include "integration/support.h"

namespace infralogs::itest {

using Rows = std::vector<std::vector<std::string>>;

class MariaDbPair {
 public:
  MariaDbPair();   // starts both servers on free loopback ports
  ~MariaDbPair();  // stops them and removes everything
  MariaDbPair(const MariaDbPair&) = delete;
  MariaDbPair& operator=(const MariaDbPair&) = delete;

  int primary_port() const { return primary_port_; }
  int replica_port() const { return replica_port_; }

  // SQL as root over the server's socket; rows of tab-separated text (use HEX() for bytes).
  Rows primary(const std::string& sql);
  Rows replica(const std::string& sql);
  // Waits until the replica has applied everything the primary has written.
  void sync_replica();
  void restart_primary();
  void stop_replica();
  void start_replica();

  struct Database {
    std::string name;
    std::string primary_url;  // mysql://127.0.0.1:PORT/NAME
    std::string replica_url;
    std::string admin_credentials;  // JSON credentials files
    std::string collector_credentials;
    std::string reader_credentials;
  };
  // Creates database `name`, migrates it with the real binary and the admin account, and
  // creates a collector and a reader account with scripts/sql/grants.sql.
  Database create_database(const std::string& name);

 private:
  Rows run_sql(const std::string& socket, const std::string& sql);
  void pair(const std::vector<std::string>& args);

  TempDir dir_;
  int primary_port_ = 0;
  int replica_port_ = 0;
  std::string primary_socket_;
  std::string replica_socket_;
  bool started_ = false;
};

// A free TCP port on 127.0.0.1 (free when asked; another process could take it after).
int free_port();

}  // namespace infralogs::itest

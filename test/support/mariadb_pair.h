#pragma once
// A throwaway MariaDB primary and GTID replica (scripts/mariadb-pair) for integration tests,
// plus an infralogs database on it with least-privilege accounts. Not thread-safe.

#include <string>
#include <vector>

#include "support/temp_dir.h"

namespace infralogs::test {

using Rows = std::vector<std::vector<std::string>>;

class MariaDbPair {
 public:
  struct Options {
    bool tls = false;                       // mariadb-pair start --tls
    bool require_secure_transport = false;  // and --require-secure-transport
  };
  // Starts both servers on free loopback ports; fails the test if they do not start.
  MariaDbPair() : MariaDbPair(Options{}) {}
  explicit MariaDbPair(Options options);
  // Stops them and removes their data.
  ~MariaDbPair();
  MariaDbPair(const MariaDbPair&) = delete;
  MariaDbPair& operator=(const MariaDbPair&) = delete;

  int primary_port() const { return primary_port_; }
  int replica_port() const { return replica_port_; }
  // With Options::tls: the CA file the servers' certificate (for 127.0.0.1) verifies against.
  const std::string& tls_ca() const { return tls_ca_; }

  // SQL as root over the server's socket: rows of tab-separated text (use HEX() for bytes).
  // Fails the test if the statement fails.
  Rows primary(const std::string& sql);
  Rows replica(const std::string& sql);
  // Waits (up to 60 s) until the replica has applied everything the primary has written.
  void sync_replica();
  void restart_primary();
  void stop_replica();
  void start_replica();
  // SIGSTOP / SIGCONT to a server (mariadb-pair pause-* / resume-*): frozen, sockets open.
  void pause_primary();
  void resume_primary();
  void pause_replica();
  void resume_replica();
  // SIGKILL to the primary's mariadbd (a crashed host): returns once the process is gone. Its
  // data stays; the replica keeps what it had applied.
  void kill_primary();
  // mariadb-pair promote: the replica stops replicating and becomes writable (a failover).
  void promote();

  struct Database {
    std::string name;
    std::string primary_url;  // mysql://127.0.0.1:PORT/NAME
    std::string replica_url;
    std::string admin_credentials;  // JSON credentials files
    std::string collector_credentials;
    std::string reader_credentials;
  };
  // Creates database `name`, migrates it with the real binary and the admin account, and
  // creates a collector and a reader account with scripts/sql/grants.sql; returns once the
  // replica has all of it.
  Database create_database(const std::string& name);

 private:
  Rows run_sql(const std::string& socket, const std::string& sql);
  void pair(const std::vector<std::string>& args);

  TempDir dir_;
  int primary_port_ = 0;
  int replica_port_ = 0;
  std::string primary_socket_;
  std::string replica_socket_;
  std::string tls_ca_;
  bool started_ = false;
};

}  // namespace infralogs::test

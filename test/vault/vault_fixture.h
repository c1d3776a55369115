#pragma once
// Helpers for the test-vault tests: run commands, a MariaDB primary + replica from
// scripts/mariadb-pair on free ports, logins with the MariaDB C client (to see error 1045
// and friends), and build/test-vault as a child process with an HTTP client for it.

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace infralogs::vtest {

struct CommandResult {
  int exit_code = -1;
  std::string out, err;
};
// Runs argv (argv[0] searched in PATH) and captures its output.
CommandResult run(const std::vector<std::string>& argv);

// A fresh directory under /tmp, removed on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string write(const std::string& name, const std::string& content) const;

 private:
  std::string path_;
};

int free_port();
std::string read_file(const std::string& path);
// Polls `done` every 50 ms until it holds or `timeout` passes; returns its last value.
bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout);

using Rows = std::vector<std::vector<std::string>>;

class MariaDbPair {
 public:
  // Starts both servers (scripts/mariadb-pair start) on free loopback ports.
  explicit MariaDbPair(const std::vector<std::string>& extra_start_args = {});
  ~MariaDbPair();  // stops them
  MariaDbPair(const MariaDbPair&) = delete;
  MariaDbPair& operator=(const MariaDbPair&) = delete;

  // One pair per test process, started on first use; shutdown_shared() (called by main after
  // the tests ran) stops it.
  static MariaDbPair& shared();
  static void shutdown_shared();

  int primary_port() const { return primary_port_; }
  int replica_port() const { return replica_port_; }
  const std::string& dir() const { return dir_.path(); }
  // The pair's env file as a map (PRIMARY_PORT, TLS_CA, ...).
  std::map<std::string, std::string> env() const;
  // SQL as root over the server's socket; rows of tab-separated text.
  Rows primary(const std::string& sql);
  Rows replica(const std::string& sql);
  void sync_replica();
  // The pair's admin account (ALL PRIVILEGES ... WITH GRANT OPTION, host 127.0.0.1).
  std::string admin_user() const;
  std::string admin_password() const;

 private:
  Rows run_sql(const std::string& socket, const std::string& sql);
  TempDir dir_;
  int primary_port_ = 0, replica_port_ = 0;
  std::string primary_socket_, replica_socket_;
};

// Logs in over TCP to 127.0.0.1:port; 0 on success, else the client's error number (1045 for
// a wrong password or a dropped user). With `ca`, TLS is required and verified against it.
unsigned int try_login(int port, const std::string& user, const std::string& password,
                       const std::string& ca = "", std::string* error = nullptr);

// An open MariaDB session, for what revocation does to sessions that already exist.
class Session {
 public:
  Session(int port, const std::string& user, const std::string& password,
          const std::string& database);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  // Runs a statement; 0 on success, else the error number.
  unsigned int query(const std::string& sql);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct Reply {
  int status = 0;
  std::string body;
  std::multimap<std::string, std::string> headers;
  nlohmann::json json() const;  // the body parsed; null when empty or not JSON
  std::string header(const std::string& name) const;
};

// build/test-vault on a free port with a random root token.
class VaultProcess {
 public:
  explicit VaultProcess(const std::vector<std::string>& extra_args = {});
  ~VaultProcess();  // SIGTERM and wait
  VaultProcess(const VaultProcess&) = delete;
  VaultProcess& operator=(const VaultProcess&) = delete;

  int port() const { return port_; }
  const std::string& root_token() const { return root_token_; }
  const std::string& dir() const { return dir_.path(); }
  std::string log() const;

  // One request; `path` starts with "/" ("/v1/sys/health"); an empty token sends none.
  Reply call(const std::string& method, const std::string& path,
             const nlohmann::json& body = nullptr, const std::string& token = "") const;
  // call() without Catch's macros, for threads other than the test's own (Catch is not
  // thread-safe: an INFO from a consumer thread once aborted the binary with a double free);
  // nullopt when the request did not complete, httplib's reason in *error.
  std::optional<Reply> try_call(const std::string& method, const std::string& path,
                                const nlohmann::json& body = nullptr, const std::string& token = "",
                                std::string* error = nullptr) const;
  // The same with the root token.
  Reply root(const std::string& method, const std::string& path,
             const nlohmann::json& body = nullptr) const;
  std::optional<Reply> try_root(const std::string& method, const std::string& path) const {
    return try_call(method, path, nullptr, root_token_);
  }
  // Stops with SIGTERM; the exit status.
  int stop();

 private:
  TempDir dir_;
  std::string root_token_;
  pid_t pid_ = -1;
  int port_ = 0;
  bool tls_ = false;
  std::string ca_;
};

// Root-token setup shared by the database tests: a database mount "database/" with a
// connection "pair" to the primary using a dedicated 'vaultadmin'@'%' account.
struct DbSetup {
  std::string admin_user = "vaultadmin";
  std::string admin_password;
};
DbSetup configure_database(VaultProcess& vault, MariaDbPair& pair,
                           const std::string& allowed_roles = "*");

// A MariaDB user's existence on the primary.
bool user_exists(MariaDbPair& pair, const std::string& user);

}  // namespace infralogs::vtest

#include "support/mariadb_pair.h"

#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "support/binaries.h"
#include "support/files.h"
#include "support/net.h"
#include "support/process.h"

namespace infralogs::test {
namespace {

// KEY's value in the shell-style env file scripts/mariadb-pair writes ("" if absent).
std::string env_value(const std::string& env_file, const std::string& key) {
  std::istringstream in(read_file(env_file));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + "=", 0) == 0) {
      std::string v = line.substr(key.size() + 1);
      if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'')) v = v.substr(1, v.size() - 2);
      return v;
    }
  }
  return "";
}

std::string pair_script() { return source_dir() + "/scripts/mariadb-pair"; }

}  // namespace

void MariaDbPair::pair(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {pair_script()};
  argv.insert(argv.end(), args.begin(), args.end());
  CommandResult r = run(argv);
  INFO("mariadb-pair " << args[0] << ":\n" << r.out << r.err);
  REQUIRE(r.exit_code == 0);
}

MariaDbPair::MariaDbPair(Options options) {
  primary_port_ = free_port();
  do {
    replica_port_ = free_port();
  } while (replica_port_ == primary_port_);
  std::vector<std::string> args = {"start",          dir_.path(),
                                   "--primary-port", std::to_string(primary_port_),
                                   "--replica-port", std::to_string(replica_port_)};
  if (options.tls) args.push_back("--tls");
  if (options.require_secure_transport) args.push_back("--require-secure-transport");
  pair(args);
  started_ = true;
  primary_socket_ = env_value(dir_.file("env"), "PRIMARY_SOCKET");
  replica_socket_ = env_value(dir_.file("env"), "REPLICA_SOCKET");
  REQUIRE(!primary_socket_.empty());
  REQUIRE(!replica_socket_.empty());
  if (options.tls) {
    tls_ca_ = env_value(dir_.file("env"), "TLS_CA");
    REQUIRE(!tls_ca_.empty());
  }
}

MariaDbPair::~MariaDbPair() {
  if (started_) run({pair_script(), "stop", dir_.path()});
}

Rows MariaDbPair::run_sql(const std::string& socket, const std::string& sql) {
  CommandResult r =
      run({"mariadb", "--no-defaults", "-uroot", "--socket=" + socket, "-N", "-B", "-e", sql});
  INFO("SQL: " << sql.substr(0, 500) << "\n" << r.err);
  REQUIRE(r.exit_code == 0);
  Rows rows;
  std::istringstream in(r.out);
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> cols;
    size_t start = 0;
    while (true) {
      size_t tab = line.find('\t', start);
      cols.push_back(line.substr(start, tab == std::string::npos ? tab : tab - start));
      if (tab == std::string::npos) break;
      start = tab + 1;
    }
    rows.push_back(std::move(cols));
  }
  return rows;
}

Rows MariaDbPair::primary(const std::string& sql) { return run_sql(primary_socket_, sql); }
Rows MariaDbPair::replica(const std::string& sql) { return run_sql(replica_socket_, sql); }

void MariaDbPair::sync_replica() {
  std::string pos = primary("SELECT @@gtid_binlog_pos")[0][0];
  Rows r = replica("SELECT MASTER_GTID_WAIT('" + pos + "', 60)");
  INFO("the replica did not reach the primary's GTID position " << pos);
  REQUIRE(r[0][0] == "0");
}

void MariaDbPair::restart_primary() { pair({"restart-primary", dir_.path()}); }
void MariaDbPair::stop_replica() { pair({"stop-replica", dir_.path()}); }
void MariaDbPair::start_replica() { pair({"start-replica", dir_.path()}); }
void MariaDbPair::pause_primary() { pair({"pause-primary", dir_.path()}); }
void MariaDbPair::resume_primary() { pair({"resume-primary", dir_.path()}); }
void MariaDbPair::pause_replica() { pair({"pause-replica", dir_.path()}); }
void MariaDbPair::resume_replica() { pair({"resume-replica", dir_.path()}); }
void MariaDbPair::promote() { pair({"promote", dir_.path()}); }

void MariaDbPair::kill_primary() {
  // mariadb-pair writes mariadbd's pid file into the pair's directory (primary.pid).
  std::string pid_text = read_file(dir_.file("primary.pid"));
  pid_t pid = static_cast<pid_t>(std::stol(pid_text));
  REQUIRE(pid > 1);
  REQUIRE(::kill(pid, SIGKILL) == 0);
  // mariadbd runs under setsid, not as our child: wait until /proc shows it gone or a zombie
  // (an init may reap it late; its port and files are released by then).
  auto alive = [pid] {
    std::string stat =
        try_read_file("/proc/" + std::to_string(pid) + "/stat").value_or(std::string());
    size_t paren = stat.rfind(')');
    return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] != 'Z';
  };
  for (int i = 0; i < 200 && alive(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  INFO("the primary (pid " << pid << ") is still there 10 s after SIGKILL");
  REQUIRE(!alive());
}

MariaDbPair::Database MariaDbPair::create_database(const std::string& name) {
  Database db;
  db.name = name;
  db.primary_url = "mysql://127.0.0.1:" + std::to_string(primary_port_) + "/" + name;
  db.replica_url = "mysql://127.0.0.1:" + std::to_string(replica_port_) + "/" + name;
  db.admin_credentials = dir_.file("admin.json");
  primary("CREATE DATABASE " + name);
  std::vector<std::string> migrate = {
      infralogs_binary(),      "collect",           "--migrate", "--db", db.primary_url,
      "--db-credentials-file", db.admin_credentials};
  // A pair started with --tls migrates over verified TLS, as production does (--db-tls-ca).
  if (!tls_ca_.empty()) {
    migrate.push_back("--db-tls-ca");
    migrate.push_back(tls_ca_);
  }
  CommandResult r = run(migrate);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  std::string collector = "'" + name + "_collect'@'127.0.0.1'",
              reader = "'" + name + "_read'@'127.0.0.1'";
  primary("CREATE USER " + collector + " IDENTIFIED BY 'collect-pw'; CREATE USER " + reader +
          " IDENTIFIED BY 'read-pw'");
  std::string grants = read_file(source_dir() + "/scripts/sql/grants.sql");
  grants = std::regex_replace(grants, std::regex("@DB@"), name);
  grants = std::regex_replace(grants, std::regex("@COLLECTOR@"), collector);
  grants = std::regex_replace(grants, std::regex("@READER@"), reader);
  primary(grants);
  db.collector_credentials =
      dir_.write(name + "-collect.json",
                 R"({"username": ")" + name + R"(_collect", "password": "collect-pw"})");
  db.reader_credentials = dir_.write(
      name + "-read.json", R"({"username": ")" + name + R"(_read", "password": "read-pw"})");
  // The accounts and the schema reach the replica asynchronously: a reader started right away
  // could be refused (the flaky "replica is down" test: PermissionDenied before any stop).
  sync_replica();
  return db;
}

}  // namespace infralogs::test

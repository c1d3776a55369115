#include "vault_fixture.h"

#include <fcntl.h>
#include <httplib.h>
#include <mysql.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

extern char** environ;

namespace infralogs::vtest {
namespace {

pid_t spawn(const std::vector<std::string>& argv, const std::string& out_path,
            const std::string& err_path) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&fa, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  int r = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (r != 0) FAIL("cannot run " << argv[0] << ": " << std::strerror(r));
  return pid;
}

std::string random_hex(size_t n) {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  static const char* kHex = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; ++i) s.push_back(kHex[rng() % 16]);
  return s;
}

std::string json_string_field(const std::string& text, const std::string& key) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object() || !j.contains(key)) return "";
  return j[key].get<std::string>();
}

}  // namespace

CommandResult run(const std::vector<std::string>& argv) {
  TempDir dir;
  std::string out = dir.path() + "/out", err = dir.path() + "/err";
  pid_t pid = spawn(argv, out, err);
  int status = 0;
  waitpid(pid, &status, 0);
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_file(out);
  r.err = read_file(err);
  return r;
}

TempDir::TempDir() {
  char tmpl[] = "/tmp/test-vault.XXXXXX";
  char* p = mkdtemp(tmpl);
  REQUIRE(p != nullptr);
  path_ = p;
}

TempDir::~TempDir() {  // no Catch macros: see ~MariaDbPair
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string TempDir::write(const std::string& name, const std::string& content) const {
  std::string p = path_ + "/" + name;
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << content;
  return p;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() > deadline) return done();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

MariaDbPair::MariaDbPair(const std::vector<std::string>& extra_start_args) {
  primary_port_ = free_port();
  do {
    replica_port_ = free_port();
  } while (replica_port_ == primary_port_);
  std::vector<std::string> argv = {std::string(INFRALOGS_SOURCE_DIR) + "/scripts/mariadb-pair",
                                   "start",
                                   dir_.path(),
                                   "--primary-port",
                                   std::to_string(primary_port_),
                                   "--replica-port",
                                   std::to_string(replica_port_)};
  argv.insert(argv.end(), extra_start_args.begin(), extra_start_args.end());
  CommandResult r = run(argv);
  INFO("mariadb-pair start:\n" << r.out << r.err);
  REQUIRE(r.exit_code == 0);
  auto e = env();
  primary_socket_ = e["PRIMARY_SOCKET"];
  replica_socket_ = e["REPLICA_SOCKET"];
  REQUIRE(!primary_socket_.empty());
}

// Without Catch macros: this also runs after the test session ended.
MariaDbPair::~MariaDbPair() {
  std::vector<std::string> argv = {std::string(INFRALOGS_SOURCE_DIR) + "/scripts/mariadb-pair",
                                   "stop", dir_.path()};
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  if (posix_spawn(&pid, args[0], &fa, nullptr, args.data(), environ) == 0) {
    int status = 0;
    waitpid(pid, &status, 0);
  }
  posix_spawn_file_actions_destroy(&fa);
}

namespace {
std::unique_ptr<MariaDbPair>& shared_pair() {
  static std::unique_ptr<MariaDbPair> pair;
  return pair;
}
}  // namespace

MariaDbPair& MariaDbPair::shared() {
  if (!shared_pair()) shared_pair() = std::make_unique<MariaDbPair>();
  return *shared_pair();
}

void MariaDbPair::shutdown_shared() { shared_pair().reset(); }

std::map<std::string, std::string> MariaDbPair::env() const {
  std::map<std::string, std::string> out;
  std::istringstream in(read_file(dir_.path() + "/env"));
  std::string line;
  while (std::getline(in, line)) {
    size_t eq = line.find('=');
    if (line.empty() || line[0] == '#' || eq == std::string::npos) continue;
    std::string v = line.substr(eq + 1);
    if (v.size() >= 2 && v.front() == '\'') v = v.substr(1, v.size() - 2);
    out[line.substr(0, eq)] = v;
  }
  return out;
}

Rows MariaDbPair::run_sql(const std::string& socket, const std::string& sql) {
  CommandResult r =
      run({"mariadb", "--no-defaults", "-uroot", "--socket=" + socket, "-N", "-B", "-e", sql});
  INFO("SQL: " << sql << "\n" << r.err);
  REQUIRE(r.exit_code == 0);
  Rows rows;
  std::istringstream in(r.out);
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> cols;
    std::stringstream ls(line);
    std::string col;
    while (std::getline(ls, col, '\t')) cols.push_back(col);
    rows.push_back(cols);
  }
  return rows;
}

Rows MariaDbPair::primary(const std::string& sql) { return run_sql(primary_socket_, sql); }
Rows MariaDbPair::replica(const std::string& sql) { return run_sql(replica_socket_, sql); }

void MariaDbPair::sync_replica() {
  std::string pos = primary("SELECT @@gtid_binlog_pos")[0][0];
  REQUIRE(replica("SELECT MASTER_GTID_WAIT('" + pos + "', 30)")[0][0] == "0");
}

std::string MariaDbPair::admin_user() const {
  return json_string_field(read_file(dir_.path() + "/admin.json"), "username");
}
std::string MariaDbPair::admin_password() const {
  return json_string_field(read_file(dir_.path() + "/admin.json"), "password");
}

unsigned int try_login(int port, const std::string& user, const std::string& password,
                       const std::string& ca, std::string* error) {
  MYSQL* m = mysql_init(nullptr);
  unsigned int timeout = 5;
  mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
  if (!ca.empty()) {
    my_bool on = 1;
    mysql_options(m, MYSQL_OPT_SSL_ENFORCE, &on);
    mysql_options(m, MYSQL_OPT_SSL_CA, ca.c_str());
    mysql_options(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &on);
  }
  unsigned int e = 0;
  if (!mysql_real_connect(m, "127.0.0.1", user.c_str(), password.c_str(), nullptr,
                          static_cast<unsigned int>(port), nullptr, 0)) {
    e = mysql_errno(m);
    if (error) *error = mysql_error(m);
  }
  mysql_close(m);
  return e;
}

struct Session::Impl {
  MYSQL* m = nullptr;
};

Session::Session(int port, const std::string& user, const std::string& password,
                 const std::string& database)
    : impl_(std::make_unique<Impl>()) {
  impl_->m = mysql_init(nullptr);
  unsigned int timeout = 5;
  mysql_options(impl_->m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
  mysql_options(impl_->m, MYSQL_OPT_READ_TIMEOUT, &timeout);
  bool ok = mysql_real_connect(impl_->m, "127.0.0.1", user.c_str(), password.c_str(),
                               database.empty() ? nullptr : database.c_str(),
                               static_cast<unsigned int>(port), nullptr, 0) != nullptr;
  INFO(mysql_error(impl_->m));
  REQUIRE(ok);
}

Session::~Session() { mysql_close(impl_->m); }

unsigned int Session::query(const std::string& sql) {
  if (mysql_real_query(impl_->m, sql.data(), sql.size()) != 0) return mysql_errno(impl_->m);
  if (MYSQL_RES* r = mysql_store_result(impl_->m)) mysql_free_result(r);
  return mysql_errno(impl_->m);
}

nlohmann::json Reply::json() const {
  if (body.empty()) return nullptr;
  auto j = nlohmann::json::parse(body, nullptr, false);
  return j.is_discarded() ? nlohmann::json() : j;
}

std::string Reply::header(const std::string& name) const {
  for (const auto& [k, v] : headers) {
    if (strcasecmp(k.c_str(), name.c_str()) == 0) return v;
  }
  return "";
}

VaultProcess::VaultProcess(const std::vector<std::string>& extra_args) {
  root_token_ = "root-" + random_hex(24);
  std::string token_file = dir_.write("root-token", root_token_ + "\n");
  std::string port_file = dir_.path() + "/port";
  std::vector<std::string> argv = {TEST_VAULT_BINARY, "--listen",    "127.0.0.1:0",
                                   "--port-file",     port_file,     "--root-token-file",
                                   token_file,        "--log-level", "debug"};
  for (size_t i = 0; i < extra_args.size(); ++i) {
    if (extra_args[i] == "--tls-cert" && i + 1 < extra_args.size()) {
      tls_ = true;
      ca_ = extra_args[i + 1];
    }
    argv.push_back(extra_args[i]);
  }
  pid_ = spawn(argv, dir_.path() + "/stdout", dir_.path() + "/log");
  bool up = wait_until(
      [&] {
        std::string p = read_file(port_file);
        if (!p.empty()) port_ = std::stoi(p);
        int status;
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
          pid_ = -1;
          return true;
        }
        return port_ > 0;
      },
      std::chrono::seconds(20));
  INFO(log());
  REQUIRE(up);
  REQUIRE(pid_ > 0);
}

VaultProcess::~VaultProcess() {
  if (pid_ > 0) stop();
}

int VaultProcess::stop() {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string VaultProcess::log() const { return read_file(dir_.path() + "/log"); }

std::optional<Reply> VaultProcess::try_call(const std::string& method, const std::string& path,
                                            const nlohmann::json& body, const std::string& token,
                                            std::string* error) const {
  std::unique_ptr<httplib::ClientImpl> client;
  if (tls_) {
    auto ssl = std::make_unique<httplib::SSLClient>("127.0.0.1", port_);
    ssl->set_ca_cert_path(ca_.c_str());
    ssl->enable_server_certificate_verification(true);
    client = std::move(ssl);
  } else {
    client = std::make_unique<httplib::ClientImpl>("127.0.0.1", port_);
  }
  client->set_read_timeout(30, 0);
  httplib::Request req;
  req.method = method;
  req.path = path;
  if (!token.empty()) req.headers.emplace("X-Vault-Token", token);
  if (!body.is_null()) {
    req.body = body.is_string() ? body.get<std::string>() : body.dump();
    req.headers.emplace("Content-Type", "application/json");
  }
  httplib::Response res;
  httplib::Error err = httplib::Error::Success;
  if (!client->send(req, res, err)) {
    if (error) *error = httplib::to_string(err);
    return std::nullopt;
  }
  Reply r;
  r.status = res.status;
  r.body = res.body;
  for (const auto& [k, v] : res.headers) r.headers.emplace(k, v);
  return r;
}

Reply VaultProcess::call(const std::string& method, const std::string& path,
                         const nlohmann::json& body, const std::string& token) const {
  std::string error;
  std::optional<Reply> r = try_call(method, path, body, token, &error);
  INFO(method << " " << path << ": " << error);
  REQUIRE(r);
  return *r;
}

Reply VaultProcess::root(const std::string& method, const std::string& path,
                         const nlohmann::json& body) const {
  return call(method, path, body, root_token_);
}

DbSetup configure_database(VaultProcess& vault, MariaDbPair& pair,
                           const std::string& allowed_roles) {
  DbSetup s;
  s.admin_user = "vaultadmin_" + random_hex(6);
  s.admin_password = "pw-" + random_hex(16);
  pair.primary("CREATE USER '" + s.admin_user + "'@'%' IDENTIFIED BY '" + s.admin_password +
               "'; GRANT ALL PRIVILEGES ON *.* TO '" + s.admin_user + "'@'%' WITH GRANT OPTION");
  REQUIRE(vault.root("POST", "/v1/sys/mounts/database", {{"type", "database"}}).status == 204);
  Reply r = vault.root("POST", "/v1/database/config/pair",
                       {{"plugin_name", "mysql-database-plugin"},
                        {"connection_url", "{{username}}:{{password}}@tcp(127.0.0.1:" +
                                               std::to_string(pair.primary_port()) + ")/"},
                        {"allowed_roles", allowed_roles},
                        {"username", s.admin_user},
                        {"password", s.admin_password}});
  INFO(r.body);
  REQUIRE(r.status == 204);
  return s;
}

bool user_exists(MariaDbPair& pair, const std::string& user) {
  return pair.primary("SELECT COUNT(*) FROM mysql.user WHERE User = '" + user + "'")[0][0] != "0";
}

}  // namespace infralogs::vtest

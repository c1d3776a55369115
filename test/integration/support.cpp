#include "integration/support.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace infralogs::itest {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

pid_t spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env,
            const std::string& out_path, const std::string& err_path) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&fa, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) env_strings.push_back(*e);
  for (const auto& e : env) env_strings.push_back(e);
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid = -1;
  int r = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  if (r != 0) FAIL("cannot run " << argv[0] << ": " << std::strerror(r));
  return pid;
}

// Log lines parsed as JSON; a line that is not JSON (or still being written) is skipped.
std::vector<nlohmann::json> parse_ndjson_lines_safe(const std::string& text) {
  std::vector<nlohmann::json> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_discarded()) out.push_back(std::move(j));
  }
  return out;
}

}  // namespace

const std::string& infralogs_binary() {
  static const std::string path = INFRALOGS_BINARY;
  return path;
}

const std::string& make_journal_binary() {
  static const std::string path = MAKE_JOURNAL_BINARY;
  return path;
}

CommandResult run(const std::vector<std::string>& argv, const std::vector<std::string>& env) {
  TempDir tmp;
  std::string out = tmp.path() + "/out", err = tmp.path() + "/err";
  pid_t pid = spawn(argv, env, out, err);
  int status = 0;
  waitpid(pid, &status, 0);
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_file(out);
  r.err = read_file(err);
  return r;
}

TempDir::TempDir() {
  char tmpl[] = "/tmp/infralogs-itest-XXXXXX";
  char* p = mkdtemp(tmpl);
  if (!p) FAIL("mkdtemp: " << std::strerror(errno));
  path_ = p;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string TempDir::write(const std::string& name, const std::string& content) const {
  std::string p = path_ + "/" + name;
  std::ofstream(p, std::ios::binary) << content;
  return p;
}

void generate_journal(const std::string& output, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {make_journal_binary(), "-o", output};
  argv.insert(argv.end(), args.begin(), args.end());
  CommandResult r = run(argv);
  INFO("make-journal stderr: " << r.err);
  REQUIRE(r.exit_code == 0);
}

std::vector<nlohmann::json> parse_ndjson(const std::string& body) {
  std::vector<nlohmann::json> out;
  size_t start = 0;
  while (start < body.size()) {
    size_t nl = body.find('\n', start);
    if (nl == std::string::npos) nl = body.size();
    if (nl > start) out.push_back(nlohmann::json::parse(body.substr(start, nl - start)));
    start = nl + 1;
  }
  return out;
}

std::vector<nlohmann::json> journalctl_json(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"journalctl"};
  argv.insert(argv.end(), args.begin(), args.end());
  for (const char* a : {"-o", "json", "--all", "-q", "--no-pager"}) argv.push_back(a);
  CommandResult r = run(argv, {"TZ=UTC", "SYSTEMD_COLORS=0"});
  INFO("journalctl stderr: " << r.err);
  // journalctl exits 1 when a filter matches nothing ("No entries" is not printed with -q).
  REQUIRE((r.exit_code == 0 || r.out.empty()));
  return parse_ndjson(r.out);
}

BackgroundProcess::BackgroundProcess(const std::vector<std::string>& argv) {
  pid_ = spawn(argv, {}, dir_.path() + "/out", dir_.path() + "/log");
}

BackgroundProcess::~BackgroundProcess() {
  if (status_ == -2 && pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

void BackgroundProcess::signal(int sig) {
  if (status_ == -2) kill(pid_, sig);
}

int BackgroundProcess::wait() {
  if (status_ != -2) return status_;
  int st = 0;
  waitpid(pid_, &st, 0);
  status_ = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return status_;
}

std::optional<int> BackgroundProcess::poll() {
  if (status_ != -2) return status_;
  int st = 0;
  if (waitpid(pid_, &st, WNOHANG) != pid_) return std::nullopt;
  status_ = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return status_;
}

std::string BackgroundProcess::log() const {
  return read_file(dir_.path() + "/log") + read_file(dir_.path() + "/out");
}

AgentProcess::AgentProcess(const std::vector<std::string>& args, const std::string& mode) {
  log_path_ = dir_.path() + "/agent.log";
  std::vector<std::string> argv = {infralogs_binary(), mode, "--listen", "127.0.0.1:0"};
  argv.insert(argv.end(), args.begin(), args.end());
  pid_ = spawn(argv, {}, dir_.path() + "/agent.out", log_path_);
  // Generous: on a loaded 2-core machine a start can take seconds.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    for (const auto& line : parse_ndjson_lines_safe(read_file(log_path_))) {
      if (line.value("msg", "") == "listening") {
        port_ = line.value("port", 0);
        return;
      }
    }
    int status;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      FAIL(mode << " exited at start: " << read_file(log_path_));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  // The destructor does not run for a constructor that fails: stop the child here.
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
  FAIL(mode << " did not start listening: " << read_file(log_path_));
}

AgentProcess::~AgentProcess() {
  if (pid_ > 0) stop();
}

std::string AgentProcess::log() const { return read_file(log_path_); }

int AgentProcess::stop() {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace infralogs::itest

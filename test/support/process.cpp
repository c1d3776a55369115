#include "support/process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <thread>

#include "support/files.h"

extern char** environ;

namespace infralogs::test {
namespace {

// The parent's environment with `extra` ("NAME=value") set: getenv() takes the first match,
// so an inherited NAME must go rather than be shadowed.
std::vector<std::string> child_environment(const std::vector<std::string>& extra) {
  auto name_of = [](const std::string& entry) { return entry.substr(0, entry.find('=')); };
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    std::string entry = *e;
    bool replaced = false;
    for (const auto& x : extra) replaced = replaced || name_of(x) == name_of(entry);
    if (!replaced) env.push_back(std::move(entry));
  }
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

pid_t spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env,
            const std::string& out_path, const std::string& err_path) {
  REQUIRE(!argv.empty());
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&fa, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> env_strings = child_environment(env);
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid = -1;
  int r = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  if (r != 0) FAIL("cannot run " << argv[0] << ": " << std::strerror(r));
  return pid;
}

}  // namespace

CommandResult run(const std::vector<std::string>& argv, const std::vector<std::string>& env) {
  BackgroundProcess p(argv, env);
  CommandResult r;
  r.exit_code = p.wait();
  r.signal = p.term_signal();
  r.out = p.out();
  r.err = p.err();
  return r;
}

BackgroundProcess::BackgroundProcess(const std::vector<std::string>& argv,
                                     const std::vector<std::string>& env) {
  pid_ = spawn(argv, env, dir_.file("out"), dir_.file("err"));
}

BackgroundProcess::~BackgroundProcess() {
  if (!status_ && pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

void BackgroundProcess::record(int wait_status) {
  if (WIFEXITED(wait_status)) {
    status_ = WEXITSTATUS(wait_status);
  } else {
    status_ = -1;
    term_signal_ = WIFSIGNALED(wait_status) ? WTERMSIG(wait_status) : 0;
  }
}

void BackgroundProcess::signal(int sig) {
  if (!status_) kill(pid_, sig);
}

int BackgroundProcess::wait() {
  if (status_) return *status_;
  int st = 0;
  while (waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
  }
  record(st);
  return *status_;
}

std::optional<int> BackgroundProcess::poll() {
  if (status_) return status_;
  int st = 0;
  if (waitpid(pid_, &st, WNOHANG) != pid_) return std::nullopt;
  record(st);
  return status_;
}

std::optional<int> BackgroundProcess::wait_for(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!poll()) {
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return status_;
}

std::string BackgroundProcess::err() const { return try_read_file(dir_.file("err")).value_or(""); }
std::string BackgroundProcess::out() const { return try_read_file(dir_.file("out")).value_or(""); }
std::string BackgroundProcess::log() const { return err() + out(); }

}  // namespace infralogs::test

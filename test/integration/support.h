#pragma once
// Helpers for integration tests: run commands, start the real agent binary, generate journals
// with the project's make-journal, ask journalctl (the oracle) what a journal holds.

#include <sys/types.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace infralogs::itest {

const std::string& infralogs_binary();
const std::string& make_journal_binary();

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs argv (argv[0] searched in PATH) with stdout and stderr captured; `env` entries
// ("NAME=value") are added to the environment.
CommandResult run(const std::vector<std::string>& argv, const std::vector<std::string>& env = {});

// A fresh directory under /tmp, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  // Writes `content` to path()/name and returns the full path.
  std::string write(const std::string& name, const std::string& content) const;

 private:
  std::string path_;
};

// Runs make-journal with `args` and -o `output`; fails the test if it fails.
void generate_journal(const std::string& output, const std::vector<std::string>& args);

// `journalctl <args> -o json --all -q`, one parsed object per entry (TZ=UTC).
std::vector<nlohmann::json> journalctl_json(const std::vector<std::string>& args);

// Parses NDJSON text into objects.
std::vector<nlohmann::json> parse_ndjson(const std::string& body);

// A process running in the background, its stdout and stderr in a log file; killed with
// SIGKILL on destruction if still running.
class BackgroundProcess {
 public:
  explicit BackgroundProcess(const std::vector<std::string>& argv);
  ~BackgroundProcess();
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  pid_t pid() const { return pid_; }
  void signal(int sig);
  // Waits for the exit; the exit status, or -1 when a signal ended it.
  int wait();
  // The exit status if it has exited, else nullopt.
  std::optional<int> poll();
  std::string log() const;

 private:
  TempDir dir_;
  pid_t pid_ = -1;
  int status_ = -2;
};

// The real `infralogs agent` (or `serve`) on 127.0.0.1 and a free port; stopped with SIGTERM
// on destruction.
class AgentProcess {
 public:
  // `args` follow `infralogs MODE --listen 127.0.0.1:0` (MODE agent or serve).
  explicit AgentProcess(const std::vector<std::string>& args, const std::string& mode = "agent");
  ~AgentProcess();
  AgentProcess(const AgentProcess&) = delete;
  AgentProcess& operator=(const AgentProcess&) = delete;

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  // What the agent logged so far.
  std::string log() const;
  // Sends SIGTERM and waits; returns the exit status (or -1 if killed by a signal).
  int stop();

 private:
  TempDir dir_;
  std::string log_path_;
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace infralogs::itest

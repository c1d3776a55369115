#pragma once
// Child processes for tests: run a command to completion, or keep one running in the
// background. Both search argv[0] in PATH, give the child /dev/null as stdin and capture its
// stdout and stderr in files. Not thread-safe; each object is owned by one test.

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "support/temp_dir.h"

namespace infralogs::test {

struct CommandResult {
  int exit_code = -1;  // the exit status, or -1 when a signal ended the process
  int signal = 0;      // the signal that ended it, 0 if it exited
  std::string out;     // stdout
  std::string err;     // stderr
};

// Runs `argv` to completion. `env` entries ("NAME=value") are set in the child's environment,
// replacing inherited ones of the same name. Fails the test if argv[0] cannot be started.
CommandResult run(const std::vector<std::string>& argv, const std::vector<std::string>& env = {});

// A process running in the background. It is killed with SIGKILL (and reaped) on destruction
// if it is still running, so a failing test leaves nothing behind.
class BackgroundProcess {
 public:
  // Starts `argv` as run() does; fails the test if it cannot be started.
  explicit BackgroundProcess(const std::vector<std::string>& argv,
                             const std::vector<std::string>& env = {});
  ~BackgroundProcess();
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  pid_t pid() const { return pid_; }
  // Sends `sig`, unless the process has already been reaped.
  void signal(int sig);
  // Waits for the exit: the exit status, or -1 when a signal ended it.
  int wait();
  // As wait(), but gives up after `timeout` and returns nullopt (the process keeps running).
  std::optional<int> wait_for(std::chrono::milliseconds timeout);
  // The exit status (as wait()) if it has exited, else nullopt; never blocks.
  std::optional<int> poll();
  // The signal that ended it, 0 if it exited or is still running.
  int term_signal() const { return term_signal_; }

  // What it wrote so far to stderr, to stdout, and both (stderr first).
  std::string err() const;
  std::string out() const;
  std::string log() const;

 private:
  void record(int wait_status);

  TempDir dir_;
  pid_t pid_ = -1;
  std::optional<int> status_;
  int term_signal_ = 0;
};

}  // namespace infralogs::test

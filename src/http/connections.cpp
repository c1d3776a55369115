#include "connections.h"

#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>

#include <algorithm>
#include <utility>

namespace infralogs::http {
namespace {

// Starts `fn` on a thread with SIGTERM, SIGINT, SIGHUP and SIGQUIT blocked: the mode's
// SignalWatcher blocks them only in threads started after it, and the table's watchdog starts
// earlier (Server::create), so without this a SIGTERM could be delivered to it and kill the
// process instead of stopping it. Synchronous signals (SIGBUS for the journal) stay unblocked.
std::thread start_without_stop_signals(std::function<void()> fn) {
  sigset_t block, old;
  sigemptyset(&block);
  for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGQUIT}) sigaddset(&block, sig);
  pthread_sigmask(SIG_BLOCK, &block, &old);
  std::thread t(std::move(fn));
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  return t;
}

}  // namespace

ConnectionTable::ConnectionTable(const ConnectionLimits& limits)
    : limits_(limits), watchdog_(start_without_stop_signals([this] { watch(); })) {}

ConnectionTable::~ConnectionTable() {
  {
    MutexLock lock(mutex_);
    quit_ = true;
  }
  wake_.notify_all();
  watchdog_.join();
}

uint64_t ConnectionTable::add(socket_t sock) {
  MutexLock lock(mutex_);
  auto now = Clock::now();
  if (waiting_ > 0) --waiting_;
  uint64_t id = next_id_++;
  Entry& e = entries_[id];
  e.sock = sock;
  e.phase = Phase::kHead;
  e.since = now;
  e.deadline = now + limits_.header_timeout;
  if (stopping_) shut_locked(e);
  enforce_limit_locked();
  ++changes_;
  wake_.notify_all();
  return id;
}

void ConnectionTable::idle(uint64_t id) {
  MutexLock lock(mutex_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  auto now = Clock::now();
  it->second.phase = Phase::kIdle;
  it->second.since = now;
  it->second.deadline = now + limits_.idle_timeout;
  if (stopping_) shut_locked(it->second);
  enforce_limit_locked();
  ++changes_;
  wake_.notify_all();
}

void ConnectionTable::head(uint64_t id, Clock::time_point start) {
  MutexLock lock(mutex_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  it->second.phase = Phase::kHead;
  it->second.since = start;
  it->second.deadline = start + limits_.header_timeout;
  if (stopping_) shut_locked(it->second);
  enforce_limit_locked();
  ++changes_;
  wake_.notify_all();
}

void ConnectionTable::handling(uint64_t id) {
  MutexLock lock(mutex_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  it->second.phase = Phase::kHandling;
  it->second.since = Clock::now();
  it->second.deadline = stopping_ ? grace_end_ : Clock::time_point::max();
}

void ConnectionTable::remove(uint64_t id) {
  MutexLock lock(mutex_);
  entries_.erase(id);
}

void ConnectionTable::accepted() {
  MutexLock lock(mutex_);
  ++waiting_;
  enforce_limit_locked();
}

void ConnectionTable::stop() {
  MutexLock lock(mutex_);
  if (stopping_) return;
  stopping_ = true;
  grace_end_ = Clock::now() + limits_.stop_grace;
  for (auto& [id, e] : entries_) {
    if (e.phase == Phase::kHandling) {
      e.deadline = grace_end_;
    } else {
      shut_locked(e);
    }
  }
  ++changes_;
  wake_.notify_all();
}

size_t ConnectionTable::size() const {
  MutexLock lock(mutex_);
  return entries_.size();
}

// shutdown(2), not close(2): the thread serving the connection still owns the descriptor and
// closes it after remove(), so the number can never be reused under it. Its blocked select()
// or recv() returns at once and httplib ends the connection.
void ConnectionTable::shut_locked(Entry& e) {
  mutex_.assert_held();
  if (e.shut) return;
  e.shut = true;
  ::shutdown(e.sock, SHUT_RDWR);
}

// Connections being shut down are leaving: they do not count.
void ConnectionTable::enforce_limit_locked() {
  mutex_.assert_held();
  size_t open = waiting_;
  for (auto& [id, e] : entries_) open += e.shut ? 0 : 1;
  while (open > limits_.max_connections && evict_locked()) --open;
}

bool ConnectionTable::evict_locked() {
  mutex_.assert_held();
  Entry* oldest = nullptr;
  for (auto& [id, e] : entries_) {
    if (e.shut || e.phase == Phase::kHandling) continue;
    // Idle connections go first: their clients reconnect when they need to.
    bool better = !oldest || (e.phase == Phase::kIdle && oldest->phase != Phase::kIdle) ||
                  (e.phase == oldest->phase && e.since < oldest->since);
    if (better) oldest = &e;
  }
  if (!oldest) return false;
  shut_locked(*oldest);
  return true;
}

void ConnectionTable::watch() {
  MutexLock lock(mutex_);
  while (!quit_) {
    auto now = Clock::now();
    auto next = Clock::time_point::max();
    for (auto& [id, e] : entries_) {
      if (e.shut) continue;
      if (e.deadline <= now) {
        shut_locked(e);
      } else if (e.deadline < next) {
        next = e.deadline;
      }
    }
    // Woken by every change of phase, so `next` is never later than it should be.
    auto wait = next == Clock::time_point::max()
                    ? std::chrono::steady_clock::duration(std::chrono::seconds(60))
                    : next - now;
    uint64_t seen = changes_;
    wake_.wait_for(mutex_, wait, [this, seen] {
      mutex_.assert_held();
      return quit_ || changes_ != seen;
    });
  }
}

ConnectionThreads::ConnectionThreads(size_t min_threads, size_t max_threads,
                                     std::function<void()> on_enqueue)
    : max_threads_(std::max(min_threads, max_threads)), on_enqueue_(std::move(on_enqueue)) {
  MutexLock lock(mutex_);
  for (size_t i = 0; i < min_threads; ++i) start_thread_locked();
}

ConnectionThreads::~ConnectionThreads() { shutdown(); }

void ConnectionThreads::enqueue(std::function<void()> fn) {
  // Counted before a thread can run the job and add() it.
  if (on_enqueue_) on_enqueue_();
  {
    MutexLock lock(mutex_);
    jobs_.push_back(std::move(fn));
    if (idle_ < jobs_.size() && threads_.size() < max_threads_) start_thread_locked();
  }
  cond_.notify_one();
}

void ConnectionThreads::shutdown() {
  std::vector<std::thread> threads;
  {
    MutexLock lock(mutex_);
    shutdown_ = true;
    threads.swap(threads_);
  }
  cond_.notify_all();
  for (auto& t : threads) t.join();
}

void ConnectionThreads::start_thread_locked() {
  mutex_.assert_held();
  ++idle_;
  threads_.push_back(start_without_stop_signals([this] { run(); }));
}

void ConnectionThreads::run() {
  for (;;) {
    std::function<void()> fn;
    {
      MutexLock lock(mutex_);
      cond_.wait(mutex_, [this] {
        mutex_.assert_held();
        return !jobs_.empty() || shutdown_;
      });
      if (jobs_.empty()) return;
      fn = std::move(jobs_.front());
      jobs_.pop_front();
      --idle_;
    }
    fn();
    MutexLock lock(mutex_);
    ++idle_;
  }
}

}  // namespace infralogs::http

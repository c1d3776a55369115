#pragma once
// Private to http::Server: the connections it has accepted, what each is doing, and the deadlines
// that keep slow or idle clients from holding its threads.
//
// httplib gives each accepted connection a thread for its whole life and bounds only each single
// read (read_timeout), so a client sending one header byte every few seconds holds a thread
// forever and a few of them deny service. Connections therefore get a thread each (up to
// `max_connections`, see ConnectionThreads) and this table watches them: a watchdog thread shuts
// down (shutdown(2), which wakes the blocked read or select) a connection whose request head (and
// body, for the methods that have one) has not arrived within `header_timeout` of its start, or
// which stays idle between requests past `idle_timeout`; when the table is full it closes the
// oldest connection that is idle or still sending its head to make room; on stop it closes idle and
// head-sending connections at once and the rest after `stop_grace`.

#include <httplib.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <thread>
#include <vector>

#include "infralogs/core/mutex.h"

namespace infralogs::http {

struct ConnectionLimits {
  size_t max_connections = 256;                     // open at once; a new one evicts past it
  std::chrono::milliseconds header_timeout{10000};  // from the start of a request to its blank line
  std::chrono::milliseconds idle_timeout{6000};     // between requests on a kept-alive connection
  std::chrono::milliseconds stop_grace{2000};       // for requests being handled when stop() runs
};

// Thread-safe.
class ConnectionTable {
 public:
  using Clock = std::chrono::steady_clock;
  explicit ConnectionTable(const ConnectionLimits& limits);
  ~ConnectionTable();  // stops the watchdog
  ConnectionTable(const ConnectionTable&) = delete;
  ConnectionTable& operator=(const ConnectionTable&) = delete;

  // A new connection, sending its first request head from now. Returns its id. When the table
  // then holds more than max_connections, the oldest idle or head-sending one is shut down.
  // After stop(), the connection is shut down at once.
  uint64_t add(socket_t sock);
  // Between requests: shut down after idle_timeout (at once after stop()).
  void idle(uint64_t id);
  // A request head is arriving: shut down header_timeout after `start`.
  void head(uint64_t id, Clock::time_point start);
  // The head has arrived and the request has no body to read: it is being handled, no deadline
  // (stop_grace after stop()). A request with a body stays in the head phase while it arrives.
  void handling(uint64_t id);
  // Before the socket is closed: the table never touches it again.
  void remove(uint64_t id);

  // A connection was accepted and waits for its thread to add() it: it counts against
  // max_connections from now, so past it the oldest idle connection, else the oldest
  // head-sending one, is shut down now or as soon as one of those exists.
  void accepted();

  // Idle and head-sending connections are shut down now, the others after stop_grace.
  void stop();

  size_t size() const;

 private:
  enum class Phase { kHead, kIdle, kHandling };
  struct Entry {
    socket_t sock;
    Phase phase;
    Clock::time_point since;     // when the phase began (eviction picks the oldest)
    Clock::time_point deadline;  // Clock::time_point::max(): none
    bool shut = false;
  };

  void watch();
  void shut_locked(Entry& e) REQUIRES(mutex_);
  bool evict_locked() REQUIRES(mutex_);
  void enforce_limit_locked() REQUIRES(mutex_);

  const ConnectionLimits limits_;
  mutable Mutex mutex_;
  CondVar wake_;
  std::map<uint64_t, Entry> entries_ GUARDED_BY(mutex_);
  uint64_t next_id_ GUARDED_BY(mutex_) = 1;
  size_t waiting_ GUARDED_BY(mutex_) = 0;  // accepted(), not yet add()ed
  bool stopping_ GUARDED_BY(mutex_) = false;
  Clock::time_point grace_end_ GUARDED_BY(mutex_) = Clock::time_point::max();
  bool quit_ GUARDED_BY(mutex_) = false;
  uint64_t changes_ GUARDED_BY(mutex_) = 0;  // counts wake-ups of the watchdog
  std::thread watchdog_;
};

// httplib's TaskQueue with a thread per job: `min_threads` started up front, more started when
// every thread is busy, up to `max_threads`; past that, a job waits for a free thread.
// `on_enqueue` runs for every job (on the enqueuing thread, without the queue's lock): the
// server counts the connection there (ConnectionTable::accepted). Threads stay until
// shutdown(), which runs the jobs already queued and joins them all.
class ConnectionThreads : public httplib::TaskQueue {
 public:
  ConnectionThreads(size_t min_threads, size_t max_threads, std::function<void()> on_enqueue);
  ~ConnectionThreads() override;

  void enqueue(std::function<void()> fn) override;
  void shutdown() override;

 private:
  void start_thread_locked() REQUIRES(mutex_);
  void run();

  const size_t max_threads_;
  const std::function<void()> on_enqueue_;
  Mutex mutex_;
  CondVar cond_;
  std::deque<std::function<void()>> jobs_ GUARDED_BY(mutex_);
  std::vector<std::thread> threads_ GUARDED_BY(mutex_);
  size_t idle_ GUARDED_BY(mutex_) = 0;
  bool shutdown_ GUARDED_BY(mutex_) = false;
};

}  // namespace infralogs::http

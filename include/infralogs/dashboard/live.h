#pragma once
// LiveHub: the dashboard's live view (GET /api/live, docs/dashboard-api.md). One poller reads
// what reached the replica since its last look and keeps the newest entries in a bounded
// buffer; every open stream filters that buffer. The database cost is therefore the poller's
// (a checkpoints read and, when a host moved, one indexed range read per poll), whatever the
// number of streams.
//
// How new entries are found. The collector moves a host's checkpoint (its entry count and last
// entry) in the transaction that stores the host's entries, in journal order. The poller reads
// every checkpoint; for each host whose count changed it reads that host's entries after the
// last one it saw, by (host_id, realtime) on ix_entries_host_time. Per host the entries come
// in order and each once; a host whose journal clock steps back (an entry older than one
// already stored) has those entries stored but not streamed.
//
// Event ids. Each buffered entry has a sequence number; a stream's position is the last one it
// was given, as the event id "EPOCH-SEQ" (EPOCH: when this hub started, µs). A stream opened
// with the id of this hub's epoch whose entry is still buffered continues right after it:
// nothing lost, nothing twice. Another epoch (serve restarted) or an entry gone from the
// buffer starts from now with a reset (Batch::reset) so the client can say entries may be
// missing. A stream without an id starts with the newest `backlog` matching entries (a search
// on the replica), then the live ones, without duplicates between the two.
//
// Thread-safety: thread-safe. Streams are used by one thread each (their HTTP handler).
// Lifetime: the reader must outlive the hub; streams must not outlive it.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "infralogs/core/mutex.h"
#include "infralogs/core/status.h"
#include "infralogs/storage/log_reader.h"

namespace infralogs::dashboard {

struct LiveOptions {
  std::chrono::milliseconds poll_interval{250};  // between the poller's reads of the replica
  size_t buffer_entries = 10000;                 // newest entries kept, for streams and resumes
  size_t buffer_bytes = 32 << 20;                // ...and at most about this many message bytes
  size_t max_streams = 64;                       // open at once; open() refuses more
  size_t backlog = 50;                           // entries a stream without an id starts with
  size_t poll_limit = 5000;     // entries read per poll; more are read by the next at once
  size_t message_bytes = 4096;  // a longer message is cut (the entry page has it whole)
  std::chrono::seconds new_host_lookback{60};  // a host that appears after the first poll:
                                               // its entries newer than this before now
  std::function<uint64_t()> now_usec;          // the clock; defaults to the system clock
};

// What a stream shows: every field optional, all given must match.
struct LiveFilter {
  std::optional<std::string> host;  // exact host name
  std::optional<std::string> unit;  // exact _SYSTEMD_UNIT
  std::optional<int> max_priority;  // PRIORITY at most this; entries without one do not match

  bool matches(const storage::SearchRow& row) const;
};

struct LiveEntry {
  uint64_t seq = 0;  // 0: from the backlog (before the stream's first live entry)
  storage::SearchRow row;
  bool truncated = false;  // the message was cut at LiveOptions::message_bytes
};

// How far behind live the replica is, from the poller's last read (the replica's clock).
struct LiveLag {
  bool replica_ok = false;                   // the last poll succeeded
  std::optional<double> last_write_age_s;    // since the newest collector write the replica
                                             // applied: the replication delay while the collector
                                             // writes (it moves a checkpoint every commit and its
                                             // heartbeat every round), an upper bound always
  std::optional<double> newest_entry_age_s;  // since the newest entry stored (of the filter's
                                             // host, when it has one)
  uint64_t polled_usec = 0;                  // when the last successful poll answered (0: none)
};

// The event JSON of an entry: the /api/search row (id, host, time, priority, unit, identifier,
// pid, message) plus "truncated".
nlohmann::json live_entry_json(const LiveEntry& e);
nlohmann::json live_lag_json(const LiveLag& lag);

class LiveHub {
 public:
  LiveHub(storage::LogReader& reader, LiveOptions options);
  ~LiveHub();  // stop()
  LiveHub(const LiveHub&) = delete;
  LiveHub& operator=(const LiveHub&) = delete;

  // One read of the replica: new entries into the buffer, waking the streams. Returns the
  // reader's failure (the buffer is unchanged then); *more (optional) is set when poll_limit
  // stopped it short. The poller thread calls it; tests call it directly.
  Status poll_once(bool* more = nullptr);
  // Starts the poller thread: poll_once every poll_interval (at once while *more). A failure
  // is logged once until a poll succeeds again.
  void start();
  // Stops the poller and ends every stream's wait (their next() says stopped). Idempotent; any
  // thread (a signal watcher's).
  void stop();

  struct Batch {
    std::vector<LiveEntry> entries;  // oldest first
    bool stopped = false;            // the hub stopped: end the stream
    std::string reset;               // non-empty: entries may be missing before these (why)
    Status error;                    // the backlog could not be read (the stream goes on)
  };

  class Stream {
   public:
    ~Stream();  // gives the slot back
    Stream(const Stream&) = delete;
    Stream& operator=(const Stream&) = delete;

    // The next entries for this stream, waiting up to `wait` for one. The first call gives
    // the backlog (or the reset) and whatever is buffered after the position. Empty entries
    // and not stopped: nothing new in `wait`.
    Batch next(std::chrono::milliseconds wait);
    // The event id of an entry next() gave: "EPOCH-SEQ"; a backlog entry (seq 0) has the id of
    // the position the live entries continue from.
    std::string event_id(const LiveEntry& e) const;
    // The lag for this stream's filter.
    LiveLag lag() const;

   private:
    friend class LiveHub;
    Stream(LiveHub& hub, LiveFilter filter) : hub_(hub), filter_(std::move(filter)) {}

    LiveHub& hub_;
    const LiveFilter filter_;
    bool started_ = false;
    uint64_t position_ = 0;          // the last seq given
    uint64_t backlog_position_ = 0;  // position_ when the backlog was read
    std::string reset_;              // what the first next() reports
    bool want_backlog_ = false;
    std::set<std::string> backlog_keys_;  // sent from the backlog: skipped when buffered
  };

  // A stream for `filter`, continuing after `last_event_id` when it is one of this hub's ids
  // still buffered (else with a reset), or starting with the backlog when nullopt. nullptr
  // when max_streams are open.
  std::unique_ptr<Stream> open(LiveFilter filter, const std::optional<std::string>& last_event_id);

  size_t open_streams() const;
  uint64_t epoch() const { return epoch_; }

 private:
  struct Tracked {
    std::string host;
    uint64_t entries = 0;          // the checkpoint's count when last caught up
    uint64_t last_entry_usec = 0;  // the checkpoint's last entry
    storage::HostPosition position;
  };

  uint64_t now() const;
  LiveLag lag_for(const LiveFilter& filter) const;
  void run(std::stop_token stop);

  storage::LogReader& reader_;
  const LiveOptions options_;
  const uint64_t epoch_;

  mutable Mutex mu_;
  CondVar changed_;  // an entry was buffered, or stop
  std::deque<LiveEntry> buffer_ GUARDED_BY(mu_);
  size_t buffer_bytes_ GUARDED_BY(mu_) = 0;
  uint64_t last_seq_ GUARDED_BY(mu_) = 0;
  bool stopped_ GUARDED_BY(mu_) = false;
  size_t streams_ GUARDED_BY(mu_) = 0;
  LiveLag lag_ GUARDED_BY(mu_);
  std::map<std::string, uint64_t> newest_by_host_ GUARDED_BY(mu_);  // last entry, by host name
  uint64_t replica_now_usec_ GUARDED_BY(mu_) = 0;  // the replica's clock at the last poll

  // The poller's own state: only poll_once touches it, one call at a time.
  Mutex poll_mu_;
  bool first_poll_ GUARDED_BY(poll_mu_) = true;
  std::map<uint32_t, Tracked> tracked_ GUARDED_BY(poll_mu_);

  std::jthread poller_;
};

}  // namespace infralogs::dashboard

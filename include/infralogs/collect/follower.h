#pragma once
// Follower: `collect --follow`. One follow stream per agent (wire::AgentClient::follow), its
// entries committed in small transactions (every `commit_entries` entries or `commit_bytes`,
// or `commit_delay` after the first uncommitted one, whichever comes first) with the collector's
// exactly-once cursor protocol: each transaction stores its entries and moves the host's cursor
// from the one it was read after (LogStore::append). Agents that cannot follow (an older agent, a
// gatewayd-protocol one) are polled every `poll_interval` through Collector instead.
//
// Per agent two threads: the stream reader, which hands entries over through a bounded queue
// (a full queue blocks it, and so holds the agent's stream back), and the committer, which also
// watches the stream's heartbeats. Bounded by the inventory: 2 threads per agent. Memory per
// agent: at most `queue_bytes` of entries received and not yet committed (follow_entry_bytes),
// or one entry when that alone is larger.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "infralogs/collect/collector.h"
#include "infralogs/core/mutex.h"
#include "infralogs/core/status.h"
#include "infralogs/core/thread_annotations.h"
#include "infralogs/storage/log_store.h"
#include "infralogs/wire/agent_client.h"

namespace infralogs::collect {

// One agent's state, for logs and metrics. kFollowing: a stream is open; kPolling: the agent
// cannot follow; kBackoff: waiting to reconnect after an error.
enum class StreamState { kConnecting, kFollowing, kPolling, kBackoff };
const char* stream_state_name(StreamState s);

struct FollowStatus {
  std::string name;
  StreamState state = StreamState::kConnecting;
  uint64_t entries = 0;     // committed since start
  uint64_t commits = 0;     // transactions
  uint64_t reconnects = 0;  // streams opened after the first
  uint64_t gaps = 0;
  uint64_t last_realtime_usec = 0;  // newest committed entry's realtime (0: none yet)
  std::string last_error;           // the last stream or store error ("" none)
};

// The bytes an entry counts for in FollowerOptions::queue_bytes and commit_bytes: its strings
// and the struct itself, about what it holds in memory.
size_t follow_entry_bytes(const LogEntry& e);

struct FollowerOptions {
  size_t commit_entries = 1000;                 // a transaction holds at most this many entries
  std::chrono::milliseconds commit_delay{200};  // ...and waits at most this long for more
  size_t queue_entries = 4000;                  // entries queued for the committer, per agent
  // A transaction holds at most this many bytes (follow_entry_bytes), unless it is one entry:
  // a quarter of queue_bytes, so the reader keeps receiving while one is stored.
  size_t commit_bytes = 8u << 20;
  // Entries received and not yet committed (the queue and the transaction being stored), per
  // agent: the reader waits (holding the stream back) before going past it. The polling path's
  // page bound (HttpAgentClientOptions::max_page_bytes). One entry larger than this alone is
  // still received, when nothing else is pending.
  size_t queue_bytes = 32u << 20;
  std::chrono::milliseconds backoff_min{1000};   // reconnect / store retry wait; doubles...
  std::chrono::milliseconds backoff_max{30000};  // ...up to this; reset after a success
  std::chrono::seconds wait{300};                // follow=true&wait=: reconnect after this long
  // A stream silent for 3 x its heartbeat is dead; without an Infralogs-Follow header, this.
  std::chrono::seconds default_heartbeat{10};
  std::chrono::seconds poll_interval{60};            // agents that cannot follow
  std::optional<uint64_t> first_contact_since_usec;  // as CollectorOptions
  std::string collector;                             // host:pid, for LogStore::heartbeat
  std::chrono::seconds report_interval{10};          // heartbeat and `report` this often
  // Called every report_interval from run()'s thread (metrics, say).
  std::function<void(const std::vector<FollowStatus>&)> report;
};

// Holds `client`, `store` and `poller` by reference: all must outlive it.
class Follower {
 public:
  Follower(wire::AgentClient& client, storage::LogStore& store, Collector& poller,
           FollowerOptions options);
  Follower(const Follower&) = delete;
  Follower& operator=(const Follower&) = delete;

  // Follows `agents` until `stop` is requested; then commits what was received and returns.
  // A failing agent never stops the others: it is retried with backoff for ever.
  void run(const std::vector<wire::AgentSpec>& agents, std::stop_token stop);

  // A snapshot of every agent's state (thread-safe; any thread, while run() runs or after).
  std::vector<FollowStatus> status() const;

 private:
  struct Agent;
  void follow_agent(Agent& a, std::stop_token stop);
  void poll_agent(Agent& a, std::stop_token stop);
  void update(const std::string& name, const std::function<void(FollowStatus&)>& f);

  wire::AgentClient& client_;
  storage::LogStore& store_;
  Collector& poller_;
  FollowerOptions options_;
  mutable Mutex mutex_;
  std::map<std::string, FollowStatus> status_ GUARDED_BY(mutex_);
};

// Prometheus text for the follower's agents (infralogs_collect_follow_*).
std::string render_follow_metrics(const std::vector<FollowStatus>& agents, uint64_t now_usec);

}  // namespace infralogs::collect

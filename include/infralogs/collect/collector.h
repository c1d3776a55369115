#pragma once
// Collector: one round over every agent (the loop's logic, testable with fakes). For each
// agent, from its stored cursor: fetch a page, store it with the new cursor in one
// transaction, repeat until the agent has nothing more. Agents run concurrently, at most
// `parallel` at once; one failing agent never stops the others.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "infralogs/core/status.h"
#include "infralogs/storage/log_store.h"
#include "infralogs/wire/agent_client.h"

namespace infralogs::collect {

struct CollectorOptions {
  size_t parallel = 4;           // agents polled at once
  size_t batch_entries = 10000;  // entries per page and per transaction
  // Tries per fetch or store before the agent is failed this round. A failed fetch waits for
  // its retry without holding a worker: the other agents go on meanwhile.
  int attempts = 5;
  std::chrono::milliseconds backoff{500};  // wait before the second try; doubles after each
  // First contact with an agent (no stored cursor): start at this realtime; nullopt takes the
  // agent's whole journal.
  std::optional<uint64_t> first_contact_since_usec;
};

struct AgentReport {
  std::string name;
  std::string url;       // the agent's URL (AgentSpec::url), for the messages
  Status status;         // ok, or why the agent failed this round
  uint64_t entries = 0;  // stored this round
  uint64_t bytes = 0;    // received this round
  uint64_t batches = 0;
  uint64_t gaps = 0;   // gaps recorded this round
  uint64_t races = 0;  // pages another collector stored first (not stored twice)
  double seconds = 0;
  bool caught_up = false;           // reached the agent's tail
  uint64_t last_realtime_usec = 0;  // newest entry stored (0: none this round)
  // The agent said it has more (Infralogs-More: true) but sent no entry: the cursor cannot
  // move. Not caught up; StallTracker counts such rounds.
  bool more_without_entries = false;
  // Set by StallTracker::observe (stall.h), 0/false without it: seconds since a round last
  // moved this agent's cursor or found it at the tail, and whether it is stalled.
  double progress_age_seconds = 0;
  bool stalled = false;
};

// Called after each stored batch (from the agent's thread).
using ProgressFn = std::function<void(const AgentReport&)>;

// Holds `client` and `store` by reference: both must outlive it. Not copyable (a copy would
// share them silently). poll_once may run from several threads at once (the store and client
// are thread-safe by their contracts); progress is then called from all of them.
class Collector {
 public:
  Collector(wire::AgentClient& client, storage::LogStore& store, CollectorOptions options,
            ProgressFn progress = {});
  Collector(const Collector&) = delete;
  Collector& operator=(const Collector&) = delete;

  // One round over `agents`; returns a report per agent, in the same order. Returns early
  // (the agents not finished report kUnavailable "stopped") when `stop` is requested; a batch
  // being stored is committed or rolled back first, never left half-written.
  std::vector<AgentReport> poll_once(const std::vector<wire::AgentSpec>& agents,
                                     std::stop_token stop);
  // The same for one agent (collect --follow polls agents that cannot follow with it).
  AgentReport poll_agent(const wire::AgentSpec& agent, std::stop_token stop) {
    return poll_once({agent}, stop).front();
  }

 private:
  // One try at `agent` from its stored cursor, adding to *report (entries, bytes, seconds
  // accumulate over tries). Returns true when a fetch failed in a way a later try may fix
  // (kUnavailable): poll_once then tries again after the backoff. Store errors are retried
  // in place (the database is shared by every agent).
  bool collect_agent(const wire::AgentSpec& agent, std::stop_token stop, AgentReport* report);
  Status mark_polled(uint32_t host, std::stop_token stop, const std::string& agent);

  wire::AgentClient& client_;
  storage::LogStore& store_;
  CollectorOptions options_;
  ProgressFn progress_;
};

// Labels as a JSON object text, for the hosts table.
std::string labels_json(const wire::AgentSpec& agent);

}  // namespace infralogs::collect

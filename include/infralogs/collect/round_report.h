#pragma once
// One collect round as a value: poll_round() polls every agent (Collector::poll_once) into a
// RoundReport; record_round() logs it, records the run and the heartbeat and applies retention;
// write_round_textfile() gives it to node-exporter's textfile collector. modes/collect.cpp only
// wires these and loops over rounds.

#include <chrono>
#include <cstdint>
#include <functional>
#include <stop_token>
#include <string>
#include <vector>

#include "infralogs/collect/collector.h"
#include "infralogs/core/status.h"
#include "infralogs/storage/log_store.h"
#include "infralogs/wire/agent_client.h"

namespace infralogs::collect {

struct RoundOptions {
  // Who ran the round (host:pid), as record_run and heartbeat store it.
  std::string collector;
  // After the round, drop the day partitions wholly older than this; 0 keeps everything.
  std::chrono::days retain{0};
  // The wall clock (µs since the epoch) for the run's times, the lag and retention; defaults to
  // the system clock. Tests set it.
  std::function<uint64_t()> now_usec;
};

// What one round did. A plain value: copyable, safe to hand between threads.
struct RoundReport {
  std::vector<AgentReport> agents;  // one per agent polled, in the order given to poll_round
  uint64_t started_usec = 0;        // wall clock when polling began
  uint64_t finished_usec = 0;       // wall clock when polling ended
  double seconds = 0;               // how long polling took (steady clock)

  // True when every agent's status is ok (also when there were no agents).
  bool all_ok() const;
  // The row LogStore::record_run stores: the times, agents ok and failed, the totals of entries
  // and bytes, and "NAME: REASON\n" per failed agent as the summary.
  storage::RunRecord run_record(const std::string& collector) const;
  // "FAILED NAME (URL): REASON" per failed agent, in order: the plain summary a CronJob's log
  // shows. Empty when all_ok().
  std::vector<std::string> failed_agents() const;
};

// Polls `agents` once (Collector::poll_once) and times it. Stopping is poll_once's: the agents
// not finished report kUnavailable "stopped". Thread-safety: as poll_once.
RoundReport poll_round(Collector& collector, const std::vector<wire::AgentSpec>& agents,
                       const RoundOptions& options, std::stop_token stop);

// The round's bookkeeping, after poll_round: a log line per agent ("agent done", with the lag
// behind its newest entry) and one for the round ("round done"); the run row (record_run) and
// the heartbeat; retention when options.retain is set. Also for a stopped round. A failure here
// is logged as a warning and not returned: the entries are stored either way, and the next
// round records again.
void record_round(const RoundReport& report, storage::LogStore& store, const RoundOptions& options);

// The round's metrics in the Prometheus text format (0.0.4), the families of docs/modes.md
// "Metrics file": per agent (label agent) up, entries, bytes, gaps, caught_up, seconds and, when
// an entry was stored, last_entry_timestamp_seconds; then the run's seconds and finish time.
std::string render_round_metrics(const RoundReport& report);

// Replaces the file at `path` with render_round_metrics(report), atomically: the text goes to
// PATH.tmp in the same directory, is fsynced and renamed over `path`, and the directory is
// fsynced, so a reader sees the previous file or the new one, never a part. On any failure the
// previous file is left as it was, PATH.tmp is removed, and the Status names the call, the file
// and the reason: kPermissionDenied when the directory or file may not be written, kInternal
// otherwise. Not thread-safe for one path (two writers share PATH.tmp).
Status write_round_textfile(const RoundReport& report, const std::string& path);
// The same for any metrics text (collect --follow's).
Status write_textfile(const std::string& path, const std::string& text);

}  // namespace infralogs::collect

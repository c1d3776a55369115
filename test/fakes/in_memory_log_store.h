#pragma once
// InMemoryLogStore: a LogStore in memory for collector tests, with failure injection.
// Keeps the real store's contract: a batch, its gap and the cursor move together or not at
// all, and only from the expected cursor.

#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "infralogs/storage/log_store.h"

namespace infralogs::test {

class InMemoryLogStore : public storage::LogStore {
 public:
  std::mutex mutex;
  std::map<std::string, uint32_t> hosts;
  std::map<uint32_t, std::string> cursors;
  std::map<uint32_t, std::vector<LogEntry>> entries;
  std::vector<std::pair<uint32_t, Gap>> gaps;
  std::vector<storage::RunRecord> runs;  // record_run's rows, in order
  std::vector<std::string> heartbeats;   // heartbeat's collectors, in order
  std::vector<uint64_t> dropped_before;  // drop_partitions_before's arguments, in order
  std::deque<Status> append_failures;    // returned (in order) by the next append calls
  int appends = 0;

  Status migrate() override { return Status::ok(); }
  Status check_schema() override { return Status::ok(); }
  Result<uint32_t> host_id(const std::string& name, const std::string&) override {
    std::lock_guard<std::mutex> lock(mutex);
    auto [it, inserted] = hosts.try_emplace(name, static_cast<uint32_t>(hosts.size() + 1));
    return it->second;
  }
  Result<std::string> last_cursor(uint32_t host) override {
    std::lock_guard<std::mutex> lock(mutex);
    return cursors[host];
  }
  Status append(uint32_t host, const std::string& expected, const Batch& batch,
                const std::optional<Gap>& gap) override {
    std::lock_guard<std::mutex> lock(mutex);
    ++appends;
    if (!append_failures.empty()) {
      Status s = append_failures.front();
      append_failures.pop_front();
      return s;
    }
    if (cursors[host] != expected) return Status::aborted("cursor moved");
    auto& mine = entries[host];
    std::set<std::pair<std::string, uint64_t>> keys;
    for (const auto& e : mine) keys.insert({e.seqnum_id, e.seqnum});
    for (const auto& e : batch.entries) {
      if (!keys.insert({e.seqnum_id, e.seqnum}).second) return Status::aborted("duplicate entry");
    }
    mine.insert(mine.end(), batch.entries.begin(), batch.entries.end());
    if (gap) gaps.emplace_back(host, *gap);
    cursors[host] = batch.entries.back().cursor;
    return Status::ok();
  }
  Status record_run(const storage::RunRecord& run) override {
    std::lock_guard<std::mutex> lock(mutex);
    runs.push_back(run);
    return Status::ok();
  }
  Status heartbeat(const std::string& collector) override {
    std::lock_guard<std::mutex> lock(mutex);
    heartbeats.push_back(collector);
    return Status::ok();
  }
  Status mark_polled(uint32_t host) override {
    std::lock_guard<std::mutex> lock(mutex);
    polled.insert(host);
    return Status::ok();
  }
  std::set<uint32_t> polled;
  Result<int> drop_partitions_before(uint64_t before_usec) override {
    std::lock_guard<std::mutex> lock(mutex);
    dropped_before.push_back(before_usec);
    return 0;
  }
};

}  // namespace infralogs::test

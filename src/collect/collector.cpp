#include "infralogs/collect/collector.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "infralogs/core/log.h"
#include "infralogs/core/time.h"
#include "infralogs/wire/entry_decoder.h"

namespace infralogs::collect {
namespace {

constexpr std::string_view kComponent = "collect";

bool retryable(const Status& s) { return s.code() == StatusCode::kUnavailable; }

// Runs f until it succeeds, fails for good, attempts run out, or stop is requested.
template <typename F>
auto with_retries(const CollectorOptions& o, std::stop_token stop, const std::string& agent,
                  const char* what, F f) -> decltype(f()) {
  auto delay = o.backoff;
  for (int attempt = 1;; ++attempt) {
    auto r = f();
    Status s = r.status();
    if (s.is_ok() || !retryable(s) || attempt >= o.attempts || stop.stop_requested()) return r;
    log::warn(kComponent, "retrying",
              {{"agent", agent},
               {"step", what},
               {"attempt", attempt},
               {"wait_ms", delay.count()},
               {"error", s.message()}});
    if (!sleep_for(delay, stop)) return r;
    delay *= 2;
  }
}

// Adapts a Status-returning call to with_retries.
struct StatusResult {
  Status s;
  Status status() const { return s; }
};

// What the agent's first entry after a vanished cursor says about the entries in between.
// The cursor's seqnum ID and seqnum (s=, i=) number every entry journald wrote in a sequence,
// across file rotations: when the first entry continues the stored one's sequence at seqnum
// + 1, the file holding the stored entry was vacuumed but nothing after it was lost (a
// rotation followed by a vacuum, common with a tight SystemMaxUse). nullopt: no gap.
std::optional<Gap> gap_after(const std::string& stored, const LogEntry& first) {
  std::string id;
  uint64_t seqnum = 0;
  if (wire::parse_cursor_seqnum(stored, &id, &seqnum) && id == first.seqnum_id) {
    if (first.seqnum == seqnum + 1) return std::nullopt;
    if (first.seqnum > seqnum + 1) {
      uint64_t lost = first.seqnum - seqnum - 1;
      return Gap{stored, first.cursor, first.realtime_usec,
                 "the agent no longer has the stored cursor (journal vacuumed past it); " +
                     std::to_string(lost) + " entries (seqnum " + std::to_string(seqnum + 1) +
                     ".." + std::to_string(first.seqnum - 1) + ") are lost"};
    }
  }
  return Gap{stored, first.cursor, first.realtime_usec,
             "the agent no longer has the stored cursor (journal vacuumed or rotated past it); "
             "entries between it and first_cursor are lost"};
}

}  // namespace

std::string labels_json(const wire::AgentSpec& agent) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : agent.labels) j[k] = v;
  j["url"] = agent.url;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Collector::Collector(wire::AgentClient& client, storage::LogStore& store, CollectorOptions options,
                     ProgressFn progress)
    : client_(client), store_(store), options_(options), progress_(std::move(progress)) {}

Status Collector::mark_polled(uint32_t host, std::stop_token stop, const std::string& agent) {
  return with_retries(options_, stop, agent, "mark polled",
                      [&] { return StatusResult{store_.mark_polled(host)}; })
      .s;
}

bool Collector::collect_agent(const wire::AgentSpec& agent, std::stop_token stop,
                              AgentReport* report) {
  AgentReport& rep = *report;
  rep.name = agent.name;
  rep.url = agent.url;
  rep.caught_up = false;
  auto started = std::chrono::steady_clock::now();
  bool retry_later = false;
  auto finish = [&](Status s) {
    rep.status = std::move(s);
    rep.seconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return retry_later;
  };
  auto host = with_retries(options_, stop, agent.name, "host",
                           [&] { return store_.host_id(agent.name, labels_json(agent)); });
  if (!host) return finish(host.status());
  auto cursor =
      with_retries(options_, stop, agent.name, "cursor", [&] { return store_.last_cursor(*host); });
  if (!cursor) return finish(cursor.status());
  std::string after = *cursor;
  while (true) {
    if (stop.stop_requested()) return finish(Status::unavailable("stopped"));
    wire::FetchRequest req;
    req.after = after;
    req.limit = options_.batch_entries;
    if (after.empty()) req.since_usec = options_.first_contact_since_usec;
    // One try: a fetch that may work later is retried by poll_once after the backoff, from
    // the stored cursor, while this worker serves other agents.
    auto batch = client_.fetch(agent, req, stop);
    if (!batch) {
      retry_later = retryable(batch.status()) && !stop.stop_requested();
      return finish(batch.status());
    }
    rep.bytes += batch->wire_bytes;
    if (batch->entries.empty()) {
      // "More" with nothing in the page: the agent cannot read past the cursor (a damaged
      // journal, say). Reporting that as caught up would hide a stall while the journal grows.
      rep.more_without_entries = batch->more;
      rep.caught_up = !batch->more;
      if (batch->more) {
        log::warn(kComponent, "the agent says it has more entries but sent none",
                  {{"agent", agent.name}, {"cursor", after}});
      }
      return finish(mark_polled(*host, stop, agent.name));
    }
    std::optional<Gap> gap;
    if (!after.empty() && !batch->cursor_found) {
      gap = gap_after(after, batch->entries.front());
      if (gap) {
        log::warn(kComponent,
                  "gap: the agent no longer has the stored cursor; continuing from its oldest "
                  "entry after it",
                  {{"agent", agent.name},
                   {"last_cursor", after},
                   {"first_cursor", gap->first_cursor},
                   {"reason", gap->reason}});
      } else {
        log::info(kComponent,
                  "the stored cursor was vacuumed, but the agent's next entry continues its "
                  "sequence: nothing lost",
                  {{"agent", agent.name}, {"last_cursor", after}});
      }
    }
    // An append in flight is never interrupted (it commits or rolls back); a stop request only
    // cuts the waits between retries.
    auto stored = with_retries(options_, stop, agent.name, "store", [&] {
      return StatusResult{store_.append(*host, after, *batch, gap)};
    });
    if (stored.s.code() == StatusCode::kAborted) {
      // Another collector stored this page first: go on from the cursor it stored. Each such
      // retry means the host's cursor moved, so racing collectors always make progress; if it
      // did not move, the batch clashes with what is stored and this agent fails.
      auto c = with_retries(options_, stop, agent.name, "cursor",
                            [&] { return store_.last_cursor(*host); });
      if (!c) return finish(c.status());
      if (*c == after) return finish(stored.s);
      ++rep.races;
      after = *c;
      continue;
    }
    if (!stored.s.is_ok()) return finish(stored.s);
    if (gap) ++rep.gaps;
    after = batch->entries.back().cursor;
    rep.entries += batch->entries.size();
    rep.last_realtime_usec = batch->entries.back().realtime_usec;
    ++rep.batches;
    if (progress_) progress_(rep);
    if (!batch->more) {
      rep.caught_up = true;
      return finish(mark_polled(*host, stop, agent.name));
    }
  }
}

std::vector<AgentReport> Collector::poll_once(const std::vector<wire::AgentSpec>& agents,
                                              std::stop_token stop) {
  using Clock = std::chrono::steady_clock;
  std::vector<AgentReport> reports(agents.size());
  // Agents to run, each with its try number and the time it may run: a failed fetch puts its
  // agent back with the backoff, so the wait never holds a worker (1,000 unreachable agents
  // would otherwise take `parallel` workers for attempts x backoff each, starving the rest).
  struct Task {
    size_t index;
    int attempt;
    Clock::time_point not_before;
  };
  std::mutex mu;
  std::condition_variable_any wake;
  std::vector<Task> pending;
  size_t running = 0;
  for (size_t i = 0; i < agents.size(); ++i) pending.push_back({i, 1, Clock::time_point::min()});
  std::vector<bool> finished(agents.size(), false);

  auto run = [&](size_t i) {
    try {
      return collect_agent(agents[i], stop, &reports[i]);
    } catch (const std::exception& e) {  // one agent's bug never stops the others
      reports[i].name = agents[i].name;
      reports[i].url = agents[i].url;
      reports[i].status = Status::internal(std::string("unexpected error: ") + e.what());
      return false;
    }
  };
  auto worker = [&] {
    std::unique_lock lock(mu);
    while (!stop.stop_requested()) {
      if (pending.empty()) {
        if (running == 0) break;
        wake.wait(lock, stop, [&] { return !pending.empty() || running == 0; });
        continue;
      }
      auto next = std::min_element(
          pending.begin(), pending.end(),
          [](const Task& a, const Task& b) { return a.not_before < b.not_before; });
      if (next->not_before > Clock::now()) {
        Clock::time_point when = next->not_before;
        size_t waiting = pending.size();
        wake.wait_until(lock, stop, when,
                        [&] { return pending.size() != waiting || Clock::now() >= when; });
        continue;
      }
      Task task = *next;
      pending.erase(next);
      ++running;
      lock.unlock();
      bool again = run(task.index);
      lock.lock();
      --running;
      const Status& s = reports[task.index].status;
      if (again && task.attempt < options_.attempts) {
        auto delay = options_.backoff * (1 << std::min(task.attempt - 1, 20));
        log::warn(kComponent, "retrying",
                  {{"agent", agents[task.index].name},
                   {"step", "fetch"},
                   {"attempt", task.attempt},
                   {"wait_ms", delay.count()},
                   {"error", s.message()}});
        pending.push_back({task.index, task.attempt + 1, Clock::now() + delay});
      } else {
        finished[task.index] = true;
      }
      wake.notify_all();
    }
    wake.notify_all();
  };
  size_t n = std::max<size_t>(1, std::min(options_.parallel, agents.size()));
  std::vector<std::thread> threads;
  for (size_t t = 0; t < n; ++t) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  // Stopped: agents never run, or waiting for a retry, report it.
  for (size_t i = 0; i < agents.size(); ++i) {
    if (finished[i]) continue;
    reports[i].name = agents[i].name;
    reports[i].url = agents[i].url;
    reports[i].caught_up = false;
    reports[i].status = Status::unavailable("stopped");
  }
  return reports;
}

}  // namespace infralogs::collect

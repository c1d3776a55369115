#include "infralogs/collect/follower.h"

#include <algorithm>
#include <deque>
#include <memory>
#include <thread>

#include "infralogs/core/log.h"
#include "infralogs/core/metrics.h"
#include "infralogs/core/time.h"
#include "infralogs/wire/entry_decoder.h"

namespace infralogs::collect {
namespace {

constexpr std::string_view kComponent = "collect";
using Clock = std::chrono::steady_clock;

// The same reading of a vanished cursor as a polling round (collector.cpp): whether the first
// entry after it continues the stored one's sequence.
std::optional<Gap> follow_gap(const std::string& stored, const LogEntry& first) {
  std::string id;
  uint64_t seqnum = 0;
  if (wire::parse_cursor_seqnum(stored, &id, &seqnum) && id == first.seqnum_id &&
      first.seqnum == seqnum + 1)
    return std::nullopt;
  return Gap{stored, first.cursor, first.realtime_usec,
             "the agent no longer has the stored cursor (journal vacuumed or rotated past it); "
             "entries between it and first_cursor are lost"};
}

struct Item {
  LogEntry entry;
  size_t bytes = 0;        // follow_entry_bytes(entry)
  bool after_gap = false;  // the first entry of a response whose `after` the agent no longer had
};

size_t optional_size(const std::optional<std::string>& s) { return s ? s->size() : 0; }

}  // namespace

size_t follow_entry_bytes(const LogEntry& e) {
  return sizeof(LogEntry) + e.cursor.size() + e.seqnum_id.size() + e.boot_id.size() +
         optional_size(e.unit) + optional_size(e.identifier) + optional_size(e.comm) +
         optional_size(e.transport) + optional_size(e.message) + e.fields_json.size();
}

const char* stream_state_name(StreamState s) {
  switch (s) {
    case StreamState::kConnecting:
      return "connecting";
    case StreamState::kFollowing:
      return "following";
    case StreamState::kPolling:
      return "polling";
    case StreamState::kBackoff:
      return "backoff";
  }
  return "unknown";
}

// One agent's stream: the reader thread fills `queue`, the committer drains it.
struct Follower::Agent {
  wire::AgentSpec spec;
  Mutex mu;
  CondVar cv;
  std::deque<Item> queue GUARDED_BY(mu);
  size_t queued_bytes GUARDED_BY(mu) = 0;          // of `queue`
  size_t pending_bytes GUARDED_BY(mu) = 0;         // `queue` and the transaction being stored
  bool reader_blocked GUARDED_BY(mu) = false;      // the reader waits for room (not the agent)
  Clock::time_point first_pending GUARDED_BY(mu);  // when the oldest queued entry arrived
  Clock::time_point last_alive GUARDED_BY(mu);     // bytes last arrived on the open stream
  std::chrono::seconds heartbeat GUARDED_BY(mu){0};
  bool stream_open GUARDED_BY(mu) = false;
  bool streaming GUARDED_BY(mu) = false;      // the open stream's response has started
  bool gap_next GUARDED_BY(mu) = false;       // the next entry follows a vanished cursor
  bool cannot_follow GUARDED_BY(mu) = false;  // the reader found the agent cannot follow
  bool reader_done GUARDED_BY(mu) = false;
  std::stop_source* stream_stop GUARDED_BY(mu) = nullptr;  // the open stream's
};

Follower::Follower(wire::AgentClient& client, storage::LogStore& store, Collector& poller,
                   FollowerOptions options)
    : client_(client), store_(store), poller_(poller), options_(std::move(options)) {}

void Follower::update(const std::string& name, const std::function<void(FollowStatus&)>& f) {
  MutexLock lock(mutex_);
  FollowStatus& s = status_[name];
  s.name = name;
  f(s);
}

std::vector<FollowStatus> Follower::status() const {
  MutexLock lock(mutex_);
  std::vector<FollowStatus> out;
  for (const auto& [name, s] : status_) out.push_back(s);
  return out;
}

void Follower::poll_agent(Agent& a, std::stop_token stop) {
  update(a.spec.name, [](FollowStatus& s) { s.state = StreamState::kPolling; });
  log::info(kComponent, "agent cannot follow: polling it",
            {{"agent", a.spec.name}, {"interval_s", options_.poll_interval.count()}});
  while (!stop.stop_requested()) {
    AgentReport r = poller_.poll_agent(a.spec, stop);
    update(a.spec.name, [&](FollowStatus& s) {
      s.entries += r.entries;
      s.commits += r.batches;
      s.gaps += r.gaps;
      if (r.last_realtime_usec) s.last_realtime_usec = r.last_realtime_usec;
      s.last_error = r.status.is_ok() ? "" : r.status.message();
    });
    if (!r.status.is_ok() && !stop.stop_requested()) {
      log::warn(kComponent, "poll failed",
                {{"agent", a.spec.name}, {"url", a.spec.url}, {"error", r.status.message()}});
    }
    if (!sleep_for(options_.poll_interval, stop)) return;
  }
}

void Follower::follow_agent(Agent& a, std::stop_token stop) {
  const std::string& name = a.spec.name;
  auto backoff = options_.backoff_min;
  auto wait_backoff = [&](const char* what, const Status& s) {
    log::warn(kComponent, what,
              {{"agent", name}, {"wait_ms", backoff.count()}, {"error", s.message()}});
    bool slept = sleep_for(backoff, stop);
    backoff = std::min(backoff * 2, options_.backoff_max);
    return slept;
  };
  // The host and its stored cursor: the database may be down at start; retried for ever.
  uint32_t host = 0;
  std::string committed;
  while (true) {
    if (stop.stop_requested()) return;
    auto h = store_.host_id(name, labels_json(a.spec));
    if (h) {
      auto c = store_.last_cursor(*h);
      if (c) {
        host = *h;
        committed = *c;
        break;
      }
      if (!wait_backoff("cannot read the stored cursor; retrying", c.status())) return;
      continue;
    }
    if (!wait_backoff("cannot register the host; retrying", h.status())) return;
  }
  backoff = options_.backoff_min;

  // The reader: one follow response after another, each from the last entry received.
  std::stop_source reader_stop;
  std::stop_callback forward(stop, [&reader_stop] { reader_stop.request_stop(); });
  std::thread reader([this, &a, committed, token = reader_stop.get_token()] {
    std::string after = committed;
    auto wait = options_.backoff_min;
    bool first = true;
    int early_ends = 0;  // clean ends in a row that came at once with nothing
    struct Handler : wire::FollowHandler {
      Agent& a;
      std::string& after;
      size_t limit;
      size_t limit_bytes;
      std::stop_token token;
      bool started = false;
      Handler(Agent& agent, std::string& last, size_t max, size_t max_bytes, std::stop_token t)
          : a(agent), after(last), limit(max), limit_bytes(max_bytes), token(std::move(t)) {}
      void on_start(std::chrono::seconds heartbeat, bool cursor_found) override {
        MutexLock lock(a.mu);
        a.heartbeat = heartbeat;
        a.gap_next = !cursor_found && !after.empty();
        a.last_alive = Clock::now();
        a.streaming = true;
        started = true;
      }
      void on_entry(LogEntry e) override {
        const size_t bytes = follow_entry_bytes(e);
        MutexLock lock(a.mu);
        // A full queue holds the stream back (the database is slow or down). An entry larger
        // than queue_bytes alone goes in when nothing else is pending.
        auto room = [&]() REQUIRES(a.mu) {
          return (a.queue.size() < limit &&
                  (a.pending_bytes == 0 || a.pending_bytes + bytes <= limit_bytes)) ||
                 token.stop_requested();
        };
        if (!room()) {
          a.reader_blocked = true;
          a.cv.notify_all();  // the committer commits at once rather than after commit_delay
          a.cv.wait(a.mu, room);
          a.reader_blocked = false;
        }
        after = e.cursor;
        if (a.queue.empty()) a.first_pending = Clock::now();
        a.queue.push_back(Item{std::move(e), bytes, a.gap_next});
        a.queued_bytes += bytes;
        a.pending_bytes += bytes;
        a.gap_next = false;
        a.last_alive = Clock::now();
        a.cv.notify_all();
      }
      void on_alive() override {
        MutexLock lock(a.mu);
        a.last_alive = Clock::now();
      }
    };
    while (!token.stop_requested()) {
      std::stop_source stream;
      std::stop_callback cut(token, [&stream] { stream.request_stop(); });
      {
        MutexLock lock(a.mu);
        a.stream_stop = &stream;
        a.stream_open = true;
        a.last_alive = Clock::now();
        a.heartbeat = std::chrono::seconds(0);
      }
      update(a.spec.name, [&](FollowStatus& s) {
        s.state = StreamState::kConnecting;
        if (!first) ++s.reconnects;
      });
      first = false;
      Handler h(a, after, options_.queue_entries, options_.queue_bytes, token);
      const std::string after_before = after;
      const auto opened = Clock::now();
      wire::FollowRequest req;
      req.after = after;
      req.wait = options_.wait;
      if (after.empty()) req.since_usec = options_.first_contact_since_usec;
      Status s = client_.follow(a.spec, req, h, stream.get_token());
      bool dead = stream.stop_requested() && !token.stop_requested();
      {
        MutexLock lock(a.mu);
        a.stream_stop = nullptr;
        a.stream_open = false;
        a.streaming = false;
        if (s.code() == StatusCode::kNotFound) a.cannot_follow = true;
      }
      if (token.stop_requested() || s.code() == StatusCode::kNotFound) break;
      if (h.started) wait = options_.backoff_min;  // a stream that started is a success
      if (s.is_ok()) {
        // `wait` ran out: reconnect at once after the last entry. A clean end within a second
        // that brought nothing is not that (an agent that ends its follow responses at once,
        // out of inotify instances, say): reconnect after backoff_min, not in a busy loop.
        if (after != after_before || Clock::now() - opened >= std::chrono::seconds(1)) {
          early_ends = 0;
          continue;
        }
        if (early_ends++ == 0)
          log::warn(kComponent, "follow stream ended at once with nothing; reconnecting",
                    {{"agent", a.spec.name},
                     {"url", a.spec.url},
                     {"wait_ms", options_.backoff_min.count()}});
        if (!sleep_for(options_.backoff_min, token)) break;
        continue;
      }
      early_ends = 0;
      std::string error =
          dead ? "no data or heartbeat for 3 heartbeats: the stream is dead" : s.message();
      update(a.spec.name, [&](FollowStatus& st) {
        st.state = StreamState::kBackoff;
        st.last_error = error;
      });
      log::warn(kComponent, "follow stream failed; reconnecting",
                {{"agent", a.spec.name},
                 {"url", a.spec.url},
                 {"wait_ms", wait.count()},
                 {"error", error}});
      if (!sleep_for(wait, token)) break;
      wait = std::min(wait * 2, options_.backoff_max);
    }
    MutexLock lock(a.mu);
    a.reader_done = true;
    a.cv.notify_all();
  });

  // The committer: small transactions, each moving the cursor from `committed`.
  auto last_polled = Clock::now() - std::chrono::hours(1);
  bool stopping = false;
  while (true) {
    std::vector<Item> batch;
    bool reader_done = false;
    {
      MutexLock lock(a.mu);
      auto full = [&]() REQUIRES(a.mu) {
        return !a.queue.empty() && (a.queue.size() >= options_.commit_entries ||
                                    a.queued_bytes >= options_.commit_bytes || a.reader_blocked);
      };
      a.cv.wait_for(a.mu, std::chrono::milliseconds(100), [&]() REQUIRES(a.mu) {
        return full() || a.reader_done || stop.stop_requested() ||
               (!a.queue.empty() && Clock::now() >= a.first_pending + options_.commit_delay);
      });
      // A stream silent for three heartbeats is dead: cut it, the reader reconnects. Not while
      // the reader itself holds the stream back (waiting for room in the queue).
      auto hb = a.heartbeat.count() > 0 ? a.heartbeat : options_.default_heartbeat;
      if (a.reader_blocked) a.last_alive = Clock::now();
      if (a.stream_open && a.stream_stop && Clock::now() - a.last_alive > 3 * hb)
        a.stream_stop->request_stop();
      if (a.streaming)
        update(name, [](FollowStatus& s) {
          if (s.state == StreamState::kConnecting) s.state = StreamState::kFollowing;
        });
      stopping = stop.stop_requested();
      reader_done = a.reader_done;
      bool due = full() || stopping || reader_done ||
                 (!a.queue.empty() && Clock::now() >= a.first_pending + options_.commit_delay);
      if (due) {
        // One batch of at most commit_entries and commit_bytes (or one entry); an entry after
        // a gap starts a batch of its own (the gap is recorded with the entries after it).
        size_t bytes = 0;
        while (!a.queue.empty() && batch.size() < options_.commit_entries) {
          const Item& next = a.queue.front();
          if (!batch.empty() && (next.after_gap || bytes + next.bytes > options_.commit_bytes))
            break;
          bytes += next.bytes;
          a.queued_bytes -= next.bytes;
          batch.push_back(std::move(a.queue.front()));
          a.queue.pop_front();
        }
        if (!a.queue.empty()) a.first_pending = Clock::now();
        a.cv.notify_all();
      }
    }
    if (!batch.empty()) {
      Batch b;
      b.entries.reserve(batch.size());
      for (auto& it : batch) b.entries.push_back(std::move(it.entry));
      std::optional<Gap> gap;
      if (batch.front().after_gap) {
        gap = follow_gap(committed, b.entries.front());
        if (gap)
          log::warn(
              kComponent, "gap: the agent no longer has the stored cursor",
              {{"agent", name}, {"last_cursor", committed}, {"first_cursor", gap->first_cursor}});
      }
      // Retried until it commits: nothing received is dropped while the database is away
      // (the queue fills and holds the stream back meanwhile). On stop, one more try.
      auto wait = options_.backoff_min;
      bool failed = false;
      while (true) {
        Status s = store_.append(host, committed, b, gap);
        if (s.is_ok()) break;
        if (s.code() == StatusCode::kAborted) {
          // Another collector moved this host's cursor: ours is stale. Start over from it.
          log::error(kComponent, "another collector stored this agent's entries; restarting",
                     {{"agent", name}, {"error", s.message()}});
          failed = true;
          break;
        }
        update(name, [&](FollowStatus& st) { st.last_error = s.message(); });
        log::warn(kComponent, "cannot store: the database is unavailable; retrying",
                  {{"agent", name},
                   {"entries", b.entries.size()},
                   {"wait_ms", wait.count()},
                   {"error", s.message()}});
        if (stopping) {
          failed = true;  // stopping: what is not committed is fetched again next time
          break;
        }
        if (!sleep_for(wait, stop)) stopping = true;
        wait = std::min(wait * 2, options_.backoff_max);
      }
      if (failed) {
        reader_stop.request_stop();
        {
          MutexLock lock(a.mu);
          a.cv.notify_all();
        }
        reader.join();
        return;  // the caller starts again from the stored cursor (or stops)
      }
      committed = b.entries.back().cursor;
      {
        MutexLock lock(a.mu);
        for (const auto& it : batch) a.pending_bytes -= it.bytes;
        a.cv.notify_all();  // room for the reader
      }
      update(name, [&](FollowStatus& st) {
        st.entries += b.entries.size();
        ++st.commits;
        if (gap) ++st.gaps;
        st.last_realtime_usec = b.entries.back().realtime_usec;
        st.last_error.clear();
      });
      continue;  // more may be due at once
    }
    if (stopping || reader_done) break;
    // Caught up: the dashboard's "last collected", at most every few seconds.
    if (Clock::now() - last_polled > std::chrono::seconds(5)) {
      if (store_.mark_polled(host).is_ok()) last_polled = Clock::now();
    }
  }
  reader_stop.request_stop();
  {
    MutexLock lock(a.mu);
    a.cv.notify_all();
  }
  reader.join();
}

void Follower::run(const std::vector<wire::AgentSpec>& agents, std::stop_token stop) {
  std::vector<std::unique_ptr<Agent>> state;
  for (const auto& spec : agents) {
    state.push_back(std::make_unique<Agent>());
    state.back()->spec = spec;
    update(spec.name, [](FollowStatus&) {});
  }
  std::vector<std::thread> threads;
  for (auto& a : state) {
    threads.emplace_back([this, &a, stop] {
      Agent& agent = *a;
      try {
        if (agent.spec.protocol == wire::AgentProtocol::kGatewayd) return poll_agent(agent, stop);
        while (!stop.stop_requested()) {
          follow_agent(agent, stop);
          bool cannot;
          {
            MutexLock lock(agent.mu);
            cannot = agent.cannot_follow;
            agent.cannot_follow = false;
            agent.reader_done = false;
            agent.queue.clear();  // only after an abort: restarted from the stored cursor
            agent.queued_bytes = agent.pending_bytes = 0;
          }
          if (cannot) return poll_agent(agent, stop);
          if (!stop.stop_requested()) sleep_for(options_.backoff_min, stop);
        }
      } catch (const std::exception& e) {  // one agent's bug never stops the others
        log::error(kComponent, "agent stopped by an unexpected error",
                   {{"agent", agent.spec.name}, {"error", e.what()}});
      }
    });
  }
  while (sleep_for(options_.report_interval, stop)) {
    if (!options_.collector.empty()) {
      Status s = store_.heartbeat(options_.collector);
      if (!s.is_ok()) log::warn(kComponent, "cannot write the heartbeat", {{"error", s.message()}});
    }
    if (options_.report) options_.report(status());
  }
  for (auto& t : threads) t.join();
  if (options_.report) options_.report(status());
}

std::string render_follow_metrics(const std::vector<FollowStatus>& agents, uint64_t now_usec) {
  MetricsRegistry r;
  for (const auto& a : agents) {
    MetricLabels l = {{"agent", a.name}};
    for (StreamState s : {StreamState::kConnecting, StreamState::kFollowing, StreamState::kPolling,
                          StreamState::kBackoff}) {
      r.gauge("infralogs_collect_follow_state", "1 for the agent's stream state.",
              {{"agent", a.name}, {"state", stream_state_name(s)}})
          .set(a.state == s ? 1 : 0);
    }
    r.counter("infralogs_collect_follow_entries_total", "Entries committed from the agent.", l)
        .inc(a.entries);
    r.counter("infralogs_collect_follow_commits_total", "Transactions committed for the agent.", l)
        .inc(a.commits);
    r.counter("infralogs_collect_follow_reconnects_total", "Follow streams opened after the first.",
              l)
        .inc(a.reconnects);
    r.counter("infralogs_collect_follow_gaps_total", "Gaps recorded for the agent.", l).inc(a.gaps);
    if (a.last_realtime_usec) {
      double lag = now_usec > a.last_realtime_usec
                       ? static_cast<double>(now_usec - a.last_realtime_usec) / 1e6
                       : 0.0;
      r.gauge("infralogs_collect_follow_lag_seconds",
              "Now minus the realtime of the newest committed entry.", l)
          .set(lag);
    }
  }
  return r.render();
}

}  // namespace infralogs::collect

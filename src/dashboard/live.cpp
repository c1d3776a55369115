#include "infralogs/dashboard/live.h"

#include <algorithm>
#include <tuple>

#include "infralogs/core/log.h"
#include "infralogs/core/parse.h"
#include "infralogs/dashboard/dashboard.h"

namespace infralogs::dashboard {
namespace {

using nlohmann::json;
constexpr std::string_view kComponent = "serve";

uint64_t system_now_usec() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

json opt_text(const std::optional<std::string>& v) { return v ? text_or_bytes(*v) : json(nullptr); }

auto key_order(const storage::SearchKey& k) {
  return std::tie(k.realtime_usec, k.host_id, k.seqnum_id, k.seqnum);
}

// A message cut at `limit` bytes can end inside a UTF-8 sequence: drop that partial tail, so
// that a printable message stays text instead of turning into bytes.
void cut_message(std::string* m, size_t limit) {
  m->resize(limit);
  size_t keep = m->size();
  // At most 3 continuation bytes after a lead byte.
  for (size_t back = 1; back <= 4 && back <= m->size(); ++back) {
    unsigned char c = static_cast<unsigned char>((*m)[m->size() - back]);
    if ((c & 0xC0) == 0x80) continue;  // a continuation byte: look further back
    if (c >= 0xC0) {
      size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
      if (back < need) keep = m->size() - back;
    }
    break;
  }
  m->resize(keep);
}

double seconds_between(uint64_t later, uint64_t earlier) {
  return static_cast<double>(later - std::min(later, earlier)) / 1e6;
}

}  // namespace

bool LiveFilter::matches(const storage::SearchRow& row) const {
  if (host && row.host != *host) return false;
  if (unit && row.unit != *unit) return false;
  if (max_priority && (!row.priority || *row.priority > *max_priority)) return false;
  return true;
}

json live_entry_json(const LiveEntry& e) {
  const storage::SearchRow& r = e.row;
  return {{"id", r.key.to_string()},
          {"host", text_or_bytes(r.host)},
          {"time", r.key.realtime_usec},
          {"priority", r.priority ? json(*r.priority) : json(nullptr)},
          {"unit", opt_text(r.unit)},
          {"identifier", opt_text(r.identifier)},
          {"pid", r.pid ? json(*r.pid) : json(nullptr)},
          {"message", opt_text(r.message)},
          {"truncated", e.truncated}};
}

json live_lag_json(const LiveLag& lag) {
  auto opt = [](const std::optional<double>& v) { return v ? json(*v) : json(nullptr); };
  return {{"replica_ok", lag.replica_ok},
          {"last_write_age_s", opt(lag.last_write_age_s)},
          {"newest_entry_age_s", opt(lag.newest_entry_age_s)},
          {"polled", lag.polled_usec ? json(lag.polled_usec) : json(nullptr)}};
}

LiveHub::LiveHub(storage::LogReader& reader, LiveOptions options)
    : reader_(reader),
      options_(std::move(options)),
      epoch_(options_.now_usec ? options_.now_usec() : system_now_usec()) {}

LiveHub::~LiveHub() { stop(); }

uint64_t LiveHub::now() const {
  return options_.now_usec ? options_.now_usec() : system_now_usec();
}

Status LiveHub::poll_once(bool* more) {
  MutexLock poll_lock(poll_mu_);
  if (more) *more = false;
  auto progress = reader_.progress();
  if (!progress) {
    MutexLock lock(mu_);
    lag_.replica_ok = false;
    return progress.status();
  }
  const uint64_t t = now();
  std::vector<storage::HostPosition> from;
  for (const storage::HostProgress& h : progress->hosts) {
    auto it = tracked_.find(h.host_id);
    if (it == tracked_.end()) {
      Tracked tr;
      tr.host = h.host;
      tr.position.host_id = h.host_id;
      if (first_poll_) {
        // What is stored before the first look is history, not live: start after the
        // checkpoint's entry (every entry at its microsecond counts as seen).
        tr.entries = h.entries;
        tr.position.realtime_usec = h.last_entry_usec;
        tr.position.seqnum_id = std::string(16, '\xff');
        tr.position.seqnum = UINT64_MAX;
      } else {
        // A host collected for the first time: its recent entries are live, its history not.
        uint64_t lookback = static_cast<uint64_t>(options_.new_host_lookback.count()) * 1000000;
        tr.position.realtime_usec = t - std::min(t, lookback);
      }
      it = tracked_.emplace(h.host_id, std::move(tr)).first;
    }
    it->second.last_entry_usec = h.last_entry_usec;
    if (h.entries != it->second.entries) from.push_back(it->second.position);
  }
  first_poll_ = false;

  std::vector<storage::SearchRow> rows;
  if (!from.empty()) {
    auto r = reader_.entries_after(from, options_.poll_limit, options_.message_bytes + 1);
    if (!r) {
      MutexLock lock(mu_);
      lag_.replica_ok = false;
      return r.status();
    }
    rows = std::move(*r);
  }
  for (const storage::SearchRow& row : rows) {
    storage::HostPosition& p = tracked_[row.key.host_id].position;
    p.realtime_usec = row.key.realtime_usec;
    p.seqnum_id = row.key.seqnum_id;
    p.seqnum = row.key.seqnum;
  }
  bool short_read = rows.size() >= options_.poll_limit;
  if (more) *more = short_read;
  if (!short_read) {
    // Every host asked about is read up to (at least) its checkpoint.
    for (const storage::HostProgress& h : progress->hosts) tracked_[h.host_id].entries = h.entries;
  }
  // One poll's entries in time order (they come by host).
  std::sort(rows.begin(), rows.end(),
            [](const auto& a, const auto& b) { return key_order(a.key) < key_order(b.key); });

  MutexLock lock(mu_);
  for (storage::SearchRow& row : rows) {
    LiveEntry e;
    e.seq = ++last_seq_;
    if (row.message && row.message->size() > options_.message_bytes) {
      cut_message(&*row.message, options_.message_bytes);
      e.truncated = true;
    }
    e.row = std::move(row);
    buffer_bytes_ += e.row.message ? e.row.message->size() : 0;
    buffer_.push_back(std::move(e));
  }
  while (!buffer_.empty() &&
         (buffer_.size() > options_.buffer_entries || buffer_bytes_ > options_.buffer_bytes)) {
    buffer_bytes_ -= buffer_.front().row.message ? buffer_.front().row.message->size() : 0;
    buffer_.pop_front();
  }
  lag_.replica_ok = true;
  lag_.polled_usec = t;
  lag_.last_write_age_s.reset();
  if (progress->last_write_usec)
    lag_.last_write_age_s = seconds_between(progress->now_usec, *progress->last_write_usec);
  lag_.newest_entry_age_s.reset();
  uint64_t newest = 0;
  for (const storage::HostProgress& h : progress->hosts) {
    newest = std::max(newest, h.last_entry_usec);
    newest_by_host_[h.host] = h.last_entry_usec;
  }
  if (newest > 0) lag_.newest_entry_age_s = seconds_between(progress->now_usec, newest);
  // The per-host ages (lag_for) are against the same clock as the fleet's.
  replica_now_usec_ = progress->now_usec;
  if (!rows.empty()) changed_.notify_all();
  return Status::ok();
}

void LiveHub::start() {
  poller_ = std::jthread([this](std::stop_token stop) { run(stop); });
}

void LiveHub::run(std::stop_token stop) {
  bool failing = false;
  Mutex wait_mu;
  CondVar wait_cv;
  while (!stop.stop_requested()) {
    bool more = false;
    Status s = poll_once(&more);
    if (!s.is_ok() && !failing) {
      log::warn(kComponent, "live: cannot read the replica; streams wait",
                {{"error", s.message()}});
    } else if (s.is_ok() && failing) {
      log::info(kComponent, "live: reading the replica again");
    }
    failing = !s.is_ok();
    if (more) continue;
    MutexLock lock(wait_mu);
    wait_cv.wait_for(wait_mu, stop, options_.poll_interval, [] { return false; });
  }
}

void LiveHub::stop() {
  {
    MutexLock lock(mu_);
    stopped_ = true;
    changed_.notify_all();
  }
  if (poller_.joinable()) {
    poller_.request_stop();
    poller_.join();
  }
}

size_t LiveHub::open_streams() const {
  MutexLock lock(mu_);
  return streams_;
}

std::unique_ptr<LiveHub::Stream> LiveHub::open(LiveFilter filter,
                                               const std::optional<std::string>& last_event_id) {
  MutexLock lock(mu_);
  if (streams_ >= options_.max_streams) return nullptr;
  ++streams_;
  std::unique_ptr<Stream> s(new Stream(*this, std::move(filter)));
  s->position_ = last_seq_;
  if (!last_event_id) {
    s->want_backlog_ = true;
    return s;
  }
  // "EPOCH-SEQ" of this hub, with the entry after it still buffered (or none yet).
  const std::string& id = *last_event_id;
  size_t dash = id.find('-');
  std::optional<uint64_t> epoch, seq;
  if (dash != std::string::npos) {
    epoch = parse_u64(id.substr(0, dash));
    seq = parse_u64(id.substr(dash + 1));
  }
  uint64_t oldest = buffer_.empty() ? last_seq_ + 1 : buffer_.front().seq;
  if (!epoch || !seq || *epoch != epoch_) {
    s->reset_ = "the stream position is from another serve process";
  } else if (*seq > last_seq_) {
    s->reset_ = "the stream position is ahead of this serve process";
  } else if (*seq + 1 < oldest) {
    s->reset_ = "the stream position is no longer buffered";
  } else {
    s->position_ = *seq;
  }
  return s;
}

LiveHub::Stream::~Stream() {
  MutexLock lock(hub_.mu_);
  --hub_.streams_;
}

std::string LiveHub::Stream::event_id(const LiveEntry& e) const {
  return std::to_string(hub_.epoch_) + "-" + std::to_string(e.seq ? e.seq : backlog_position_);
}

LiveLag LiveHub::Stream::lag() const { return hub_.lag_for(filter_); }

LiveLag LiveHub::lag_for(const LiveFilter& filter) const {
  MutexLock lock(mu_);
  LiveLag out = lag_;
  if (filter.host) {
    out.newest_entry_age_s.reset();
    auto it = newest_by_host_.find(*filter.host);
    if (it != newest_by_host_.end() && it->second > 0)
      out.newest_entry_age_s = seconds_between(replica_now_usec_, it->second);
  }
  return out;
}

LiveHub::Batch LiveHub::Stream::next(std::chrono::milliseconds wait) {
  Batch out;
  if (!started_) {
    started_ = true;
    backlog_position_ = position_;
    out.reset = reset_;
    if (want_backlog_ && hub_.options_.backlog > 0) {
      // The newest matching entries the replica has, oldest first. Read without the hub's
      // lock; anything buffered meanwhile that the search also gave is skipped by its key.
      storage::SearchQuery q;
      uint64_t t = hub_.now();
      q.window = {t - std::min<uint64_t>(t, 24ULL * 3600 * 1000000), t + 3600ULL * 1000000};
      q.host = filter_.host;
      q.unit = filter_.unit;
      q.max_priority = filter_.max_priority;
      q.limit = hub_.options_.backlog;
      auto page = hub_.reader_.search(q);
      if (!page) {
        out.error = page.status();
      } else {
        for (auto it = page->rows.rbegin(); it != page->rows.rend(); ++it) {
          LiveEntry e;
          e.row = *it;
          if (e.row.message && e.row.message->size() > hub_.options_.message_bytes) {
            cut_message(&*e.row.message, hub_.options_.message_bytes);
            e.truncated = true;
          }
          backlog_keys_.insert(e.row.key.to_string());
          out.entries.push_back(std::move(e));
        }
      }
    }
  }
  MutexLock lock(hub_.mu_);
  auto pending = [&] {
    hub_.mu_.assert_held();  // called here and by wait_for, both with the lock held
    return hub_.stopped_ || (!hub_.buffer_.empty() && hub_.buffer_.back().seq > position_);
  };
  if (out.entries.empty() && out.reset.empty() && out.error.is_ok() && !pending()) {
    hub_.changed_.wait_for(hub_.mu_, wait, pending);
  }
  if (hub_.stopped_) {
    out.stopped = true;
    return out;
  }
  if (!hub_.buffer_.empty() && position_ + 1 < hub_.buffer_.front().seq && out.reset.empty()) {
    // Fell behind the buffer (a very slow reader, or a burst bigger than the buffer).
    out.reset = "the stream fell behind the live buffer";
  }
  // The buffer's sequence numbers are consecutive: start right after the position.
  size_t start = 0;
  if (!hub_.buffer_.empty() && position_ >= hub_.buffer_.front().seq)
    start = static_cast<size_t>(position_ + 1 - hub_.buffer_.front().seq);
  for (size_t i = start; i < hub_.buffer_.size(); ++i) {
    const LiveEntry& e = hub_.buffer_[i];
    position_ = e.seq;
    if (!filter_.matches(e.row)) continue;
    if (!backlog_keys_.empty() && backlog_keys_.count(e.row.key.to_string())) continue;
    out.entries.push_back(e);
  }
  position_ = std::max(position_, hub_.last_seq_);
  return out;
}

}  // namespace infralogs::dashboard

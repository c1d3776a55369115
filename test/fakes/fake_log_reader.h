#pragma once
// FakeLogReader: a LogReader in memory for dashboard tests. It answers every question from the
// rollup cells, hosts, gaps and entries a test adds, honouring storage/log_reader.h's contract:
// rollup windows count whole hours by their start (compared at whole seconds), gaps and search
// compare microseconds; host filters; the documented orders; the gap cut at 1000; search pages
// newest first with `next`; context in journal order. Adds failure injection (fail_next) and a
// record of the questions asked (calls). Thread-safe.

#include <algorithm>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "infralogs/core/mutex.h"
#include "infralogs/storage/log_reader.h"

namespace infralogs::test {

class FakeLogReader : public storage::LogReader {
 public:
  // `entries` entries in the hour starting at hour_usec, for a host, unit and identifier (""
  // for none) and priority (255 for none).
  struct Cell {
    uint64_t hour_usec = 0;
    std::string host;
    std::string unit;
    std::string identifier;
    int priority = 6;
    uint64_t entries = 0;
  };
  // A host as the hosts table and its checkpoint show it.
  struct Host {
    std::string name;
    std::string labels_json = "{}";
    std::optional<uint64_t> last_entry_usec;
    std::optional<uint64_t> last_collected_usec;
  };
  // One question asked: the method's name and its arguments.
  struct Call {
    std::string method;
    storage::TimeWindow window;
    std::optional<std::string> host;
    size_t limit = 0;
    std::optional<storage::SearchQuery> search;
  };

  static constexpr size_t kGapCut = 1000;

  // A cell; its host is created when new (as the collector's host_id() would have).
  void add_cell(Cell c) {
    MutexLock lock(mu_);
    if (!find_host(c.host)) {
      Host h;
      h.name = c.host;
      hosts_.push_back(std::move(h));
    }
    cells_.push_back(std::move(c));
  }
  void add_host(Host h) {
    MutexLock lock(mu_);
    if (Host* known = find_host(h.name))
      *known = std::move(h);
    else
      hosts_.push_back(std::move(h));
  }
  void add_gap(storage::GapInfo g) {
    MutexLock lock(mu_);
    gaps_.push_back(std::move(g));
  }
  // An entry: what search shows of it, and its stored fields for entry().
  void add_entry(storage::SearchRow row, std::string fields_json = "{}") {
    MutexLock lock(mu_);
    entries_.push_back({std::move(row), std::move(fields_json)});
  }
  void set_heartbeat(std::optional<uint64_t> usec) {
    MutexLock lock(mu_);
    heartbeat_ = usec;
  }
  // What credentials() answers; nullopt (the default): kNotFound, as a reader without
  // credentials.
  void set_credentials(std::optional<storage::CredentialStatus> c) {
    MutexLock lock(mu_);
    credentials_ = std::move(c);
  }
  // Adds a credential report, or replaces the one of the same mode and name (as REPLACE does).
  void add_credential_report(storage::CredentialReport r) {
    MutexLock lock(mu_);
    for (auto& known : reports_) {
      if (known.mode == r.mode && known.name == r.name) {
        known = std::move(r);
        return;
      }
    }
    reports_.push_back(std::move(r));
  }
  void add_credential_event(storage::CredentialEvent e) {
    MutexLock lock(mu_);
    events_.push_back(std::move(e));
  }

  // What progress() says of the clock: the replica's now and its last applied write.
  void set_progress_clock(uint64_t now_usec, std::optional<uint64_t> last_write_usec) {
    MutexLock lock(mu_);
    progress_now_ = now_usec;
    last_write_ = last_write_usec;
  }

  // The next call of `method` (a LogReader method's name) returns `s` instead of an answer;
  // several queue up.
  void fail_next(const std::string& method, Status s) {
    MutexLock lock(mu_);
    failures_[method].push_back(std::move(s));
  }
  // The questions asked so far, in order.
  std::vector<Call> calls() const {
    MutexLock lock(mu_);
    return calls_;
  }
  std::vector<Call> calls(const std::string& method) const {
    MutexLock lock(mu_);
    std::vector<Call> out;
    for (const Call& c : calls_) {
      if (c.method == method) out.push_back(c);
    }
    return out;
  }

  Status ping() override {
    MutexLock lock(mu_);
    return asked("ping");
  }

  Result<std::optional<uint64_t>> newest_hour_usec() override {
    MutexLock lock(mu_);
    if (Status s = asked("newest_hour_usec"); !s.is_ok()) return s;
    std::optional<uint64_t> newest;
    for (const Cell& c : cells_) newest = std::max(newest.value_or(0), c.hour_usec);
    return newest;
  }

  Result<std::vector<storage::PriorityHour>> volume_by_priority(
      const storage::TimeWindow& w, const std::optional<std::string>& host) override {
    MutexLock lock(mu_);
    if (Status s = asked("volume_by_priority", w, host); !s.is_ok()) return s;
    std::map<std::pair<uint64_t, int>, uint64_t> sums;  // hours ascending
    for (const Cell& c : cells_) {
      if (in_hours(c, w, host)) sums[{c.hour_usec, c.priority}] += c.entries;
    }
    std::vector<storage::PriorityHour> out;
    for (const auto& [k, n] : sums) out.push_back({k.first, k.second, n});
    return out;
  }

  Result<std::vector<storage::HostUnitHour>> host_unit_hours(
      const storage::TimeWindow& w, const std::optional<std::string>& host) override {
    MutexLock lock(mu_);
    if (Status s = asked("host_unit_hours", w, host); !s.is_ok()) return s;
    std::map<std::tuple<uint64_t, std::string, std::string>, std::pair<uint64_t, uint64_t>> sums;
    for (const Cell& c : cells_) {
      if (!in_hours(c, w, host)) continue;
      auto& v = sums[{c.hour_usec, c.host, c.unit}];
      v.first += c.entries;
      if (c.priority <= 3) v.second += c.entries;
    }
    std::vector<storage::HostUnitHour> out;
    for (const auto& [k, v] : sums)
      out.push_back({std::get<0>(k), std::get<1>(k), std::get<2>(k), v.first, v.second});
    return out;
  }

  Result<std::vector<storage::NameCount>> top_identifiers(const storage::TimeWindow& w,
                                                          const std::optional<std::string>& host,
                                                          size_t limit) override {
    MutexLock lock(mu_);
    if (Status s = asked("top_identifiers", w, host, limit); !s.is_ok()) return s;
    std::map<std::string, storage::NameCount> sums;
    for (const Cell& c : cells_) {
      if (!in_hours(c, w, host)) continue;
      storage::NameCount& n = sums[c.identifier];
      n.name = c.identifier;
      n.entries += c.entries;
      if (c.priority <= 3) n.errors += c.entries;
    }
    std::vector<storage::NameCount> out;
    for (const auto& [name, n] : sums) out.push_back(n);
    std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
      return a.errors != b.errors ? a.errors > b.errors : a.entries > b.entries;
    });
    if (out.size() > limit) out.resize(limit);
    return out;
  }

  Result<std::vector<storage::HostInfo>> hosts(const storage::TimeWindow& w) override {
    MutexLock lock(mu_);
    if (Status s = asked("hosts", w); !s.is_ok()) return s;
    std::vector<storage::HostInfo> out;
    for (const Host& h : hosts_) {
      storage::HostInfo info{h.name, h.labels_json, h.last_entry_usec, h.last_collected_usec};
      for (const Cell& c : cells_) {
        if (!in_hours(c, w, h.name)) continue;
        info.entries += c.entries;
        if (c.priority <= 3) info.errors += c.entries;
      }
      out.push_back(std::move(info));
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.host < b.host; });
    return out;
  }

  Result<std::vector<storage::GapInfo>> gaps(const storage::TimeWindow& w,
                                             const std::optional<std::string>& host) override {
    MutexLock lock(mu_);
    if (Status s = asked("gaps", w, host); !s.is_ok()) return s;
    std::vector<storage::GapInfo> out;
    for (const auto& g : gaps_) {
      if (g.first_entry_usec >= w.from_usec && g.first_entry_usec < w.to_usec &&
          (!host || g.host == *host)) {
        out.push_back(g);
      }
    }
    std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
      return a.first_entry_usec > b.first_entry_usec;
    });
    if (out.size() > kGapCut) out.resize(kGapCut);
    return out;
  }

  Result<std::optional<uint64_t>> heartbeat_usec() override {
    MutexLock lock(mu_);
    if (Status s = asked("heartbeat_usec"); !s.is_ok()) return s;
    return heartbeat_;
  }

  Result<storage::CredentialStatus> credentials() override {
    MutexLock lock(mu_);
    if (Status s = asked("credentials"); !s.is_ok()) return s;
    if (!credentials_) return Status::not_found("this reader has no database credentials");
    return *credentials_;
  }

  Result<std::vector<storage::CredentialReport>> credential_reports() override {
    MutexLock lock(mu_);
    if (Status s = asked("credential_reports"); !s.is_ok()) return s;
    std::vector<storage::CredentialReport> out = reports_;
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
      return std::tie(a.mode, a.name) < std::tie(b.mode, b.name);
    });
    return out;
  }

  Result<std::vector<storage::CredentialEvent>> credential_events(
      const storage::TimeWindow& w) override {
    MutexLock lock(mu_);
    if (Status s = asked("credential_events", w); !s.is_ok()) return s;
    std::vector<storage::CredentialEvent> out;
    for (const auto& e : events_) {
      if (e.time_usec >= w.from_usec && e.time_usec < w.to_usec) out.push_back(e);
    }
    std::stable_sort(out.begin(), out.end(),
                     [](const auto& a, const auto& b) { return a.time_usec > b.time_usec; });
    if (out.size() > kGapCut) out.resize(kGapCut);
    return out;
  }

  Result<storage::SearchPage> search(const storage::SearchQuery& q) override {
    MutexLock lock(mu_);
    if (Status s = asked("search", q.window, q.host, q.limit, q); !s.is_ok()) return s;
    if (q.limit == 0) return Status::invalid_argument("search: the limit must be at least 1");
    std::vector<const storage::SearchRow*> matches;
    for (const auto& e : entries_) {
      if (matches_query(e.row, q)) matches.push_back(&e.row);
    }
    std::sort(matches.begin(), matches.end(),
              [](const auto* a, const auto* b) { return order(b->key) < order(a->key); });
    storage::SearchPage page;
    for (size_t i = 0; i < matches.size() && i < q.limit; ++i) page.rows.push_back(*matches[i]);
    if (matches.size() > q.limit) page.next = page.rows.back().key;
    return page;
  }

  // As the checkpoints: per host id, the entries added and the last one added's time.
  Result<storage::ReplicaProgress> progress() override {
    MutexLock lock(mu_);
    if (Status s = asked("progress"); !s.is_ok()) return s;
    std::map<uint32_t, storage::HostProgress> by_id;
    for (const auto& e : entries_) {
      storage::HostProgress& h = by_id[e.row.key.host_id];
      h.host_id = e.row.key.host_id;
      h.host = e.row.host;
      ++h.entries;
      h.last_entry_usec = e.row.key.realtime_usec;
    }
    storage::ReplicaProgress out;
    for (auto& [id, h] : by_id) out.hosts.push_back(std::move(h));
    out.now_usec = progress_now_;
    out.last_write_usec = last_write_;
    return out;
  }

  Result<std::vector<storage::SearchRow>> entries_after(
      const std::vector<storage::HostPosition>& from, size_t limit, size_t message_bytes) override {
    MutexLock lock(mu_);
    if (Status s = asked("entries_after", {}, std::nullopt, limit); !s.is_ok()) return s;
    if (limit == 0) return Status::invalid_argument("entries_after: the limit must be at least 1");
    std::vector<storage::SearchRow> out;
    for (const auto& e : entries_) {
      for (const auto& p : from) {
        const storage::SearchKey& k = e.row.key;
        if (k.host_id == p.host_id && std::tie(k.realtime_usec, k.seqnum_id, k.seqnum) >
                                          std::tie(p.realtime_usec, p.seqnum_id, p.seqnum))
          out.push_back(e.row);
      }
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
      return std::tie(a.key.host_id, a.key.realtime_usec, a.key.seqnum_id, a.key.seqnum) <
             std::tie(b.key.host_id, b.key.realtime_usec, b.key.seqnum_id, b.key.seqnum);
    });
    if (out.size() > limit) out.resize(limit);
    for (auto& r : out) {
      if (r.message && r.message->size() > message_bytes) r.message->resize(message_bytes);
    }
    return out;
  }

  Result<std::optional<storage::EntryDetail>> entry(const storage::SearchKey& key) override {
    MutexLock lock(mu_);
    if (Status s = asked("entry"); !s.is_ok()) return s;
    for (const auto& e : entries_) {
      if (order(e.row.key) == order(key)) {
        return std::optional<storage::EntryDetail>(storage::EntryDetail{
            e.row.host, e.row.key.realtime_usec, e.fields_json, e.row.message});
      }
    }
    return std::optional<storage::EntryDetail>();
  }

  Result<storage::ContextPage> context(const storage::ContextQuery& q) override {
    MutexLock lock(mu_);
    if (Status s = asked("context"); !s.is_ok()) return s;
    // The host's entries (of q.unit) in journal order: the key order within one host.
    std::vector<const storage::SearchRow*> host;
    storage::ContextPage page;
    for (const auto& e : entries_) {
      if (e.row.key.host_id != q.at.host_id) continue;
      if (q.include_at && order(e.row.key) == order(q.at)) page.at = e.row;
      if (!q.unit || e.row.unit == *q.unit) host.push_back(&e.row);
    }
    std::sort(host.begin(), host.end(),
              [](const auto* a, const auto* b) { return order(a->key) < order(b->key); });
    auto split = std::partition_point(host.begin(), host.end(),
                                      [&](const auto* r) { return order(r->key) < order(q.at); });
    if (q.before) {
      size_t n = static_cast<size_t>(split - host.begin());
      for (size_t i = n - std::min(n, *q.before); i < n; ++i) page.older.push_back(*host[i]);
      page.more_older = n > *q.before;
    }
    if (q.after) {
      auto first = split;
      if (first != host.end() && order((*first)->key) == order(q.at)) ++first;
      size_t n = static_cast<size_t>(host.end() - first);
      for (size_t i = 0; i < std::min(n, *q.after); ++i) page.newer.push_back(*first[i]);
      page.more_newer = n > *q.after;
    }
    return page;
  }

 private:
  struct Entry {
    storage::SearchRow row;
    std::string fields_json;
  };

  // The SearchKey order: (time, host id, seqnum ID, seqnum).
  using KeyOrder =
      std::tuple<const uint64_t&, const uint32_t&, const std::string&, const uint64_t&>;
  static KeyOrder order(const storage::SearchKey& k) {
    return std::tie(k.realtime_usec, k.host_id, k.seqnum_id, k.seqnum);
  }

  // The rollup rule: the hour's start in [from, to), both at whole seconds (from rounded down,
  // to rounded up), and the host when one is asked for.
  static bool in_hours(const Cell& c, const storage::TimeWindow& w,
                       const std::optional<std::string>& host) {
    uint64_t from = w.from_usec / 1000000 * 1000000;
    uint64_t to = (w.to_usec + 999999) / 1000000 * 1000000;
    return c.hour_usec >= from && c.hour_usec < to && (!host || c.host == *host);
  }

  // The text rule, simplified: without exact_case only ASCII letters fold (MariaDB's
  // REGEXP folds every Unicode letter; the integration tests check that part).
  static bool contains(const std::string& message, const std::string& text, bool exact_case) {
    if (exact_case) return message.find(text) != std::string::npos;
    auto fold = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    return std::search(message.begin(), message.end(), text.begin(), text.end(),
                       [&](char a, char b) { return fold(a) == fold(b); }) != message.end();
  }

  static bool matches_query(const storage::SearchRow& r, const storage::SearchQuery& q) {
    if (r.key.realtime_usec < q.window.from_usec || r.key.realtime_usec >= q.window.to_usec)
      return false;
    if (q.host && r.host != *q.host) return false;
    if (q.unit && r.unit != *q.unit) return false;
    if (q.max_priority && (!r.priority || *r.priority > *q.max_priority)) return false;
    if (!q.text.empty() && (!r.message || !contains(*r.message, q.text, q.exact_case)))
      return false;
    if (q.after && !(order(r.key) < order(*q.after))) return false;
    return true;
  }

  Host* find_host(const std::string& name) REQUIRES(mu_) {
    for (Host& h : hosts_) {
      if (h.name == name) return &h;
    }
    return nullptr;
  }

  // Records the call; the failure queued for its method, if any.
  Status asked(const std::string& method, storage::TimeWindow w = {},
               std::optional<std::string> host = std::nullopt, size_t limit = 0,
               std::optional<storage::SearchQuery> search = std::nullopt) REQUIRES(mu_) {
    Call call;
    call.method = method;
    call.window = w;
    call.host = std::move(host);
    call.limit = limit;
    call.search = std::move(search);
    calls_.push_back(std::move(call));
    auto it = failures_.find(method);
    if (it == failures_.end() || it->second.empty()) return Status::ok();
    Status s = it->second.front();
    it->second.pop_front();
    return s;
  }

  mutable Mutex mu_;
  std::vector<Cell> cells_ GUARDED_BY(mu_);
  std::vector<Host> hosts_ GUARDED_BY(mu_);
  std::vector<storage::GapInfo> gaps_ GUARDED_BY(mu_);
  std::vector<Entry> entries_ GUARDED_BY(mu_);
  std::optional<uint64_t> heartbeat_ GUARDED_BY(mu_);
  uint64_t progress_now_ GUARDED_BY(mu_) = 0;
  std::optional<uint64_t> last_write_ GUARDED_BY(mu_);
  std::optional<storage::CredentialStatus> credentials_ GUARDED_BY(mu_);
  std::vector<storage::CredentialReport> reports_ GUARDED_BY(mu_);
  std::vector<storage::CredentialEvent> events_ GUARDED_BY(mu_);
  std::map<std::string, std::deque<Status>> failures_ GUARDED_BY(mu_);
  std::vector<Call> calls_ GUARDED_BY(mu_);
};

}  // namespace infralogs::test

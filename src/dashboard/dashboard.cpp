#include "infralogs/dashboard/dashboard.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>

#include "infralogs/core/utf8.h"

namespace infralogs::dashboard {
namespace {

using nlohmann::json;
constexpr uint64_t kHourUsec = 3600ULL * 1000000ULL;
constexpr uint64_t kDayUsec = 24 * kHourUsec;
constexpr int kNoPriority = 255;

json opt_text(const std::optional<std::string>& v) { return v ? text_or_bytes(*v) : json(nullptr); }

// Rollups store "" for "no unit" or "no identifier"; the API says null.
json name_or_null(const std::string& v) { return v.empty() ? json(nullptr) : text_or_bytes(v); }

}  // namespace

json text_or_bytes(const std::string& value) {
  if (is_printable_utf8(value, true)) return value;
  json bytes = json::array();
  for (unsigned char c : value) bytes.push_back(c);
  return {{"bytes", bytes}};
}

Dashboard::Dashboard(storage::LogReader& reader, DashboardOptions options)
    : reader_(reader), options_(std::move(options)) {}

uint64_t Dashboard::now() const {
  if (options_.now_usec) return options_.now_usec();
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

Result<storage::TimeWindow> Dashboard::window(std::optional<uint64_t> from,
                                              std::optional<uint64_t> to, bool* is_default) {
  *is_default = !from && !to;
  storage::TimeWindow w;
  if (!to) {
    if (from) {
      w.to_usec = now();
    } else {
      auto newest = reader_.newest_hour_usec();
      if (!newest) return newest.status();
      w.to_usec = *newest ? **newest + kHourUsec : (now() / kHourUsec + 1) * kHourUsec;
    }
  } else {
    w.to_usec = *to;
  }
  w.from_usec = from ? *from : (w.to_usec > kDayUsec ? w.to_usec - kDayUsec : 0);
  if (w.from_usec >= w.to_usec) return Status::invalid_argument("from must be before to");
  return w;
}

namespace {

// One bucket per hour of a window: [first_hour, first_hour + count), in hours since the epoch.
struct HourBuckets {
  uint64_t first_hour = 0;
  size_t count = 0;

  explicit HourBuckets(const storage::TimeWindow& w)
      : first_hour(w.from_usec / kHourUsec),
        count(static_cast<size_t>((w.to_usec + kHourUsec - 1) / kHourUsec - first_hour)) {}
  // The bucket of an hour's start; nullopt when it is outside the window.
  std::optional<size_t> index(uint64_t hour_usec) const {
    uint64_t h = hour_usec / kHourUsec;
    if (h < first_hour || h >= first_hour + count) return std::nullopt;
    return static_cast<size_t>(h - first_hour);
  }
  json hours() const {
    json out = json::array();
    for (size_t i = 0; i < count; ++i) out.push_back((first_hour + i) * kHourUsec);
    return out;
  }
};

// The volume chart: entries per hour by priority ("0".."7", "none"), and errors per hour.
struct Volume {
  std::map<std::string, std::vector<uint64_t>> by_priority;
  std::vector<uint64_t> errors;
  uint64_t entries_total = 0;
  uint64_t errors_total = 0;
};

Volume sum_volume(const std::vector<storage::PriorityHour>& rows, const HourBuckets& buckets) {
  Volume v;
  for (int p = 0; p < 8; ++p) v.by_priority[std::to_string(p)].assign(buckets.count, 0);
  v.by_priority["none"].assign(buckets.count, 0);
  v.errors.assign(buckets.count, 0);
  for (const auto& r : rows) {
    std::optional<size_t> i = buckets.index(r.hour_usec);
    if (!i) continue;
    std::string key =
        r.priority == kNoPriority || r.priority > 7 ? "none" : std::to_string(r.priority);
    v.by_priority[key][*i] += r.entries;
    v.entries_total += r.entries;
    if (r.priority <= 3) {
      v.errors[*i] += r.entries;
      v.errors_total += r.entries;
    }
  }
  return v;
}

struct Counts {
  uint64_t entries = 0;
  uint64_t errors = 0;
};

// A host's row of the heatmap: entries and errors per hour.
struct HeatRow {
  std::vector<uint64_t> entries;
  std::vector<uint64_t> errors;
};

// The window's part of the host x unit x hour cells: the heatmap by host, totals by unit.
struct CellSums {
  std::map<std::string, HeatRow> heat;  // by host name
  std::map<std::string, Counts> units;  // by unit ("" for none)
};

CellSums sum_cells(const std::vector<storage::HostUnitHour>& cells, const HourBuckets& buckets) {
  CellSums out;
  for (const auto& c : cells) {
    std::optional<size_t> i = buckets.index(c.hour_usec);
    if (!i) continue;
    HeatRow& row = out.heat[c.host];
    if (row.entries.empty()) {
      row.entries.assign(buckets.count, 0);
      row.errors.assign(buckets.count, 0);
    }
    row.entries[*i] += c.entries;
    row.errors[*i] += c.errors;
    Counts& u = out.units[c.unit];
    u.entries += c.entries;
    u.errors += c.errors;
  }
  return out;
}

json heatmap_json(const std::map<std::string, HeatRow>& heat, const HourBuckets& buckets) {
  json hosts = json::array(), entries = json::array(), errors = json::array();
  for (const auto& [name, row] : heat) {
    hosts.push_back(text_or_bytes(name));
    entries.push_back(row.entries);
    errors.push_back(row.errors);
  }
  return {{"hosts", hosts}, {"hours", buckets.hours()}, {"entries", entries}, {"errors", errors}};
}

// The `top_n` units with the most errors, then the most entries (ties in name order).
json top_units_json(const std::map<std::string, Counts>& units, size_t top_n) {
  std::vector<std::pair<std::string, Counts>> list(units.begin(), units.end());
  std::stable_sort(list.begin(), list.end(), [](const auto& a, const auto& b) {
    return a.second.errors != b.second.errors ? a.second.errors > b.second.errors
                                              : a.second.entries > b.second.entries;
  });
  json out = json::array();
  for (size_t i = 0; i < list.size() && i < top_n; ++i) {
    out.push_back({{"unit", name_or_null(list[i].first)},
                   {"errors", list[i].second.errors},
                   {"entries", list[i].second.entries}});
  }
  return out;
}

json identifiers_json(const std::vector<storage::NameCount>& idents) {
  json out = json::array();
  for (const auto& t : idents) {
    out.push_back(
        {{"identifier", name_or_null(t.name)}, {"errors", t.errors}, {"entries", t.entries}});
  }
  return out;
}

// At most this many anomalies go out, the highest scores.
constexpr size_t kMaxAnomalies = 50;

json anomalies_json(const std::vector<Anomaly>& found) {
  json out = json::array();
  for (size_t i = 0; i < found.size() && i < kMaxAnomalies; ++i) {
    const Anomaly& a = found[i];
    out.push_back({{"host", text_or_bytes(a.host)},
                   {"unit", name_or_null(a.unit)},
                   {"hour", a.hour_usec},
                   {"kind", a.kind},
                   {"value", a.value},
                   {"baseline", a.baseline},
                   {"score", a.score}});
  }
  return out;
}

}  // namespace

Result<json> Dashboard::overview(const storage::TimeWindow& w,
                                 const std::optional<std::string>& host) {
  auto volume = reader_.volume_by_priority(w, host);
  if (!volume) return volume.status();
  // The cells reach back one anomaly baseline before the window, so its first hours have one.
  uint64_t baseline_usec = options_.anomalies.baseline_hours * kHourUsec;
  storage::TimeWindow wide{w.from_usec > baseline_usec ? w.from_usec - baseline_usec : 0,
                           w.to_usec};
  auto cells = reader_.host_unit_hours(wide, host);
  if (!cells) return cells.status();
  auto idents = reader_.top_identifiers(w, host, options_.top_n);
  if (!idents) return idents.status();

  HourBuckets buckets(w);
  Volume v = sum_volume(*volume, buckets);
  CellSums sums = sum_cells(*cells, buckets);
  json by_priority = json::object();
  for (const auto& [k, series] : v.by_priority) by_priority[k] = series;
  return json{
      {"totals",
       {{"entries", v.entries_total}, {"errors", v.errors_total}, {"hosts", sums.heat.size()}}},
      {"volume", {{"hours", buckets.hours()}, {"by_priority", by_priority}, {"errors", v.errors}}},
      {"heatmap", heatmap_json(sums.heat, buckets)},
      {"top_units", top_units_json(sums.units, options_.top_n)},
      {"top_identifiers", identifiers_json(*idents)},
      {"anomalies", anomalies_json(find_anomalies(*cells, w, options_.anomalies))}};
}

Result<json> Dashboard::hosts(const storage::TimeWindow& w) {
  auto hosts = reader_.hosts(w);
  if (!hosts) return hosts.status();
  uint64_t t = now();
  uint64_t stale_usec = static_cast<uint64_t>(options_.stale_after.count()) * 1000000;
  json out = json::array();
  for (const auto& h : *hosts) {
    json labels = json::parse(h.labels_json, nullptr, false);
    if (labels.is_discarded()) labels = json::object();
    json row = {{"host", text_or_bytes(h.host)},
                {"labels", labels},
                {"last_entry", nullptr},
                {"last_collected", nullptr},
                {"entries", h.entries},
                {"errors", h.errors},
                {"lag_s", nullptr},
                {"stale", true}};
    if (h.last_entry_usec) row["last_entry"] = *h.last_entry_usec;
    if (h.last_collected_usec) {
      row["last_collected"] = *h.last_collected_usec;
      row["stale"] = t > *h.last_collected_usec + stale_usec;
      if (h.last_entry_usec) {
        row["lag_s"] = static_cast<double>(*h.last_collected_usec -
                                           std::min(*h.last_collected_usec, *h.last_entry_usec)) /
                       1e6;
      }
    }
    out.push_back(row);
  }
  return json{{"hosts", out}};
}

json Dashboard::freshness() {
  json out = {{"replica_ok", false},
              {"heartbeat", nullptr},
              {"age_s", nullptr},
              {"stale", true},
              {"threshold_s", options_.stale_after.count()}};
  auto hb = reader_.heartbeat_usec();
  if (!hb) {
    out["error"] = hb.status().message();
    return out;
  }
  out["replica_ok"] = true;
  if (*hb) {
    uint64_t t = now();
    double age = static_cast<double>(t - std::min(t, **hb)) / 1e6;
    out["heartbeat"] = **hb;
    out["age_s"] = age;
    out["stale"] = age > static_cast<double>(options_.stale_after.count());
  }
  // How far behind live the replica is, on the replica's clock (LiveLag's two ages): since the
  // newest collector write it applied, and since the newest entry it has.
  out["last_write_age_s"] = nullptr;
  out["newest_entry_age_s"] = nullptr;
  auto progress = reader_.progress();
  if (progress) {
    auto age = [&](uint64_t t) {
      return static_cast<double>(progress->now_usec - std::min(progress->now_usec, t)) / 1e6;
    };
    if (progress->last_write_usec) out["last_write_age_s"] = age(*progress->last_write_usec);
    uint64_t newest = 0;
    for (const auto& h : progress->hosts) newest = std::max(newest, h.last_entry_usec);
    if (newest > 0) out["newest_entry_age_s"] = age(newest);
  } else if (progress.status().code() != StatusCode::kNotFound) {
    out["replica_ok"] = false;
    out["error"] = progress.status().message();
  }
  return out;
}

Result<json> Dashboard::gaps(const storage::TimeWindow& w, const std::optional<std::string>& host) {
  auto gaps = reader_.gaps(w, host);
  if (!gaps) return gaps.status();
  json out = json::array();
  for (const auto& g : *gaps) {
    out.push_back({{"host", text_or_bytes(g.host)},
                   {"last_cursor", text_or_bytes(g.last_cursor)},
                   {"first_cursor", text_or_bytes(g.first_cursor)},
                   {"first_entry", g.first_entry_usec},
                   {"reason", text_or_bytes(g.reason)},
                   {"detected", g.detected_usec}});
  }
  return json{{"gaps", out}};
}

namespace {

// An entry as /api/search and /api/context list it.
json row_json(const storage::SearchRow& r) {
  return {{"id", r.key.to_string()},
          {"host", text_or_bytes(r.host)},
          {"time", r.key.realtime_usec},
          {"priority", r.priority ? json(*r.priority) : json(nullptr)},
          {"unit", opt_text(r.unit)},
          {"identifier", opt_text(r.identifier)},
          {"pid", r.pid ? json(*r.pid) : json(nullptr)},
          {"message", opt_text(r.message)}};
}

}  // namespace

Result<json> Dashboard::search(const storage::SearchQuery& q) {
  auto page = reader_.search(q);
  if (!page) return page.status();
  json rows = json::array();
  for (const auto& r : page->rows) rows.push_back(row_json(r));
  return json{{"entries", rows},
              {"next", page->next ? json(page->next->to_string()) : json(nullptr)},
              {"partial", page->searched_from_usec.has_value()},
              {"searched_from",
               page->searched_from_usec ? json(*page->searched_from_usec) : json(nullptr)}};
}

Result<json> Dashboard::context(const storage::ContextQuery& q) {
  auto page = reader_.context(q);
  if (!page) return page.status();
  if (q.include_at && !page->at) return Status::not_found("no such entry");
  json rows = json::array();
  const storage::SearchRow* any = page->at ? &*page->at : nullptr;
  for (const auto& r : page->older) rows.push_back(row_json(r));
  if (page->at) rows.push_back(row_json(*page->at));
  for (const auto& r : page->newer) rows.push_back(row_json(r));
  if (!any && !page->older.empty()) any = &page->older.front();
  if (!any && !page->newer.empty()) any = &page->newer.front();
  // The next page that way starts from the outermost entry shown, or from q.at when that side
  // showed none (asked for 0).
  json older = nullptr, newer = nullptr;
  if (page->more_older) older = (page->older.empty() ? q.at : page->older.front().key).to_string();
  if (page->more_newer) newer = (page->newer.empty() ? q.at : page->newer.back().key).to_string();
  return json{{"host", any ? text_or_bytes(any->host) : json(nullptr)},
              {"anchor", q.include_at ? json(q.at.to_string()) : json(nullptr)},
              {"entries", rows},
              {"older", older},
              {"newer", newer}};
}

Result<json> Dashboard::entry(const storage::SearchKey& key) {
  auto d = reader_.entry(key);
  if (!d) return d.status();
  if (!*d) return Status::not_found("no such entry");
  json fields = json::parse((*d)->fields_json, nullptr, false);
  if (!fields.is_object()) return Status::corruption("the stored entry is not a JSON object");
  // The message column holds MESSAGE when the stored fields do not (docs/schema.md).
  if ((*d)->message && !fields.contains("MESSAGE")) {
    const std::string& m = *(*d)->message;
    if (is_printable_utf8(m, true)) {
      fields["MESSAGE"] = m;
    } else {
      json bytes = json::array();
      for (unsigned char c : m) bytes.push_back(c);
      fields["MESSAGE"] = bytes;
    }
  }
  return json{{"id", key.to_string()},
              {"host", text_or_bytes((*d)->host)},
              {"time", (*d)->realtime_usec},
              {"fields", fields}};
}

}  // namespace infralogs::dashboard

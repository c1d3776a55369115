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

Result<json> Dashboard::overview(const storage::TimeWindow& w,
                                 const std::optional<std::string>& host) {
  auto volume = reader_.volume_by_priority(w, host);
  if (!volume) return volume.status();
  uint64_t baseline_usec = options_.anomalies.baseline_hours * kHourUsec;
  storage::TimeWindow wide{w.from_usec > baseline_usec ? w.from_usec - baseline_usec : 0,
                           w.to_usec};
  auto cells = reader_.host_unit_hours(wide, host);
  if (!cells) return cells.status();
  auto idents = reader_.top_identifiers(w, host, options_.top_n);
  if (!idents) return idents.status();

  // One bucket per hour of the window.
  uint64_t first = w.from_usec / kHourUsec, end = (w.to_usec + kHourUsec - 1) / kHourUsec;
  size_t n = static_cast<size_t>(end - first);
  json hours = json::array();
  for (uint64_t h = first; h < end; ++h) hours.push_back(h * kHourUsec);
  std::map<std::string, std::vector<uint64_t>> by_priority;
  for (int p = 0; p < 8; ++p) by_priority[std::to_string(p)].assign(n, 0);
  by_priority["none"].assign(n, 0);
  std::vector<uint64_t> errors(n, 0);
  uint64_t total = 0, total_errors = 0;
  for (const auto& v : *volume) {
    uint64_t h = v.hour_usec / kHourUsec;
    if (h < first || h >= end) continue;
    std::string key =
        v.priority == kNoPriority || v.priority > 7 ? "none" : std::to_string(v.priority);
    by_priority[key][h - first] += v.entries;
    total += v.entries;
    if (v.priority <= 3) {
      errors[h - first] += v.entries;
      total_errors += v.entries;
    }
  }

  // Heatmap and top units from the window's part of the host x unit x hour cells.
  std::map<std::string, std::pair<std::vector<uint64_t>, std::vector<uint64_t>>> heat;
  std::map<std::string, std::pair<uint64_t, uint64_t>> units;
  for (const auto& c : *cells) {
    uint64_t h = c.hour_usec / kHourUsec;
    if (h < first || h >= end) continue;
    auto& row = heat[c.host];
    if (row.first.empty()) {
      row.first.assign(n, 0);
      row.second.assign(n, 0);
    }
    row.first[h - first] += c.entries;
    row.second[h - first] += c.errors;
    auto& u = units[c.unit];
    u.first += c.entries;
    u.second += c.errors;
  }
  json heat_hosts = json::array(), heat_entries = json::array(), heat_errors = json::array();
  for (const auto& [name, row] : heat) {
    heat_hosts.push_back(text_or_bytes(name));
    heat_entries.push_back(row.first);
    heat_errors.push_back(row.second);
  }
  std::vector<std::pair<std::string, std::pair<uint64_t, uint64_t>>> unit_list(units.begin(),
                                                                               units.end());
  std::sort(unit_list.begin(), unit_list.end(), [](const auto& a, const auto& b) {
    return a.second.second != b.second.second ? a.second.second > b.second.second
                                              : a.second.first > b.second.first;
  });
  json top_units = json::array();
  for (size_t i = 0; i < unit_list.size() && i < options_.top_n; ++i) {
    top_units.push_back({{"unit", name_or_null(unit_list[i].first)},
                         {"errors", unit_list[i].second.second},
                         {"entries", unit_list[i].second.first}});
  }
  json top_idents = json::array();
  for (const auto& t : *idents) {
    top_idents.push_back(
        {{"identifier", name_or_null(t.name)}, {"errors", t.errors}, {"entries", t.entries}});
  }
  json anomalies = json::array();
  for (const auto& a : find_anomalies(*cells, w, options_.anomalies)) {
    if (anomalies.size() >= 50) break;
    anomalies.push_back({{"host", text_or_bytes(a.host)},
                         {"unit", name_or_null(a.unit)},
                         {"hour", a.hour_usec},
                         {"kind", a.kind},
                         {"value", a.value},
                         {"baseline", a.baseline},
                         {"score", a.score}});
  }
  json bp = json::object();
  for (auto& [k, v] : by_priority) bp[k] = v;
  return json{{"totals", {{"entries", total}, {"errors", total_errors}, {"hosts", heat.size()}}},
              {"volume", {{"hours", hours}, {"by_priority", bp}, {"errors", errors}}},
              {"heatmap",
               {{"hosts", heat_hosts},
                {"hours", hours},
                {"entries", heat_entries},
                {"errors", heat_errors}}},
              {"top_units", top_units},
              {"top_identifiers", top_idents},
              {"anomalies", anomalies}};
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

Result<json> Dashboard::search(const storage::SearchQuery& q) {
  auto page = reader_.search(q);
  if (!page) return page.status();
  json rows = json::array();
  for (const auto& r : page->rows) {
    rows.push_back({{"id", r.key.to_string()},
                    {"host", text_or_bytes(r.host)},
                    {"time", r.key.realtime_usec},
                    {"priority", r.priority ? json(*r.priority) : json(nullptr)},
                    {"unit", opt_text(r.unit)},
                    {"identifier", opt_text(r.identifier)},
                    {"pid", r.pid ? json(*r.pid) : json(nullptr)},
                    {"message", opt_text(r.message)}});
  }
  return json{{"entries", rows},
              {"next", page->next ? json(page->next->to_string()) : json(nullptr)}};
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

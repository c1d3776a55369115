#include "search_sql.h"

#include <algorithm>
#include <string>

namespace infralogs::storage {
namespace {

// Valid UTF-8 as utf8mb4 takes it: no overlong forms, surrogates or code points past U+10FFFF.
bool valid_utf8(const std::string& s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t n = s.size(), i = 0;
  while (i < n) {
    unsigned c = p[i];
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + len > n) return false;
    uint32_t cp = len == 1 ? c : c & (0x7F >> len);
    for (size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

}  // namespace

bool caseless_text(const SearchQuery& q) {
  if (q.exact_case || q.text.empty() || !valid_utf8(q.text)) return false;
  return std::any_of(q.text.begin(), q.text.end(), [](char ch) {
    auto c = static_cast<unsigned char>(ch);
    return c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  });
}

std::string caseless_pattern(const std::string& text) {
  std::string out = "(?i)\\Q";
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size() && text[i + 1] == 'E') {
      out += "\\E\\\\E\\Q";
      ++i;
    } else {
      out += text[i];
    }
  }
  return out + "\\E";
}

SearchKey resume_key(uint64_t usec, uint64_t slice_usec) {
  return {usec, 0, std::string(16, '\0'), slice_usec};
}

bool is_resume_key(const SearchKey& key) {
  return key.host_id == 0 && key.seqnum_id == std::string(16, '\0');
}

std::optional<uint64_t> carried_slice_usec(const std::optional<SearchKey>& after) {
  if (!after || !is_resume_key(*after) || after->seqnum == 0) return std::nullopt;
  return after->seqnum;
}

uint64_t search_end_usec(const SearchQuery& q) {
  if (!q.after) return q.window.to_usec;
  uint64_t t = q.after->realtime_usec;
  return std::min(q.window.to_usec, is_resume_key(*q.after) ? t : t + 1);
}

double walk_limit_ms(unsigned budget_ms) { return std::max(budget_ms / 3.0, 1.0); }

uint64_t next_slice_usec(uint64_t span, double took_ms, double left_ms) {
  constexpr uint64_t kSecond = 1000000;
  double factor = took_ms <= 0 ? 4.0 : std::clamp(left_ms / 3 / took_ms, 0.25, 4.0);
  double next = static_cast<double>(span) * factor;
  return next < kSecond ? kSecond
         : next > 1e18  ? static_cast<uint64_t>(1e18)
                        : static_cast<uint64_t>(next);
}

uint64_t carried_slice_usec(uint64_t span, double took_ms, unsigned budget_ms) {
  if (budget_ms == 0) return next_slice_usec(span, 0, 0);
  return next_slice_usec(span, took_ms, budget_ms);
}

SearchPlan first_plan(const SearchQuery& q) {
  bool continues_partial = q.after && is_resume_key(*q.after);
  return !q.host && !q.unit && !continues_partial ? SearchPlan::kTimeWalk : SearchPlan::kSlice;
}

SqlBuilder search_statement(const SearchQuery& q, SearchPlan plan, size_t walk_rows) {
  bool walk = plan == SearchPlan::kTimeWalk;
  SqlBuilder b(
      "SELECT e.realtime_us, e.host_id, e.seqnum_id, e.seqnum, h.name, e.priority, e.unit, "
      "e.identifier, e.pid, "
      "e.message ");
  // The index whose order, read backwards, is the page's: (realtime_us, then the primary key),
  // or with a constant host or unit first.
  const char* index = walk || (!q.host && !q.unit) ? "ix_entries_time"
                      : q.host                     ? "ix_entries_host_time"
                                                   : "ix_entries_unit_time";
  b.sql(std::string("FROM entries e FORCE INDEX (") + index +
        ") STRAIGHT_JOIN hosts h ON h.host_id = e.host_id ");
  // A page after `after` ends at its time: nothing newer can follow it.
  b.sql("WHERE e.realtime_us >= ? AND e.realtime_us < ? ")
      .u64(q.window.from_usec)
      .u64(search_end_usec(q));
  if (q.host) b.sql("AND e.host_id = (SELECT host_id FROM hosts WHERE name = ?) ").str(*q.host);
  if (q.unit) b.sql("AND e.unit = ? ").str(*q.unit);
  if (q.max_priority) b.sql("AND e.priority <= ? ").u64(static_cast<uint64_t>(*q.max_priority));
  if (caseless_text(q)) {
    // The message as utf8mb4 (an invalid byte becomes '?'), matched by PCRE2 in UTF mode with
    // (?i): Unicode simple case folding. The binary collation keeps MariaDB from adding its
    // own CASELESS flag, so the pattern alone decides. A regular expression rather than
    // LOCATE or LIKE under a _ci collation: measured 1.5x the byte LOCATE against 4-10x for
    // those (docs/performance.md).
    b.sql("AND CONVERT(e.message USING utf8mb4) COLLATE utf8mb4_bin REGEXP ? ")
        .str(caseless_pattern(q.text));
  } else if (!q.text.empty()) {
    // LOCATE on a BLOB compares bytes: case-sensitive, and no LIKE wildcards to escape.
    b.sql("AND LOCATE(?, e.message) > 0 ").str(q.text);
  }
  if (q.after && !is_resume_key(*q.after)) {  // a resume key's end is the whole condition
    b.sql(
         "AND (e.realtime_us < ? OR (e.realtime_us = ? AND (e.host_id, e.seqnum_id, e.seqnum) < "
         "(?, ?, ?))) ")
        .u64(q.after->realtime_usec)
        .u64(q.after->realtime_usec)
        .u64(q.after->host_id)
        .str(q.after->seqnum_id)
        .u64(q.after->seqnum);
  }
  // Each index holds (its host or unit, realtime_us, then the rest of the primary key), so with
  // the host or unit fixed a backward scan returns exactly the full-key order; spelling that
  // out would make MariaDB sort every matching row of the window, as it does not use a
  // partitioned table's primary key columns in a secondary index for ORDER BY. The walk gives
  // up after walk_rows rows (rare or absent text).
  b.sql("ORDER BY e.realtime_us DESC LIMIT ?");
  if (walk) b.sql(" ROWS EXAMINED " + std::to_string(walk_rows));
  b.u64(q.limit + 1);
  return b;
}

bool walk_answered(size_t rows, unsigned int warnings, size_t limit, bool within_time_limit) {
  return rows > limit || (warnings == 0 && within_time_limit);
}

Result<SearchPage> search_page(const std::vector<Row>& rows, size_t limit) {
  SearchPage page;
  for (size_t i = 0; i < rows.size() && i < limit; ++i) {
    RowReader r(rows[i], "search");
    SearchRow row;
    uint64_t host_id = r.u64(1);
    row.key = {r.u64(0), static_cast<uint32_t>(host_id), r.text(2), r.u64(3)};
    row.host = r.text(4);
    if (auto p = r.opt_u64(5)) row.priority = static_cast<int>(*p);
    row.unit = r.opt_text(6);
    row.identifier = r.opt_text(7);
    if (auto pid = r.opt_u64(8)) row.pid = static_cast<uint32_t>(*pid);
    row.message = r.opt_text(9);
    if (!r.status().is_ok()) return r.status();
    page.rows.push_back(std::move(row));
  }
  if (rows.size() > limit && !page.rows.empty()) page.next = page.rows.back().key;
  return page;
}

}  // namespace infralogs::storage

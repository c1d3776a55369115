// MariaDbLogReader::context's statements (context_sql.h).

#include <algorithm>
#include <string>

#include "context_sql.h"

namespace infralogs::storage {
namespace {

constexpr const char* kColumns =
    "SELECT e.realtime_us, e.host_id, e.seqnum_id, e.seqnum, h.name, e.priority, e.unit, "
    "e.identifier, e.pid, e.message ";

Status parse_row(const Row& row, SearchRow* out) {
  RowReader r(row, "context");
  out->key = {r.u64(0), static_cast<uint32_t>(r.u64(1)), r.text(2), r.u64(3)};
  out->host = r.text(4);
  if (auto p = r.opt_u64(5)) out->priority = static_cast<int>(*p);
  out->unit = r.opt_text(6);
  out->identifier = r.opt_text(7);
  if (auto pid = r.opt_u64(8)) out->pid = static_cast<uint32_t>(*pid);
  out->message = r.opt_text(9);
  return r.status();
}

}  // namespace

SqlBuilder context_statement(const ContextQuery& q, ContextSide side, size_t limit) {
  bool newer = side == ContextSide::kNewer;
  SqlBuilder b(kColumns);
  b.sql(q.unit ? "FROM entries e FORCE INDEX (ix_entries_unit_time) "
               : "FROM entries e FORCE INDEX (ix_entries_host_time) ");
  b.sql("STRAIGHT_JOIN hosts h ON h.host_id = e.host_id WHERE ");
  if (q.unit) b.sql("e.unit = ? AND ").str(*q.unit);
  b.sql("e.host_id = ? ").u64(q.at.host_id);
  // The range the index walk starts from (q.at's time), then the ties at that time on the
  // right side of q.at.
  b.sql(newer
            ? "AND e.realtime_us >= ? AND (e.realtime_us > ? OR (e.seqnum_id, e.seqnum) > (?, ?)) "
            : "AND e.realtime_us <= ? AND (e.realtime_us < ? OR (e.seqnum_id, e.seqnum) < (?, ?)) ")
      .u64(q.at.realtime_usec)
      .u64(q.at.realtime_usec)
      .str(q.at.seqnum_id)
      .u64(q.at.seqnum);
  b.sql(newer ? "ORDER BY e.realtime_us ASC LIMIT ?" : "ORDER BY e.realtime_us DESC LIMIT ?")
      .u64(limit + 1);
  return b;
}

SqlBuilder context_at_statement(const SearchKey& key) {
  SqlBuilder b(kColumns);
  b.sql(
       "FROM entries e STRAIGHT_JOIN hosts h ON h.host_id = e.host_id WHERE e.host_id = ? AND "
       "e.seqnum_id = ? AND e.seqnum = ? AND e.realtime_us = ?")
      .u64(key.host_id)
      .str(key.seqnum_id)
      .u64(key.seqnum)
      .u64(key.realtime_usec);
  return b;
}

Status context_rows(const std::vector<Row>& rows, ContextSide side, size_t limit,
                    std::vector<SearchRow>* out, bool* more) {
  out->clear();
  for (size_t i = 0; i < rows.size() && i < limit; ++i) {
    SearchRow row;
    if (Status s = parse_row(rows[i], &row); !s.is_ok()) return s;
    out->push_back(std::move(row));
  }
  *more = rows.size() > limit;
  // Older rows come nearest first (a backward walk).
  if (side == ContextSide::kOlder) std::reverse(out->begin(), out->end());
  return Status::ok();
}

Result<ContextPage> read_context(const ContextQuery& q, const RunQuery& run) {
  ContextPage page;
  if (q.include_at) {
    SqlBuilder b = context_at_statement(q.at);
    auto rows = run(b);
    if (!rows) return rows.status();
    if (!rows->empty()) {
      SearchRow row;
      if (Status s = parse_row(rows->front(), &row); !s.is_ok()) return s;
      page.at = std::move(row);
    }
  }
  for (ContextSide side : {ContextSide::kOlder, ContextSide::kNewer}) {
    const std::optional<size_t>& n = side == ContextSide::kOlder ? q.before : q.after;
    if (!n) continue;
    SqlBuilder b = context_statement(q, side, *n);
    auto rows = run(b);
    if (!rows) return rows.status();
    bool older = side == ContextSide::kOlder;
    Status s = context_rows(*rows, side, *n, older ? &page.older : &page.newer,
                            older ? &page.more_older : &page.more_newer);
    if (!s.is_ok()) return s;
  }
  return page;
}

}  // namespace infralogs::storage

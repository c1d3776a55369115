#include "entry_insert.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace infralogs::storage {
namespace {

// Column arrays for one bulk INSERT into entries (MariaDB column-wise array binding: fixed-size
// values in plain arrays, variable-size ones as arrays of pointers and lengths).
struct EntryColumns {
  static constexpr int kCount = 15;
  explicit EntryColumns(size_t n)
      : host(n), seqnum(n), realtime(n), monotonic(n), priority(n), pid(n), uid(n) {
    for (int c = 0; c < kCount; ++c) {
      ptr[c].resize(n);
      len[c].resize(n);
      ind[c].assign(n, STMT_INDICATOR_NONE);
    }
  }
  void text(int c, size_t i, const std::string& v, size_t width) {
    ptr[c][i] = v.data();
    len[c][i] = std::min(v.size(), width);
  }
  void text(int c, size_t i, const std::optional<std::string>& v, size_t width) {
    if (v)
      text(c, i, *v, width);
    else
      ind[c][i] = STMT_INDICATOR_NULL;
  }
  void bind(MYSQL_BIND* b) {
    std::memset(b, 0, sizeof(MYSQL_BIND) * kCount);
    auto fixed = [&](int c, enum_field_types t, void* buf) {
      b[c].buffer_type = t;
      b[c].buffer = buf;
      b[c].is_unsigned = 1;
      b[c].u.indicator = ind[c].data();
    };
    auto var = [&](int c) {
      b[c].buffer_type = MYSQL_TYPE_BLOB;
      b[c].buffer = ptr[c].data();
      b[c].length = len[c].data();
      b[c].u.indicator = ind[c].data();
    };
    fixed(0, MYSQL_TYPE_LONG, host.data());
    var(1);
    fixed(2, MYSQL_TYPE_LONGLONG, seqnum.data());
    fixed(3, MYSQL_TYPE_LONGLONG, realtime.data());
    fixed(4, MYSQL_TYPE_LONGLONG, monotonic.data());
    var(5);
    fixed(6, MYSQL_TYPE_TINY, priority.data());
    var(7);
    var(8);
    fixed(9, MYSQL_TYPE_LONG, pid.data());
    fixed(10, MYSQL_TYPE_LONG, uid.data());
    var(11);
    var(12);
    var(13);
    var(14);
  }

  std::vector<uint32_t> host;
  std::vector<uint64_t> seqnum, realtime, monotonic;
  std::vector<uint8_t> priority;
  std::vector<uint32_t> pid, uid;
  std::vector<const char*> ptr[kCount];
  std::vector<unsigned long> len[kCount];
  std::vector<char> ind[kCount];
};

constexpr const char* kInsertEntryText =
    "INSERT INTO entries (host_id, seqnum_id, seqnum, realtime_us, monotonic_us, boot_id, "
    "priority, "
    "unit, identifier, pid, uid, comm, transport, message, fields) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

}  // namespace

const char* const kInsertEntry = kInsertEntryText;

Status insert_entries_bulk(Connection& conn, uint32_t host, const std::vector<LogEntry>& es,
                           size_t begin, size_t end) {
  size_t n = end - begin;
  EntryColumns cols(n);
  for (size_t i = 0; i < n; ++i) {
    const LogEntry& e = es[begin + i];
    cols.host[i] = host;
    cols.text(1, i, e.seqnum_id, 16);
    cols.seqnum[i] = e.seqnum;
    cols.realtime[i] = e.realtime_usec;
    cols.monotonic[i] = e.monotonic_usec;
    if (e.boot_id.size() == 16)
      cols.text(5, i, e.boot_id, 16);
    else
      cols.ind[5][i] = STMT_INDICATOR_NULL;
    if (e.priority)
      cols.priority[i] = static_cast<uint8_t>(*e.priority);
    else
      cols.ind[6][i] = STMT_INDICATOR_NULL;
    // Columns are capped at their width; `fields` keeps every value whole.
    cols.text(7, i, e.unit, 255);
    cols.text(8, i, e.identifier, 255);
    if (e.pid)
      cols.pid[i] = *e.pid;
    else
      cols.ind[9][i] = STMT_INDICATOR_NULL;
    if (e.uid)
      cols.uid[i] = *e.uid;
    else
      cols.ind[10][i] = STMT_INDICATOR_NULL;
    cols.text(11, i, e.comm, 255);
    cols.text(12, i, e.transport, 64);
    cols.text(13, i, e.message, SIZE_MAX);
    cols.text(14, i, e.fields_json, SIZE_MAX);
  }
  auto st = conn.prepare(kInsertEntryText);
  if (!st) return st.status();
  MYSQL_BIND binds[EntryColumns::kCount];
  cols.bind(binds);
  unsigned int rows = static_cast<unsigned int>(n);
  mysql_stmt_attr_set(*st, STMT_ATTR_ARRAY_SIZE, &rows);
  if (mysql_stmt_bind_param(*st, binds) != 0) return conn.fail("bind entries", *st);
  if (mysql_stmt_execute(*st) != 0) return conn.fail("insert entries", *st);
  return Status::ok();
}

}  // namespace infralogs::storage

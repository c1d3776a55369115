#include "entry_insert.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>

namespace infralogs::storage {
namespace {

// The entries INSERT with its 15 parameters, in the column order of the table.
constexpr const char* kInsertEntry =
    "INSERT INTO entries (host_id, seqnum_id, seqnum, realtime_us, monotonic_us, boot_id, "
    "priority, "
    "unit, identifier, pid, uid, comm, transport, message, fields) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

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
  // The columns in the order of kInsertEntry's placeholders.
  void bind(ColumnBinder& b) {
    b.numbers(host, &ind[0]);
    b.strings(ptr[1], len[1], &ind[1]);
    b.numbers(seqnum, &ind[2]);
    b.numbers(realtime, &ind[3]);
    b.numbers(monotonic, &ind[4]);
    b.strings(ptr[5], len[5], &ind[5]);
    b.numbers(priority, &ind[6]);
    b.strings(ptr[7], len[7], &ind[7]);
    b.strings(ptr[8], len[8], &ind[8]);
    b.numbers(pid, &ind[9]);
    b.numbers(uid, &ind[10]);
    for (int c = 11; c < kCount; ++c) b.strings(ptr[c], len[c], &ind[c]);
  }

  std::vector<uint32_t> host;
  std::vector<uint64_t> seqnum, realtime, monotonic;
  std::vector<uint8_t> priority;
  std::vector<uint32_t> pid, uid;
  std::vector<const char*> ptr[kCount];
  std::vector<unsigned long> len[kCount];
  std::vector<char> ind[kCount];
};

}  // namespace

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
  ColumnBinder binder(n);
  cols.bind(binder);
  return conn.execute_bulk("insert entries", kInsertEntry, binder);
}

}  // namespace infralogs::storage

#include "entry_insert.h"

#include <algorithm>
#include <charconv>
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
    if (v) text(c, i, *v, width);
    else ind[c][i] = STMT_INDICATOR_NULL;
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
    "INSERT INTO entries (host_id, seqnum_id, seqnum, realtime_us, monotonic_us, boot_id, priority, "
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
    if (e.boot_id.size() == 16) cols.text(5, i, e.boot_id, 16);
    else cols.ind[5][i] = STMT_INDICATOR_NULL;
    if (e.priority) cols.priority[i] = static_cast<uint8_t>(*e.priority);
    else cols.ind[6][i] = STMT_INDICATOR_NULL;
    // Columns are capped at their width; `fields` keeps every value whole.
    cols.text(7, i, e.unit, 255);
    cols.text(8, i, e.identifier, 255);
    if (e.pid) cols.pid[i] = *e.pid;
    else cols.ind[9][i] = STMT_INDICATOR_NULL;
    if (e.uid) cols.uid[i] = *e.uid;
    else cols.ind[10][i] = STMT_INDICATOR_NULL;
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

void append_load_data_field(std::string& out, std::string_view v) {
  size_t start = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    char c = v[i], esc;
    switch (c) {
      case '\\': esc = '\\'; break;
      case '\t': esc = 't'; break;
      case '\n': esc = 'n'; break;
      case '\0': esc = '0'; break;
      default: continue;
    }
    out.append(v.data() + start, i - start);
    out.push_back('\\');
    out.push_back(esc);
    start = i + 1;
  }
  out.append(v.data() + start, v.size() - start);
}

namespace {

constexpr const char* kLoadEntries =
    "LOAD DATA LOCAL INFILE 'infralogs-entries' INTO TABLE entries CHARACTER SET binary "
    "FIELDS TERMINATED BY '\\t' ENCLOSED BY '' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' STARTING BY '' "
    "(host_id, seqnum_id, seqnum, realtime_us, monotonic_us, boot_id, priority, unit, identifier, pid, uid, comm, "
    "transport, message, fields)";

void put_number(std::string& out, uint64_t v) {
  char buf[24];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, p);
}

void put_text(std::string& out, const std::optional<std::string>& v, size_t width) {
  if (v) append_load_data_field(out, std::string_view(*v).substr(0, width));
  else out += "\\N";
}

template <typename T>
void put_number(std::string& out, const std::optional<T>& v) {
  if (v) put_number(out, static_cast<uint64_t>(*v));
  else out += "\\N";
}

// The first warnings of the last statement, for the error message.
std::string warnings(Connection& conn) {
  std::string out;
  if (mysql_real_query(conn.m, "SHOW WARNINGS LIMIT 3", 21) != 0) return out;
  MYSQL_RES* r = mysql_store_result(conn.m);
  if (!r) return out;
  while (MYSQL_ROW row = mysql_fetch_row(r)) {
    if (!out.empty()) out += "; ";
    out += row[2] ? row[2] : "";
  }
  mysql_free_result(r);
  return out;
}

}  // namespace

Status insert_entries_load_data(Connection& conn, uint32_t host, const std::vector<LogEntry>& es, size_t begin,
                                size_t end, bool* refused) {
  *refused = false;
  std::string rows;
  size_t bytes = 0;
  for (size_t i = begin; i < end; ++i) {
    bytes += es[i].fields_json.size() + (es[i].message ? es[i].message->size() : 0) + 160;
  }
  rows.reserve(bytes + bytes / 16);
  for (size_t i = begin; i < end; ++i) {
    const LogEntry& e = es[i];
    put_number(rows, host);
    rows += '\t';
    append_load_data_field(rows, std::string_view(e.seqnum_id).substr(0, 16));
    rows += '\t';
    put_number(rows, e.seqnum);
    rows += '\t';
    put_number(rows, e.realtime_usec);
    rows += '\t';
    put_number(rows, e.monotonic_usec);
    rows += '\t';
    if (e.boot_id.size() == 16) append_load_data_field(rows, e.boot_id);
    else rows += "\\N";
    rows += '\t';
    put_number(rows, e.priority);
    rows += '\t';
    // Columns are capped at their width; `fields` keeps every value whole.
    put_text(rows, e.unit, 255);
    rows += '\t';
    put_text(rows, e.identifier, 255);
    rows += '\t';
    put_number(rows, e.pid);
    rows += '\t';
    put_number(rows, e.uid);
    rows += '\t';
    put_text(rows, e.comm, 255);
    rows += '\t';
    put_text(rows, e.transport, 64);
    rows += '\t';
    put_text(rows, e.message, SIZE_MAX);
    rows += '\t';
    append_load_data_field(rows, e.fields_json);
    rows += '\n';
  }
  conn.infile_rows = &rows;
  conn.infile_sent = 0;
  int rc = mysql_real_query(conn.m, kLoadEntries, std::strlen(kLoadEntries));
  conn.infile_rows = nullptr;
  if (rc != 0) {
    unsigned int e = mysql_errno(conn.m);
    if (e == ER_NOT_ALLOWED_COMMAND || e == ER_LOAD_INFILE_CAPABILITY_DISABLED) {
      *refused = true;
      return Status::internal(std::string("LOAD DATA LOCAL INFILE: ") + mysql_error(conn.m));
    }
    return conn.fail("load entries");
  }
  uint64_t stored = mysql_affected_rows(conn.m);
  unsigned int warned = mysql_warning_count(conn.m);
  if (stored != end - begin || warned != 0) {
    return Status::internal("load entries: the server stored " + std::to_string(stored) + " of " +
                            std::to_string(end - begin) + " rows with " + std::to_string(warned) +
                            " warnings: " + warnings(conn));
  }
  return Status::ok();
}

}  // namespace infralogs::storage

// Measures the ways the MariaDB C client can insert entries rows, on the real table:
//   row:        one prepared single-row INSERT executed per row
//   multi-row:  a prepared INSERT with 100 VALUES tuples per execution
//   bulk:       MariaDB's array binding, one execution per chunk of 5000 rows, column-wise with
//               the collector's column types (src/storage/entry_insert.cpp)
//   load-data:  LOAD DATA LOCAL INFILE from memory, one statement per batch (rows encoded here,
//               sent by an infile handler that serves only that buffer)
// Each commits every --batch rows, as the collector commits per page. Prints one JSON line per
// method and run. Usage: insert-paths-bench --db mysql://H:P/DB --db-credentials-file F
//   [--rows N] [--batch N] [--repeat N] [--only METHOD]
// Benchmark code: it opens its own connection (with LOAD DATA LOCAL INFILE allowed, which the
// product never allows) and keeps its own SQL; it uses only the product's public headers.

#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "infralogs/core/log_entry.h"
#include "infralogs/core/status.h"
#include "infralogs/secrets/credential_source.h"
#include "infralogs/storage/mariadb_options.h"

using namespace infralogs;

namespace {

std::vector<LogEntry> make_entries(size_t n) {
  std::mt19937_64 rng(7);
  std::vector<LogEntry> out(n);
  const char* words[] = {"connection", "from",   "accepted", "failed",  "password",    "user",
                         "session",    "opened", "closed",   "GET",     "/index.html", "200",
                         "upstream",   "timed",  "out",      "kernel:", "eth0"};
  for (size_t i = 0; i < n; ++i) {
    LogEntry& e = out[i];
    e.seqnum_id = std::string(16, '\x42');
    e.seqnum = i + 1;
    e.realtime_usec = 1735689600000000ULL + i * 1000;
    e.monotonic_usec = i * 1000;
    e.boot_id = std::string(16, '\x17');
    e.priority = static_cast<int>(rng() % 8);
    e.unit = "nginx.service";
    e.identifier = "nginx";
    e.pid = 1234;
    e.uid = 33;
    e.comm = "nginx";
    e.transport = "stdout";
    std::string msg;
    while (msg.size() < 80 + rng() % 120) msg += std::string(words[rng() % 17]) + " ";
    e.message = msg;
    e.cursor =
        "s=42424242424242424242424242424242;i=" + std::to_string(i + 1) + ";b=17;m=1;t=1;x=1";
    e.fields_json =
        "{\"__CURSOR\":\"" + e.cursor + "\",\"__REALTIME_TIMESTAMP\":\"" +
        std::to_string(e.realtime_usec) + "\",\"__MONOTONIC_TIMESTAMP\":\"" +
        std::to_string(e.monotonic_usec) +
        "\",\"_BOOT_ID\":\"17171717171717171717171717171717\",\"PRIORITY\":\"" +
        std::to_string(*e.priority) +
        "\",\"_SYSTEMD_UNIT\":\"nginx.service\",\"SYSLOG_IDENTIFIER\":\"nginx\",\"_PID\":\"1234\","
        "\"_UID\":\"33\","
        "\"_GID\":\"33\",\"_COMM\":\"nginx\",\"_EXE\":\"/usr/sbin/nginx\",\"_CMDLINE\":\"nginx: "
        "worker process\","
        "\"_TRANSPORT\":\"stdout\",\"_HOSTNAME\":\"vm-01\",\"_MACHINE_ID\":"
        "\"0123456789abcdef0123456789abcdef\","
        "\"_SYSTEMD_SLICE\":\"system.slice\",\"_SYSTEMD_CGROUP\":\"/system.slice/nginx.service\","
        "\"SYSLOG_FACILITY\":\"3\",\"_CAP_EFFECTIVE\":\"0\"}";
  }
  return out;
}

// The entries INSERT with its 15 parameters, in the column order of the table (as the
// collector's).
constexpr const char* kInsertEntry =
    "INSERT INTO entries (host_id, seqnum_id, seqnum, realtime_us, monotonic_us, boot_id, "
    "priority, unit, identifier, pid, uid, comm, transport, message, fields) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr int kColumns = 15;

// The benchmark's connection, with its prepared statements.
class Connection {
 public:
  explicit Connection(MYSQL* m) : m(m) {}
  ~Connection() {
    for (auto& [sql, st] : stmts_) mysql_stmt_close(st);
    mysql_close(m);
  }
  Status fail(const char* what) {
    return Status::internal(std::string(what) + ": " + mysql_error(m));
  }
  Status fail(const char* what, MYSQL_STMT* st) {
    return Status::internal(std::string(what) + ": " + mysql_stmt_error(st));
  }
  Status check(bool ok, const char* what) { return ok ? Status::ok() : fail(what); }
  Status query(const std::string& sql) {
    if (mysql_real_query(m, sql.data(), sql.size()) != 0) return fail("query");
    if (MYSQL_RES* r = mysql_store_result(m)) mysql_free_result(r);
    return Status::ok();
  }
  Result<MYSQL_STMT*> prepare(const std::string& sql) {
    auto it = stmts_.find(sql);
    if (it != stmts_.end()) return it->second;
    MYSQL_STMT* st = mysql_stmt_init(m);
    if (!st) return fail("mysql_stmt_init");
    if (mysql_stmt_prepare(st, sql.data(), sql.size()) != 0) {
      Status s = fail("prepare", st);
      mysql_stmt_close(st);
      return s;
    }
    stmts_[sql] = st;
    return st;
  }

  MYSQL* m;

 private:
  std::map<std::string, MYSQL_STMT*> stmts_;
};

Result<std::unique_ptr<Connection>> connect(const storage::MariaDbConnectionOptions& o,
                                            const Credentials& creds) {
  mysql_library_init(0, nullptr, nullptr);
  MYSQL* m = mysql_init(nullptr);
  if (!m) return Status::internal("mysql_init failed");
  auto c = std::make_unique<Connection>(m);
  unsigned long max_packet = 1UL << 30;
  my_bool local_infile = 1;  // this benchmark's connection only, for the load-data method
  mysql_options(m, MYSQL_OPT_MAX_ALLOWED_PACKET, &max_packet);
  mysql_options(m, MYSQL_OPT_LOCAL_INFILE, &local_infile);
  mysql_options(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  mysql_options(m, MYSQL_INIT_COMMAND, "SET time_zone = '+00:00'");
  if (!mysql_real_connect(m, o.host.c_str(), creds.username.c_str(), creds.password.c_str(),
                          o.database.c_str(), static_cast<unsigned int>(o.port), nullptr, 0)) {
    return Status::unavailable("cannot connect to " + o.host + ":" + std::to_string(o.port) + "/" +
                               o.database + " as " + creds.username + ": " + mysql_error(m));
  }
  return c;
}

// Splits the day partitions the rows need off pmax, as the collector does before a batch
// (the benchmark's database is new: the days are not there yet, or were made by an earlier run).
Status add_day_partitions(Connection& c, const std::vector<LogEntry>& es) {
  constexpr uint64_t kDayUsec = 86400ULL * 1000000ULL;
  std::set<uint64_t> days;
  for (const LogEntry& e : es) days.insert(e.realtime_usec / kDayUsec);
  if (days.empty()) return Status::ok();
  std::string sql = "ALTER TABLE entries REORGANIZE PARTITION pmax INTO (";
  for (uint64_t d : days) {
    sql += "PARTITION pbench" + std::to_string(d) + " VALUES LESS THAN (" +
           std::to_string((d + 1) * kDayUsec) + "), ";
  }
  sql += "PARTITION pmax VALUES LESS THAN MAXVALUE)";
  Status s = c.query(sql);
  unsigned int e = mysql_errno(c.m);
  if (!s.is_ok() && (e == ER_SAME_NAME_PARTITION || e == ER_RANGE_NOT_INCREASING_ERROR))
    return Status::ok();
  return s;
}

// Binds one row's 15 parameters into b[0..14] (values must outlive the execution).
void bind_row(const LogEntry& e, const uint32_t& host, MYSQL_BIND* b, unsigned long* lens) {
  std::memset(b, 0, sizeof(MYSQL_BIND) * kColumns);
  auto num = [&](int i, enum_field_types t, const void* v) {
    b[i].buffer_type = t;
    b[i].buffer = const_cast<void*>(v);
    b[i].is_unsigned = 1;
  };
  auto str = [&](int i, const std::string& v) {
    b[i].buffer_type = MYSQL_TYPE_BLOB;
    b[i].buffer = const_cast<char*>(v.data());
    lens[i] = v.size();
    b[i].buffer_length = lens[i];
    b[i].length = &lens[i];
  };
  num(0, MYSQL_TYPE_LONG, &host);
  str(1, e.seqnum_id);
  num(2, MYSQL_TYPE_LONGLONG, &e.seqnum);
  num(3, MYSQL_TYPE_LONGLONG, &e.realtime_usec);
  num(4, MYSQL_TYPE_LONGLONG, &e.monotonic_usec);
  str(5, e.boot_id);
  num(6, MYSQL_TYPE_LONG, &*e.priority);
  str(7, *e.unit);
  str(8, *e.identifier);
  num(9, MYSQL_TYPE_LONG, &*e.pid);
  num(10, MYSQL_TYPE_LONG, &*e.uid);
  str(11, *e.comm);
  str(12, *e.transport);
  str(13, *e.message);
  str(14, e.fields_json);
}

Status insert_rows(Connection& c, const std::vector<LogEntry>& es, size_t begin, size_t end,
                   size_t per_statement) {
  uint32_t host = 1;
  std::string sql = std::string(kInsertEntry);
  std::string tuple = sql.substr(sql.find("(?"));
  for (size_t k = 1; k < per_statement; ++k) sql += ", " + tuple;
  auto st = c.prepare(sql);
  if (!st) return st.status();
  unsigned int single = 0;
  mysql_stmt_attr_set(*st, STMT_ATTR_ARRAY_SIZE, &single);
  std::vector<MYSQL_BIND> b(kColumns * per_statement);
  std::vector<unsigned long> lens(kColumns * per_statement);
  for (size_t i = begin; i < end; i += per_statement) {
    for (size_t k = 0; k < per_statement; ++k)
      bind_row(es[i + k], host, &b[kColumns * k], &lens[kColumns * k]);
    if (mysql_stmt_bind_param(*st, b.data()) != 0) return c.fail("bind", *st);
    if (mysql_stmt_execute(*st) != 0) return c.fail("execute", *st);
  }
  return Status::ok();
}

// One bulk execution of es[begin, end): the columns as arrays (fixed-size values in plain
// arrays, byte strings as pointers and lengths, NULL through indicators), typed as the
// collector binds them.
Status insert_bulk_chunk(Connection& c, const std::vector<LogEntry>& es, size_t begin, size_t end) {
  size_t n = end - begin;
  std::vector<uint32_t> host(n, 1), pid(n), uid(n);
  std::vector<uint64_t> seqnum(n), realtime(n), monotonic(n);
  std::vector<uint8_t> priority(n);
  std::vector<const char*> ptr[kColumns];
  std::vector<unsigned long> len[kColumns];
  std::vector<char> ind[kColumns];
  for (int k = 0; k < kColumns; ++k) {
    ptr[k].resize(n);
    len[k].resize(n);
    ind[k].assign(n, STMT_INDICATOR_NONE);
  }
  auto bytes = [&](int k, size_t i, const std::string& v, size_t width) {
    ptr[k][i] = v.data();
    len[k][i] = std::min(v.size(), width);
  };
  auto text = [&](int k, size_t i, const std::optional<std::string>& v, size_t width) {
    if (v)
      bytes(k, i, *v, width);
    else
      ind[k][i] = STMT_INDICATOR_NULL;
  };
  for (size_t i = 0; i < n; ++i) {
    const LogEntry& e = es[begin + i];
    bytes(1, i, e.seqnum_id, 16);
    seqnum[i] = e.seqnum;
    realtime[i] = e.realtime_usec;
    monotonic[i] = e.monotonic_usec;
    if (e.boot_id.size() == 16)
      bytes(5, i, e.boot_id, 16);
    else
      ind[5][i] = STMT_INDICATOR_NULL;
    priority[i] = static_cast<uint8_t>(e.priority.value_or(0));
    if (!e.priority) ind[6][i] = STMT_INDICATOR_NULL;
    text(7, i, e.unit, 255);
    text(8, i, e.identifier, 255);
    pid[i] = e.pid.value_or(0);
    if (!e.pid) ind[9][i] = STMT_INDICATOR_NULL;
    uid[i] = e.uid.value_or(0);
    if (!e.uid) ind[10][i] = STMT_INDICATOR_NULL;
    text(11, i, e.comm, 255);
    text(12, i, e.transport, 64);
    text(13, i, e.message, SIZE_MAX);
    text(14, i, e.fields_json, SIZE_MAX);
  }
  MYSQL_BIND b[kColumns];
  std::memset(b, 0, sizeof b);
  auto fixed = [&](int k, enum_field_types t, void* buf) {
    b[k].buffer_type = t;
    b[k].buffer = buf;
    b[k].is_unsigned = 1;
    b[k].u.indicator = ind[k].data();
  };
  fixed(0, MYSQL_TYPE_LONG, host.data());
  fixed(2, MYSQL_TYPE_LONGLONG, seqnum.data());
  fixed(3, MYSQL_TYPE_LONGLONG, realtime.data());
  fixed(4, MYSQL_TYPE_LONGLONG, monotonic.data());
  fixed(6, MYSQL_TYPE_TINY, priority.data());
  fixed(9, MYSQL_TYPE_LONG, pid.data());
  fixed(10, MYSQL_TYPE_LONG, uid.data());
  for (int k : {1, 5, 7, 8, 11, 12, 13, 14}) {
    b[k].buffer_type = MYSQL_TYPE_BLOB;
    b[k].buffer = ptr[k].data();
    b[k].length = len[k].data();
    b[k].u.indicator = ind[k].data();
  }
  auto st = c.prepare(kInsertEntry);
  if (!st) return st.status();
  unsigned int rows = static_cast<unsigned int>(n);
  mysql_stmt_attr_set(*st, STMT_ATTR_ARRAY_SIZE, &rows);
  if (mysql_stmt_bind_param(*st, b) != 0) return c.fail("bind entries", *st);
  if (mysql_stmt_execute(*st) != 0) return c.fail("insert entries", *st);
  return Status::ok();
}

// The rows LOAD DATA LOCAL INFILE sends; the handler below serves only this buffer, whatever
// file name the server asks for. One load at a time (the benchmark is single-threaded).
struct InfileRows {
  std::string rows;
  size_t sent = 0;
};

int infile_init(void** ptr, const char*, void* userdata) {
  *ptr = userdata;
  return 0;
}

int infile_read(void* ptr, char* buf, unsigned int len) {
  auto* in = static_cast<InfileRows*>(ptr);
  size_t n = std::min<size_t>(len, in->rows.size() - in->sent);
  std::memcpy(buf, in->rows.data() + in->sent, n);
  in->sent += n;
  return static_cast<int>(n);
}

void infile_end(void*) {}

int infile_error(void*, char* msg, unsigned int len) {
  std::snprintf(msg, len, "%s", "the benchmark sends rows from memory only");
  return CR_UNKNOWN_ERROR;
}

// Appends rows in LOAD DATA's default format: tab-separated, newline-terminated, \N for NULL,
// backslash, tab, newline and NUL escaped (CHARACTER SET binary keeps every other byte).
class RowWriter {
 public:
  explicit RowWriter(std::string& out) : out_(out) {}
  void text(const std::string& value, size_t width = SIZE_MAX) {
    sep();
    std::string_view v = std::string_view(value).substr(0, width);
    size_t start = 0;
    for (size_t i = 0; i < v.size(); ++i) {
      char c = v[i];
      char esc = c == '\\' ? '\\' : c == '\t' ? 't' : c == '\n' ? 'n' : c == '\0' ? '0' : 0;
      if (!esc) continue;
      out_.append(v.data() + start, i - start);
      out_ += '\\';
      out_ += esc;
      start = i + 1;
    }
    out_.append(v.data() + start, v.size() - start);
  }
  void text(const std::optional<std::string>& v, size_t width) {
    if (v)
      text(*v, width);
    else
      null();
  }
  void number(uint64_t v) {
    sep();
    char buf[24];
    out_.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
  }
  template <typename T>
  void number(const std::optional<T>& v) {
    if (v)
      number(static_cast<uint64_t>(*v));
    else
      null();
  }
  void null() {
    sep();
    out_ += "\\N";
  }
  void end_row() {
    out_ += '\n';
    first_ = true;
  }

 private:
  void sep() {
    if (!first_) out_ += '\t';
    first_ = false;
  }
  std::string& out_;
  bool first_ = true;
};

constexpr const char* kLoadEntries =
    "LOAD DATA LOCAL INFILE 'rows' INTO TABLE entries CHARACTER SET binary "
    "(host_id, seqnum_id, seqnum, realtime_us, monotonic_us, boot_id, priority, unit, identifier, "
    "pid, uid, comm, "
    "transport, message, fields)";

Status insert_load_data(Connection& c, InfileRows& in, const std::vector<LogEntry>& es,
                        size_t begin, size_t end) {
  in.rows.clear();
  in.sent = 0;
  RowWriter w(in.rows);
  for (size_t i = begin; i < end; ++i) {
    const LogEntry& e = es[i];
    w.number(1);
    w.text(e.seqnum_id, 16);
    w.number(e.seqnum);
    w.number(e.realtime_usec);
    w.number(e.monotonic_usec);
    if (e.boot_id.size() == 16)
      w.text(e.boot_id);
    else
      w.null();
    w.number(e.priority);
    w.text(e.unit, 255);
    w.text(e.identifier, 255);
    w.number(e.pid);
    w.number(e.uid);
    w.text(e.comm, 255);
    w.text(e.transport, 64);
    w.text(e.message, SIZE_MAX);
    w.text(e.fields_json);
    w.end_row();
  }
  if (mysql_real_query(c.m, kLoadEntries, std::strlen(kLoadEntries)) != 0)
    return c.fail("load data");
  uint64_t stored = mysql_affected_rows(c.m);
  if (stored != end - begin || mysql_warning_count(c.m) != 0) {
    return Status::internal("load data stored " + std::to_string(stored) + " of " +
                            std::to_string(end - begin) + " rows, with " +
                            std::to_string(mysql_warning_count(c.m)) + " warnings");
  }
  return Status::ok();
}

Status insert_bulk(Connection& c, const std::vector<LogEntry>& es, size_t begin, size_t end) {
  for (size_t i = begin; i < end; i += 5000) {
    Status s = insert_bulk_chunk(c, es, i, std::min(end, i + 5000));
    if (!s.is_ok()) return s;
  }
  return Status::ok();
}

// A positive count from the command line; nullopt when it is not one.
std::optional<size_t> count_arg(std::string_view text) {
  size_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v == 0) return std::nullopt;
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  std::string db_url, creds, only;
  size_t rows = 200000, batch = 10000, repeat = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    size_t* count = a == "--rows"     ? &rows
                    : a == "--batch"  ? &batch
                    : a == "--repeat" ? &repeat
                                      : nullptr;
    if (a == "--db") {
      db_url = argv[i + 1];
    } else if (a == "--db-credentials-file") {
      creds = argv[i + 1];
    } else if (a == "--only") {
      only = argv[i + 1];
    } else if (count) {
      auto n = count_arg(argv[i + 1]);
      if (!n) {
        std::fprintf(stderr, "%s: not a positive count: %s\n", a.c_str(), argv[i + 1]);
        return 2;
      }
      *count = *n;
    }
  }
  auto opts = storage::parse_mysql_url(db_url);
  if (!opts) {
    std::fprintf(stderr, "%s\n", opts.status().message().c_str());
    return 2;
  }
  rows = rows / batch * batch;
  secrets::FileCredentialSource source(creds);
  auto credentials = source.current();
  if (!credentials) {
    std::fprintf(stderr, "%s\n", credentials.status().message().c_str());
    return 2;
  }
  auto conn = connect(*opts, *credentials);
  if (!conn) {
    std::fprintf(stderr, "%s\n", conn.status().to_string().c_str());
    return 1;
  }
  Connection& c = **conn;
  std::vector<LogEntry> es = make_entries(rows);
  if (Status s = add_day_partitions(c, es); !s.is_ok()) {
    std::fprintf(stderr, "partitions: %s\n", s.to_string().c_str());
    return 1;
  }
  InfileRows infile;
  mysql_set_local_infile_handler(c.m, infile_init, infile_read, infile_end, infile_error, &infile);
  struct Method {
    const char* name;
    std::function<Status(size_t, size_t)> run;
  };
  std::vector<Method> methods = {
      {"row", [&](size_t b, size_t e) { return insert_rows(c, es, b, e, 1); }},
      {"multi-row-100", [&](size_t b, size_t e) { return insert_rows(c, es, b, e, 100); }},
      {"bulk", [&](size_t b, size_t e) { return insert_bulk(c, es, b, e); }},
      {"load-data", [&](size_t b, size_t e) { return insert_load_data(c, infile, es, b, e); }},
  };
  for (size_t r = 0; r < repeat; ++r) {
    for (const auto& m : methods) {
      if (!only.empty() && only != m.name) continue;
      Status s = c.query("TRUNCATE TABLE entries");
      auto t0 = std::chrono::steady_clock::now();
      for (size_t i = 0; s.is_ok() && i < rows; i += batch) {
        s = c.check(mysql_autocommit(c.m, 0) == 0, "autocommit");
        if (s.is_ok()) s = m.run(i, i + batch);
        if (s.is_ok()) s = c.check(mysql_commit(c.m) == 0, "commit");
      }
      double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (!s.is_ok()) {
        std::fprintf(stderr, "%s: %s\n", m.name, s.to_string().c_str());
        return 1;
      }
      std::printf(
          "{\"method\":\"%s\",\"run\":%zu,\"rows\":%zu,\"seconds\":%.3f,\"rows_per_s\":%.0f}\n",
          m.name, r + 1, rows, secs, static_cast<double>(rows) / secs);
      std::fflush(stdout);
    }
  }
  return 0;
}

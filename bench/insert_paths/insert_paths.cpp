// Measures the ways the MariaDB C client can insert entries rows, on the real table:
//   row:        one prepared single-row INSERT executed per row
//   multi-row:  a prepared INSERT with 100 VALUES tuples per execution
//   bulk:       MariaDB's array binding, one execution per chunk of 5000 rows (the collector's)
//   load-data:  LOAD DATA LOCAL INFILE from memory, one statement per batch (rows encoded here,
//               sent by an infile handler that serves only that buffer)
// Each commits every --batch rows, as the collector commits per page. Prints one JSON line per
// method and run. Usage: insert-paths-bench --db mysql://H:P/DB --db-credentials-file F
//   [--rows N] [--batch N] [--repeat N] [--only METHOD]

#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "../../src/storage/entry_insert.h"
#include "../../src/storage/mariadb_connection.h"
#include "infralogs/secrets/credential_source.h"
#include "infralogs/storage/mariadb_log_store.h"

using namespace infralogs;
using namespace infralogs::storage;

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

Status check(Connection& c, bool ok, const char* what) { return ok ? Status::ok() : c.fail(what); }

// Binds one row's 15 parameters into b[0..14] (values must outlive the execution).
void bind_row(const LogEntry& e, const uint32_t& host, MYSQL_BIND* b, unsigned long* lens) {
  std::memset(b, 0, sizeof(MYSQL_BIND) * 15);
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
  std::vector<MYSQL_BIND> b(15 * per_statement);
  std::vector<unsigned long> lens(15 * per_statement);
  for (size_t i = begin; i < end; i += per_statement) {
    for (size_t k = 0; k < per_statement; ++k) bind_row(es[i + k], host, &b[15 * k], &lens[15 * k]);
    if (mysql_stmt_bind_param(*st, b.data()) != 0) return c.fail("bind", *st);
    if (mysql_stmt_execute(*st) != 0) return c.fail("execute", *st);
  }
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
    Status s = insert_entries_bulk(c, 1, es, i, std::min(end, i + 5000));
    if (!s.is_ok()) return s;
  }
  return Status::ok();
}

}  // namespace

int main(int argc, char** argv) {
  std::string db_url, creds, only;
  size_t rows = 200000, batch = 10000, repeat = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--db")
      db_url = argv[i + 1];
    else if (a == "--db-credentials-file")
      creds = argv[i + 1];
    else if (a == "--rows")
      rows = std::stoul(argv[i + 1]);
    else if (a == "--batch")
      batch = std::stoul(argv[i + 1]);
    else if (a == "--repeat")
      repeat = std::stoul(argv[i + 1]);
    else if (a == "--only")
      only = argv[i + 1];
  }
  auto opts = parse_mysql_url(db_url);
  if (!opts) {
    std::fprintf(stderr, "%s\n", opts.status().message().c_str());
    return 2;
  }
  rows = rows / batch * batch;
  mysql_library_init(0, nullptr, nullptr);
  secrets::FileCredentialSource source(creds);
  MariaDbLogStore store(*opts, source);
  std::vector<LogEntry> es = make_entries(rows);
  std::vector<uint64_t> times;
  for (const auto& e : es) times.push_back(e.realtime_usec);
  if (Status s = store.ensure_partitions(times); !s.is_ok()) {
    std::fprintf(stderr, "partitions: %s\n", s.to_string().c_str());
    return 1;
  }
  opts->allow_local_infile = true;  // this connection only, for the load-data method
  auto conn = connect_mariadb(*opts, source);
  if (!conn) {
    std::fprintf(stderr, "%s\n", conn.status().to_string().c_str());
    return 1;
  }
  Connection& c = **conn;
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
        s = check(c, mysql_autocommit(c.m, 0) == 0, "autocommit");
        if (s.is_ok()) s = m.run(i, i + batch);
        if (s.is_ok()) s = check(c, mysql_commit(c.m) == 0, "commit");
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

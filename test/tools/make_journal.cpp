// make-journal: writes deterministic, synthetic systemd journal files for tests.
//
// Entries are synthesised from (seed, host, entry index), so no input logs are needed and
// the same arguments always give the same entries. They are serialised in the Journal
// Export Format and piped into systemd-journal-remote, which writes real .journal files.
// `make-journal --help` documents the options; the format facts this relies on were
// checked against Debian 12's systemd 252.

#include <fcntl.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

extern char** environ;

namespace {

using namespace std::literals;
namespace fs = std::filesystem;

constexpr std::string_view kDefaultJournalRemote = "/lib/systemd/systemd-journal-remote";
constexpr uint64_t kDefaultStartUsec = 1735689600000000;  // 2025-01-01T00:00:00Z
constexpr uint64_t kUsecPerSec = 1000000;
// Jitter stays below this so that hostile entries, placed a few µs after a normal entry,
// still come before the host's next entry one second later.
constexpr uint64_t kMaxJitterUsec = 990000;
constexpr std::string_view kHostileMessageId = "a5c0ffee0badf00d0badc0de0ddba11a";
// Large writes keep the pipe busy with few syscalls; journal-remote is the slow side.
constexpr size_t kFlushBytes = size_t{1} << 20;

// Salts keep the hashes of different kinds of values apart.
constexpr uint64_t kSaltMachineId = 0x6d616368696e65;
constexpr uint64_t kSaltBootId = 0x626f6f74;
constexpr uint64_t kSaltUptime = 0x757074696d65;
constexpr uint64_t kSaltJitter = 0x6a6974746572;
constexpr uint64_t kSaltEntry = 0x656e747279;
constexpr uint64_t kSaltDaemonPid = 0x706964;
constexpr uint64_t kSaltShape = 0x7368617065;

class UsageError : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

// ---------------------------------------------------------------------------------------
// Determinism: every value is a hash of its coordinates (seed, host, index, ...), never a
// draw from a shared stream, so an entry is the same whatever else is generated with it.
// That is what lets --skip and --split-hosts reproduce exactly the entries of a full run.

// The splitmix64 finaliser: cheap and well mixed.
constexpr uint64_t mix64(uint64_t x) {
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9;
  x = (x ^ (x >> 27)) * 0x94d049bb133111eb;
  return x ^ (x >> 31);
}

uint64_t hash_of(std::initializer_list<uint64_t> parts) {
  uint64_t h = 0x6a09e667f3bcc908;
  for (uint64_t part : parts) h = mix64(h ^ part) + 0x9e3779b97f4a7c15;
  return h;
}

uint64_t hash_of_text(std::string_view text) {  // FNV-1a
  uint64_t h = 0xcbf29ce484222325;
  for (unsigned char c : text) h = (h ^ c) * 0x100000001b3;
  return h;
}

// A splitmix64 stream seeded from one hash, for the several choices inside one entry.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next() { return mix64(state_ += 0x9e3779b97f4a7c15); }
  uint64_t below(uint64_t bound) { return next() % bound; }
  uint64_t between(uint64_t low, uint64_t high) { return low + below(high - low + 1); }
  bool percent(unsigned chance) { return below(100) < chance; }
  template <typename T, size_t N>
  const T& pick(const std::array<T, N>& items) {
    return items[below(N)];
  }

 private:
  uint64_t state_;
};

// 32 lowercase hex digits shaped like the random (v4) UUIDs systemd uses for boot and
// machine IDs.
std::string make_id128(uint64_t high, uint64_t low) {
  high = (high & ~uint64_t{0xf000}) | 0x4000;
  low = (low & ~(uint64_t{3} << 62)) | (uint64_t{2} << 62);
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string id(32, '0');
  for (int i = 0; i < 16; ++i) {
    id[i] = kDigits[(high >> (60 - 4 * i)) & 0xf];
    id[16 + i] = kDigits[(low >> (60 - 4 * i)) & 0xf];
  }
  return id;
}

// ---------------------------------------------------------------------------------------
// Journal Export Format

// Decodes one UTF-8 sequence strictly (no overlongs, surrogates or values past U+10FFFF).
// Returns its length, or 0 if the bytes at `s` are not valid UTF-8.
size_t decode_utf8(std::string_view s, char32_t* code_point) {
  const auto lead = static_cast<unsigned char>(s[0]);
  size_t length = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 0;
  if (length == 0 || lead > 0xf4 || s.size() < length) return 0;
  char32_t cp = lead & (0x7f >> length);
  for (size_t i = 1; i < length; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if ((c & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (c & 0x3f);
  }
  static constexpr char32_t kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMinimum[length] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  *code_point = cp;
  return length;
}

// True if systemd would export these bytes as "NAME=value": valid UTF-8 with no control
// character but TAB (so no newline, DEL or C1) and no noncharacter. This mirrors
// utf8_is_printable_newline(..., false) and unichar_is_valid() in systemd's utf8.c, which
// `journalctl -o export` uses, so our stream matches what journalctl prints.
bool is_text(std::string_view value) {
  for (size_t i = 0; i < value.size();) {
    const auto c = static_cast<unsigned char>(value[i]);
    if (c < 0x80) {
      if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
      ++i;
      continue;
    }
    char32_t cp = 0;
    const size_t length = decode_utf8(value.substr(i), &cp);
    if (length == 0) return false;
    const bool c1_control = cp <= 0x9f;
    const bool noncharacter = (cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) == 0xfffe;
    if (c1_control || noncharacter) return false;
    i += length;
  }
  return true;
}

// journal_field_valid() in systemd: journal-remote silently drops fields whose names fail
// it, and every field we send must be stored.
bool is_valid_field_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || (name[0] >= '0' && name[0] <= '9')) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

void append_field(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  if (is_text(value)) {
    out.push_back('=');
  } else {
    // Binary form: NAME\n, the length as a 64-bit little-endian integer, the bytes, \n.
    out.push_back('\n');
    const uint64_t length = value.size();
    for (int shift = 0; shift < 64; shift += 8) {
      out.push_back(static_cast<char>((length >> shift) & 0xff));
    }
  }
  out.append(value);
  out.push_back('\n');
}

void append_field(std::string& out, std::string_view name, uint64_t value) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  append_field(out, name, std::string_view(digits, end - digits));
}

// ---------------------------------------------------------------------------------------
// Message text building, without temporary strings.

struct Ipv4 {
  uint32_t address;
};
struct Hex {
  uint64_t value;
  int digits;
};
struct ZeroPadded {
  uint64_t value;
  int width;
};

void append_part(std::string& out, std::string_view text) { out.append(text); }
void append_part(std::string& out, char c) { out.push_back(c); }

template <std::integral T>
void append_part(std::string& out, T value) {
  char digits[24];
  out.append(digits, std::to_chars(digits, digits + sizeof digits, value).ptr);
}

void append_part(std::string& out, ZeroPadded number) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, number.value).ptr;
  const int length = static_cast<int>(end - digits);
  if (length < number.width) out.append(number.width - length, '0');
  out.append(digits, end);
}

void append_part(std::string& out, Hex hex) {
  static constexpr char kDigits[] = "0123456789abcdef";
  for (int i = hex.digits - 1; i >= 0; --i) out.push_back(kDigits[(hex.value >> (4 * i)) & 0xf]);
}

void append_part(std::string& out, Ipv4 ip) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    append_part(out, (ip.address >> shift) & 0xff);
    if (shift > 0) out.push_back('.');
  }
}

template <typename... Parts>
void append(std::string& out, const Parts&... parts) {
  (append_part(out, parts), ...);
}

// Broken-down UTC time of a realtime timestamp, for the stamps daemons put in messages.
struct UtcTime {
  std::tm tm;
  uint64_t usec;
};

UtcTime utc_time(uint64_t realtime) {
  UtcTime t{};
  const auto seconds = static_cast<std::time_t>(realtime / kUsecPerSec);
  gmtime_r(&seconds, &t.tm);
  t.usec = realtime % kUsecPerSec;
  return t;
}

constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

void append_date(std::string& out, const UtcTime& t, char separator) {
  append(out, t.tm.tm_year + 1900, separator, ZeroPadded{uint64_t(t.tm.tm_mon) + 1, 2}, separator,
         ZeroPadded{uint64_t(t.tm.tm_mday), 2});
}

void append_clock(std::string& out, const UtcTime& t) {
  append(out, ZeroPadded{uint64_t(t.tm.tm_hour), 2}, ':', ZeroPadded{uint64_t(t.tm.tm_min), 2}, ':',
         ZeroPadded{uint64_t(t.tm.tm_sec), 2});
}

void append_nginx_access_time(std::string& out, uint64_t realtime) {  // 01/Jan/2025:00:00:01
  const UtcTime t = utc_time(realtime);
  append(out, ZeroPadded{uint64_t(t.tm.tm_mday), 2}, '/', kMonths[t.tm.tm_mon], '/',
         t.tm.tm_year + 1900, ':');
  append_clock(out, t);
}

void append_nginx_error_time(std::string& out, uint64_t realtime) {  // 2025/01/01 00:00:01
  const UtcTime t = utc_time(realtime);
  append_date(out, t, '/');
  out.push_back(' ');
  append_clock(out, t);
}

void append_postgres_time(std::string& out, uint64_t realtime) {  // 2025-01-01 00:00:01.123 UTC
  const UtcTime t = utc_time(realtime);
  append_date(out, t, '-');
  out.push_back(' ');
  append_clock(out, t);
  append(out, '.', ZeroPadded{t.usec / 1000, 3}, " UTC");
}

void append_docker_time(std::string& out, uint64_t realtime) {  // 2025-01-01T00:00:01.123456789Z
  const UtcTime t = utc_time(realtime);
  append_date(out, t, '-');
  out.push_back('T');
  append_clock(out, t);
  append(out, '.', ZeroPadded{t.usec * 1000 + realtime % 997, 9}, 'Z');
}

// ---------------------------------------------------------------------------------------
// Normal entries: a weighted table of message templates, each belonging to a service.

enum class PidMode { kNone, kInit, kPerBoot, kPerEntry };

struct Service {
  std::string_view identifier, comm, exe, cmdline, unit, slice, cgroup, transport;
  int uid, gid, facility;
  PidMode pid_mode;
};

enum class ServiceId : uint8_t { kSshd, kNginx, kCron, kPostgres, kDocker, kKernel, kSystemd };
using enum ServiceId;  // the template table below names services on every row

// Indexed by ServiceId.
const std::array<Service, 7> kServices = {{
    {"sshd", "sshd", "/usr/sbin/sshd", "sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups",
     "sshd.service", "system.slice", "/system.slice/sshd.service", "syslog", 0, 0, 4,
     PidMode::kPerEntry},
    {"nginx", "nginx", "/usr/sbin/nginx", "nginx: worker process", "nginx.service", "system.slice",
     "/system.slice/nginx.service", "syslog", 33, 33, 23, PidMode::kPerBoot},
    {"CRON", "cron", "/usr/sbin/cron", "/usr/sbin/cron -f", "cron.service", "system.slice",
     "/system.slice/cron.service", "syslog", 0, 0, 9, PidMode::kPerEntry},
    {"postgres", "postgres", "/usr/lib/postgresql/15/bin/postgres",
     "postgres: 15/main: app shop 10.0.3.7(52114) idle", "postgresql.service", "system.slice",
     "/system.slice/postgresql.service", "stdout", 108, 115, 3, PidMode::kPerEntry},
    {"dockerd", "dockerd", "/usr/bin/dockerd",
     "/usr/bin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock", "docker.service",
     "system.slice", "/system.slice/docker.service", "stdout", 0, 0, 3, PidMode::kPerBoot},
    {"kernel", "", "", "", "", "", "", "kernel", 0, 0, 0, PidMode::kNone},
    {"systemd", "systemd", "/usr/lib/systemd/systemd", "/sbin/init", "init.scope", "-.slice",
     "/init.scope", "journal", 0, 0, 3, PidMode::kInit},
}};

const Service& service_of(ServiceId id) { return kServices[static_cast<size_t>(id)]; }

// What a template fills in besides the service's fixed fields.
struct Draft {
  std::string message;
  std::string_view unit, message_id, job_type, job_result;
};

struct EntryContext {
  uint64_t realtime;
  uint64_t pid;
};

using Render = void (*)(Rng&, const EntryContext&, Draft&);

struct Template {
  ServiceId service;
  int priority;
  int weight;  // relative frequency among all templates
  Render render;
  int facility = -1;  // -1: the service's
};

constexpr int kAuthpriv = 10;

constexpr std::array<std::string_view, 8> kUsers = {"alice", "bob",    "deploy", "ubuntu",
                                                    "admin", "backup", "git",    "carol"};
constexpr std::array<std::string_view, 8> kBadUsers = {"test", "oracle",  "guest",   "pi",
                                                       "user", "ftpuser", "support", "ansible"};

Ipv4 random_ip(Rng& r) {
  // Documentation ranges (RFC 5737) for clients, 10.0/16 for the internal network.
  static constexpr std::array<uint32_t, 4> kNetworks = {0xc6336400, 0xcb007100, 0xc0000200,
                                                        0x0a000000};
  const uint32_t network = r.pick(kNetworks);
  const uint64_t host = network == 0x0a000000 ? r.between(256, 65534) : r.between(1, 254);
  return Ipv4{network | static_cast<uint32_t>(host)};
}

uint64_t random_port(Rng& r) { return r.between(1024, 65535); }

void append_fingerprint(std::string& out, Rng& r) {
  static constexpr std::string_view kBase64 =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (int i = 0; i < 43; ++i) out.push_back(kBase64[r.below(64)]);
}

void render_nginx_access(Rng& r, const EntryContext& c, Draft& d) {
  static constexpr std::array<std::string_view, 10> kPaths = {"/",
                                                              "/index.html",
                                                              "/api/v1/items",
                                                              "/api/v1/orders?page=",
                                                              "/healthz",
                                                              "/static/css/main.css",
                                                              "/static/js/app.js",
                                                              "/login",
                                                              "/favicon.ico",
                                                              "/wp-login.php"};
  static constexpr std::array<std::string_view, 4> kAgents = {
      "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0", "curl/7.88.1",
      "Prometheus/2.45.0", "python-requests/2.28.1"};
  static constexpr std::array<int, 10> kStatuses = {200, 200, 200, 200, 200,
                                                    304, 301, 404, 500, 502};
  const std::string_view path = r.pick(kPaths);
  append(d.message, random_ip(r), " - - [");
  append_nginx_access_time(d.message, c.realtime);
  append(d.message, " +0000] \"", r.percent(85) ? "GET " : "POST ", path);
  if (path.back() == '=') append(d.message, r.between(1, 40));
  append(d.message, " HTTP/1.1\" ", r.pick(kStatuses), ' ', r.between(0, 48000), " \"-\" \"",
         r.pick(kAgents), '"');
}

void render_nginx_error(Rng& r, const EntryContext& c, Draft& d, std::string_view level,
                        std::string_view text) {
  append_nginx_error_time(d.message, c.realtime);
  append(d.message, " [", level, "] ", c.pid, '#', c.pid, ": *", r.between(1, 900000), ' ', text,
         ", client: ", random_ip(r));
}

void render_postgres_prefix(Rng& r, const EntryContext& c, Draft& d, bool session) {
  append_postgres_time(d.message, c.realtime);
  append(d.message, " [", c.pid, "] ");
  if (session) append(d.message, r.pick(kUsers), "@shop ");
}

void render_docker_prefix(const EntryContext& c, Draft& d, std::string_view level) {
  append(d.message, "time=\"");
  append_docker_time(d.message, c.realtime);
  append(d.message, "\" level=", level, " msg=\"");
}

struct UnitInfo {
  std::string_view name, description;
};

constexpr std::array<UnitInfo, 7> kUnits = {{
    {"nginx.service", "A high performance web server and a reverse proxy server"},
    {"sshd.service", "OpenBSD Secure Shell server"},
    {"cron.service", "Regular background program processing daemon"},
    {"postgresql.service", "PostgreSQL RDBMS"},
    {"docker.service", "Docker Application Container Engine"},
    {"logrotate.service", "Rotate log files"},
    {"apt-daily.service", "Daily apt download activities"},
}};

// A message from PID 1 about a unit: `journalctl -u UNIT` shows these through UNIT=.
void render_unit_event(Rng& r, Draft& d, std::string_view before, std::string_view after,
                       bool with_description, std::string_view message_id) {
  const UnitInfo& unit = r.pick(kUnits);
  d.unit = unit.name;
  d.message_id = message_id;
  append(d.message, before, unit.name);
  if (with_description) append(d.message, " - ", unit.description);
  append(d.message, after);
}

using Ctx = const EntryContext&;  // keeps the template rows below readable

const Template kTemplates[] = {
    // sshd
    {kSshd, 6, 600,
     [](Rng& r, Ctx, Draft& d) {
       append(d.message, "Accepted publickey for ", r.pick(kUsers), " from ", random_ip(r),
              " port ", random_port(r), " ssh2: ED25519 SHA256:");
       append_fingerprint(d.message, r);
     }},
    {kSshd, 6, 450,
     [](Rng& r, Ctx, Draft& d) {
       append(d.message, "pam_unix(sshd:session): session opened for user ", r.pick(kUsers),
              "(uid=", r.between(1000, 1010), ") by (uid=0)");
     },
     kAuthpriv},
    {kSshd, 6, 400,
     [](Rng& r, Ctx, Draft& d) {
       append(d.message, "pam_unix(sshd:session): session closed for user ", r.pick(kUsers));
     },
     kAuthpriv},
    {kSshd, 6, 350,
     [](Rng& r, Ctx, Draft& d) {
       append(d.message, "Received disconnect from ", random_ip(r), " port ", random_port(r),
              ":11: disconnected by user");
     }},
    {kSshd, 4, 300,
     [](Rng& r, Ctx, Draft& d) {
       append(d.message, "Invalid user ", r.pick(kBadUsers), " from ", random_ip(r), " port ",
              random_port(r));
     }},
    {kSshd, 4, 250,
     [](Rng& r, Ctx, Draft& d) {
       append(d.message, "Failed password for invalid user ", r.pick(kBadUsers), " from ",
              random_ip(r), " port ", random_port(r), " ssh2");
     }},
    {kSshd, 5, 100,
     [](Rng& r, Ctx, Draft& d) {
       append(d.message,
              "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 "
              "tty=ssh ruser= rhost=",
              random_ip(r), "  user=root");
     },
     kAuthpriv},
    {kSshd, 3, 120,
     [](Rng&, Ctx, Draft& d) {
       append(d.message, "error: kex_exchange_identification: Connection closed by remote host");
     }},
    {kSshd, 3, 80,
     [](Rng& r, Ctx, Draft& d) {
       append(d.message, "error: maximum authentication attempts exceeded for root from ",
              random_ip(r), " port ", random_port(r), " ssh2 [preauth]");
     }},
    {kSshd, 7, 150,
     [](Rng& r, Ctx, Draft& d) {
       append(d.message, "debug1: Forked child ", r.between(1000, 99999), ".");
     }},
    // nginx
    {kNginx, 6, 2400, render_nginx_access},
    {kNginx, 3, 220,
     [](Rng& r, Ctx c, Draft& d) {
       render_nginx_error(r, c, d, "error",
                          "open() \"/var/www/html/robots.txt\" failed "
                          "(2: No such file or directory)");
     }},
    {kNginx, 3, 120,
     [](Rng& r, Ctx c, Draft& d) {
       render_nginx_error(r, c, d, "error",
                          "upstream timed out (110: Connection timed out) "
                          "while reading response header from upstream");
     }},
    {kNginx, 4, 200,
     [](Rng& r, Ctx c, Draft& d) {
       render_nginx_error(r, c, d, "warn",
                          "an upstream response is buffered to a temporary "
                          "file /var/cache/nginx/proxy_temp/3/07/0000000073");
     }},
    {kNginx, 2, 25,
     [](Rng& r, Ctx c, Draft& d) {
       render_nginx_error(r, c, d, "crit",
                          "SSL_do_handshake() failed (SSL: error:0A00006C:SSL "
                          "routines::bad key share) while SSL handshaking");
     }},
    {kNginx, 5, 80,
     [](Rng&, Ctx c, Draft& d) {
       append_nginx_error_time(d.message, c.realtime);
       append(d.message, " [notice] ", c.pid, '#', c.pid, ": signal process started");
     }},
    // cron
    {kCron, 6, 500,
     [](Rng& r, Ctx, Draft& d) {
       static constexpr std::array<std::string_view, 4> kCommands = {
           "   cd / && run-parts --report /etc/cron.hourly",
           "/usr/local/bin/backup.sh --incremental > /dev/null 2>&1",
           "command -v debian-sa1 > /dev/null && debian-sa1 1 1",
           "[ -x /usr/lib/php/sessionclean ] && /usr/lib/php/sessionclean"};
       append(d.message, '(', r.percent(70) ? "root"sv : r.pick(kUsers), ") CMD (",
              r.pick(kCommands), ')');
     }},
    {kCron, 6, 350,
     [](Rng&, Ctx, Draft& d) {
       append(d.message, "pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)");
     },
     kAuthpriv},
    {kCron, 6, 350,
     [](Rng&, Ctx, Draft& d) {
       append(d.message, "pam_unix(cron:session): session closed for user root");
     },
     kAuthpriv},
    {kCron, 5, 120,
     [](Rng&, Ctx, Draft& d) {
       append(d.message, "(CRON) info (No MTA installed, discarding output)");
     }},
    {kCron, 3, 60,
     [](Rng& r, Ctx, Draft& d) {
       append(d.message, "(CRON) error (grandchild #", r.between(1000, 99999),
              " failed with exit status 1)");
     }},
    // postgresql
    {kPostgres, 6, 200,
     [](Rng& r, Ctx c, Draft& d) {
       render_postgres_prefix(r, c, d, false);
       append(d.message, "LOG:  checkpoint starting: time");
     }},
    {kPostgres, 6, 200,
     [](Rng& r, Ctx c, Draft& d) {
       render_postgres_prefix(r, c, d, false);
       append(d.message, "LOG:  checkpoint complete: wrote ", r.between(1, 9000),
              " buffers; 0 WAL "
              "file(s) added, 0 removed, ",
              r.below(4), " recycled; write=", r.between(1, 269), '.', ZeroPadded{r.below(1000), 3},
              " s");
     }},
    {kPostgres, 6, 300,
     [](Rng& r, Ctx c, Draft& d) {
       render_postgres_prefix(r, c, d, true);
       append(d.message, "LOG:  duration: ", r.between(100, 9000), '.',
              ZeroPadded{r.below(1000), 3},
              " ms  statement: SELECT * FROM orders WHERE customer_id = ", r.between(1, 99999));
     }},
    {kPostgres, 6, 150,
     [](Rng& r, Ctx c, Draft& d) {
       render_postgres_prefix(r, c, d, false);
       append(d.message, "LOG:  automatic vacuum of table \"shop.public.orders\": index scans: 1");
     }},
    {kPostgres, 3, 150,
     [](Rng& r, Ctx c, Draft& d) {  // one entry of three lines, as logged
       const uint64_t customer = r.between(1, 99999);
       render_postgres_prefix(r, c, d, true);
       append(d.message,
              "ERROR:  duplicate key value violates unique constraint "
              "\"users_email_key\"\nDETAIL:  Key (email)=(customer",
              customer,
              "@example.com) already exists."
              "\nSTATEMENT:  INSERT INTO users (email, name) VALUES ($1, $2)");
     }},
    {kPostgres, 3, 100,
     [](Rng& r, Ctx c, Draft& d) {
       render_postgres_prefix(r, c, d, true);
       append(d.message, "FATAL:  password authentication failed for user \"", r.pick(kBadUsers),
              '"');
     }},
    {kPostgres, 4, 120,
     [](Rng& r, Ctx c, Draft& d) {
       render_postgres_prefix(r, c, d, true);
       append(d.message, "WARNING:  there is already a transaction in progress");
     }},
    {kPostgres, 1, 15,
     [](Rng& r, Ctx c, Draft& d) {
       render_postgres_prefix(r, c, d, false);
       append(d.message, "PANIC:  could not write to file \"pg_wal/xlogtemp.", c.pid,
              "\": No space left on device");
     }},
    // docker
    {kDocker, 6, 300,
     [](Rng& r, Ctx c, Draft& d) {
       render_docker_prefix(c, d, "info");
       append(d.message, "ignoring event\" container=", Hex{r.next(), 16}, Hex{r.next(), 16},
              " module=libcontainerd namespace=moby topic=/tasks/delete");
     }},
    {kDocker, 6, 150,
     [](Rng& r, Ctx c, Draft& d) {
       render_docker_prefix(c, d, "info");
       append(d.message, "shim disconnected\" id=", Hex{r.next(), 16}, Hex{r.next(), 16},
              " namespace=moby");
     }},
    {kDocker, 4, 120,
     [](Rng& r, Ctx c, Draft& d) {
       render_docker_prefix(c, d, "warning");
       append(d.message, "Health check for container ", Hex{r.next(), 12},
              " error: context deadline exceeded\"");
     }},
    {kDocker, 3, 120,
     [](Rng& r, Ctx c, Draft& d) {
       const Hex name{r.next(), 12};
       render_docker_prefix(c, d, "error");
       append(d.message, "Handler for GET /v1.43/containers/", name,
              "/json returned error: No such container: ", name, '"');
     }},
    {kDocker, 7, 450,
     [](Rng&, Ctx c, Draft& d) {
       render_docker_prefix(c, d, "debug");
       append(d.message, "Calling GET /v1.43/containers/json?all=1\"");
     }},
    {kDocker, 2, 15,
     [](Rng& r, Ctx, Draft& d) {  // a Go panic: one multi-line entry
       append(d.message,
              "panic: runtime error: invalid memory address or nil pointer dereference\n"
              "[signal SIGSEGV: segmentation violation code=0x1 addr=0x18 pc=0x",
              Hex{r.next(), 7}, "]\n\ngoroutine ", r.between(1, 9999),
              " [running]:\n"
              "github.com/docker/docker/daemon.(*Daemon).ContainerInspect(...)\n"
              "\t/go/src/github.com/docker/docker/daemon/inspect.go:42 +0x1d");
     }},
    // kernel
    {kKernel, 4, 350,
     [](Rng& r, Ctx, Draft& d) {
       static constexpr std::array<int, 4> kScannedPorts = {22, 23, 3389, 5432};
       append(d.message, "[UFW BLOCK] IN=eth0 OUT= MAC=52:54:00:12:34:56 SRC=", random_ip(r),
              " DST=10.0.0.", r.between(2, 254), " LEN=40 TTL=244 ID=", r.below(65536),
              " PROTO=TCP SPT=", random_port(r), " DPT=", r.pick(kScannedPorts),
              " WINDOW=1024 SYN URGP=0");
     }},
    {kKernel, 5, 150,
     [](Rng& r, Ctx c, Draft& d) {
       append(d.message, "audit: type=1400 audit(", c.realtime / kUsecPerSec, '.',
              ZeroPadded{c.realtime / 1000 % 1000, 3}, ':', r.between(100, 99999),
              "): apparmor=\"DENIED\" operation=\"open\" profile=\"/usr/sbin/nginx\" "
              "name=\"/etc/ssl/private/site.key\" pid=",
              r.between(300, 99999), " comm=\"nginx\" requested_mask=\"r\"");
     }},
    {kKernel, 6, 60,
     [](Rng&, Ctx, Draft& d) {
       append(d.message,
              "e1000e 0000:00:1f.6 eth0: NIC Link is Up 1000 Mbps Full Duplex, "
              "Flow Control: Rx/Tx");
     }},
    {kKernel, 6, 60,
     [](Rng& r, Ctx, Draft& d) {
       const uint64_t took = r.between(2501, 4000);
       append(d.message, "perf: interrupt took too long (", took,
              " > 2500), lowering "
              "kernel.perf_event_max_sample_rate to ",
              100000 * 2500 / took);
     }},
    {kKernel, 6, 70,
     [](Rng& r, Ctx, Draft& d) {
       append(d.message, "nginx[", r.between(300, 99999), "]: segfault at 0 ip ", Hex{r.next(), 16},
              " sp 00007ffd4c1e8a10 error 4 in nginx[55d1c2a00000+f5000]");
     }},
    {kKernel, 3, 25,
     [](Rng& r, Ctx, Draft& d) {
       append(d.message, "Out of memory: Killed process ", r.between(300, 99999),
              " (postgres) total-vm:", r.between(1, 9) * 1048576,
              "kB, anon-rss:", r.between(100000, 900000),
              "kB, file-rss:0kB, UID:108 oom_score_adj:0");
     }},
    {kKernel, 2, 20,
     [](Rng& r, Ctx, Draft& d) {
       append(d.message, "EXT4-fs error (device sda1): ext4_find_entry:1455: inode #",
              r.between(2, 9999999), ": comm nginx: reading directory lblock 0");
     }},
    {kKernel, 1, 15,
     [](Rng&, Ctx, Draft& d) {
       append(d.message, "mce: [Hardware Error]: Machine check events logged");
     }},
    {kKernel, 0, 12,
     [](Rng&, Ctx, Draft& d) {
       append(d.message, "Kernel panic - not syncing: Fatal exception in interrupt");
     }},
    // systemd (PID 1)
    {kSystemd, 6, 90,
     [](Rng& r, Ctx, Draft& d) {
       render_unit_event(r, d, "Starting ", "...", true, "7d4958e842da4a758f6c1cdc7b36dcc5");
       d.job_type = "start";
     }},
    {kSystemd, 6, 90,
     [](Rng& r, Ctx, Draft& d) {
       render_unit_event(r, d, "Started ", ".", true, "39f53479d3a045ac8e11786248231fbf");
       d.job_type = "start";
       d.job_result = "done";
     }},
    {kSystemd, 6, 50,
     [](Rng& r, Ctx, Draft& d) {
       render_unit_event(r, d, "Stopping ", "...", true, "de5b426a63be47a7b6ac3eaac82e2f6f");
       d.job_type = "stop";
     }},
    {kSystemd, 6, 50,
     [](Rng& r, Ctx, Draft& d) {
       render_unit_event(r, d, "Stopped ", ".", true, "9d1aaa27d60140bd96365438aad20286");
       d.job_type = "stop";
       d.job_result = "done";
     }},
    {kSystemd, 6, 50,
     [](Rng& r, Ctx, Draft& d) {
       render_unit_event(r, d, "", ": Deactivated successfully.", false,
                         "7ad2d189f7e94e70a38c781354912448");
     }},
    {kSystemd, 5, 35,
     [](Rng& r, Ctx, Draft& d) {
       render_unit_event(r, d, "", ": Main process exited, code=exited, status=1/FAILURE", false,
                         "98e322203f7a4ed290d09fe03c09fe15");
     }},
    {kSystemd, 4, 35,
     [](Rng& r, Ctx, Draft& d) {
       render_unit_event(r, d, "", ": Failed with result 'exit-code'.", false,
                         "d9b373ed55a64feb8242e02dbe79a49c");
     }},
    {kSystemd, 3, 35,
     [](Rng& r, Ctx, Draft& d) {
       render_unit_event(r, d, "Failed to start ", ".", true, "be02cf6855d2428ba40df7e9d022f03d");
       d.job_type = "start";
       d.job_result = "failed";
     }},
    {kSystemd, 6, 30,
     [](Rng& r, Ctx, Draft& d) {
       render_unit_event(r, d, "", ": Consumed 1.204s CPU time.", false,
                         "ae8f7b866b0347b9af31fe1c80b127c0");
     }},
    {kSystemd, 0, 15,
     [](Rng& r, Ctx, Draft& d) {
       const uint64_t pid = r.between(300, 99999);
       append(d.message, "Caught <SEGV> from PID ", pid, ", dumped core as pid ", pid + 1, '.');
     }},
};

// Cumulative weights, so a template is picked with one random number and a binary search.
std::vector<uint64_t> cumulative_weights() {
  std::vector<uint64_t> sums;
  uint64_t sum = 0;
  for (const Template& t : kTemplates) sums.push_back(sum += t.weight);
  return sums;
}

const Template& pick_template(Rng& r) {
  static const std::vector<uint64_t> kSums = cumulative_weights();
  const uint64_t x = r.below(kSums.back());
  return kTemplates[std::upper_bound(kSums.begin(), kSums.end(), x) - kSums.begin()];
}

// ---------------------------------------------------------------------------------------
// Hostile entries: values a collector, database or web page must survive unchanged.

struct Field {
  std::string_view name;
  std::string_view value;
};

struct HostileKind {
  std::string_view name;
  std::string body;  // serialised fields: everything but time, boot and host
};

HostileKind make_hostile(std::string_view kind, const std::vector<Field>& fields) {
  HostileKind hostile{kind, {}};
  std::string& out = hostile.body;
  const auto overrides = [&](std::string_view name) {
    return std::any_of(fields.begin(), fields.end(),
                       [&](const Field& f) { return f.name == name; });
  };
  const Field common[] = {{"_TRANSPORT", "journal"},
                          {"_PID", "4242"},
                          {"_UID", "1000"},
                          {"_GID", "1000"},
                          {"_COMM", "hostile-test"},
                          {"_EXE", "/usr/local/bin/hostile-test"},
                          {"_SYSTEMD_UNIT", "hostile-test.service"},
                          {"HOSTILE", kind},
                          {"MESSAGE_ID", kHostileMessageId},
                          {"CODE_FILE", "hostile.c"},
                          {"CODE_LINE", "42"},
                          {"CODE_FUNC", "make_trouble"}};
  for (const Field& f : common) append_field(out, f.name, f.value);
  if (!overrides("PRIORITY")) append_field(out, "PRIORITY", "3");
  if (!overrides("SYSLOG_IDENTIFIER")) append_field(out, "SYSLOG_IDENTIFIER", "hostile-test");
  for (const Field& f : fields) {
    if (!is_valid_field_name(f.name)) {
      throw std::logic_error("hostile field name journal-remote would drop: " +
                             std::string(f.name));
    }
    append_field(out, f.name, f.value);
  }
  return hostile;
}

// A printable single-line value of exactly `size` bytes that starts with `prefix`.
std::string filled(std::string_view prefix, size_t size) {
  static constexpr std::string_view kPattern =
      "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_";
  std::string value(prefix);
  while (value.size() < size) value.append(kPattern.substr(0, size - value.size()));
  return value;
}

std::vector<HostileKind> binary_hostile_kinds() {
  std::string all_bytes(256, '\0');
  for (int i = 0; i < 256; ++i) all_bytes[i] = static_cast<char>(i);
  return {
      make_hostile("nul-binary", {{"MESSAGE", "hostile nul: before\0after\0end"sv},
                                  {"BINARY_BLOB", all_bytes},
                                  {"NUL_ONLY", "\0\0\0\0"sv}}),
      make_hostile("invalid-utf8", {{"MESSAGE",
                                     "hostile invalid utf-8: \xc3\x28 lone-continuation \xa0\xa1 "
                                     "truncated \xe2\x28\xa1 \xf0\x28\x8c\xbc bytes \xff\xfe "
                                     "overlong \xc0\xaf surrogate \xed\xa0\x80 end"},
                                    {"LATIN1_FIELD", "caf\xe9 na\xefve \xfc\xdf"}}),
  };
}

std::vector<HostileKind> size_hostile_kinds() {
  const std::string huge = filled("hostile huge message (1 MiB, no newlines): ", size_t{1} << 20);
  const std::string msg_4096 = filled("hostile 4096-byte message: ", 4096);
  // journalctl -o json prints null once len(NAME) + 1 + len(value) reaches 4096.
  const std::string below = filled("hostile json threshold below: ", 4096 - 8 - 1);
  const std::string at = filled("hostile json threshold at: ", 4096 - 8);
  // Past libsystemd's default 64 KiB data threshold.
  const std::string above = filled("hostile 64 KiB+1: ", 65537);
  const std::string long_name = "HOSTILE_LONG_FIELD_NAME_" + std::string(40, 'X');  // 64 chars
  const std::string long_value = filled("value of the longest valid field name: ", 240);
  // Fields only view these strings, so they are complete before any view is taken.
  std::vector<std::string> many_names, many_values;
  std::vector<Field> many = {{"MESSAGE", "hostile many fields: 200 extra fields"}};
  for (int i = 0; i < 200; ++i) {
    many_names.push_back("MANY_FIELD_" +
                         std::string(i < 10    ? "00"
                                     : i < 100 ? "0"
                                               : "") +
                         std::to_string(i));
    many_values.push_back("value " + std::to_string(i));
  }
  for (int i = 0; i < 200; ++i) many.push_back({many_names[i], many_values[i]});
  return {
      make_hostile("huge-message", {{"MESSAGE", huge}}),
      make_hostile("msg-4096", {{"MESSAGE", msg_4096}}),
      // 64 characters is the longest name systemd accepts; a longer one would be dropped.
      make_hostile("long-field-name",
                   {{"MESSAGE", "hostile long field name: a 64-character field name"},
                    {long_name, long_value}}),
      make_hostile("many-fields", many),
      make_hostile("json-threshold-below", {{"MESSAGE", below}}),
      make_hostile("json-threshold-at", {{"MESSAGE", at}}),
      make_hostile("data-threshold-above", {{"MESSAGE", above}}),
  };
}

std::vector<HostileKind> markup_hostile_kinds() {
  return {
      make_hostile("html-script",
                   {{"SYSLOG_IDENTIFIER", "<b>evil</b>"},
                    {"MESSAGE", R"x(hostile html: <script>alert('xss')</script>)x"
                                R"x(<img src=x onerror="alert(1)">)x"
                                R"x(<iframe src=javascript:alert(2)></iframe>)x"
                                R"x(</textarea></td></pre><!-- comment --> &amp; &lt;b&gt; )x"
                                R"x(<a href="javascript:alert(3)">click</a> ${7*7} {{7*7}})x"},
                    {"HTML_FIELD", "<svg/onload=alert(4)>"}}),
      make_hostile("sql-quotes",
                   {{"MESSAGE", R"x(hostile sql: Robert'); DROP TABLE entries; -- " `backtick` )x"
                                R"x(\' OR '1'='1' /* comment */ ; SELECT SLEEP(5); \\ %s %n %% )x"
                                R"x(\0 \x00 \Z _ % LIKE '%')x"},
                    {"SQL_FIELD", "'; DELETE FROM hosts WHERE '1'='1"},
                    {"BACKSLASH_FIELD", R"(C:\Windows\System32\ \n \t \\ \')"}}),
      make_hostile("json-injection",
                   {{"MESSAGE", R"(hostile json: ", "PRIORITY": "0", "_HOSTNAME": "spoofed", )"
                                R"("x": "} ] \u0000 \" \\)"},
                    {"JSON_FIELD", R"({"MESSAGE":"spoofed","__CURSOR":"s=0"})"}}),
  };
}

std::vector<HostileKind> text_hostile_kinds() {
  return {
      make_hostile("multiline", {{"MESSAGE",
                                  "hostile multiline: first line\nsecond line\n\tindented third\n"
                                  "Traceback (most recent call last):\n  File \"x.py\", line 1\n"
                                  "ZeroDivisionError: division by zero\n"}}),
      make_hostile("crlf", {{"MESSAGE", "hostile crlf: line one\r\nline two\r\nbare CR\rend"}}),
      make_hostile("control-chars", {{"MESSAGE",
                                      "hostile control: \x1b[31mRED\x1b[0m bell\x07 backspace\x08 "
                                      "DEL\x7f C1\xc2\x85\xc2\x9b form-feed\x0c vtab\x0b esc-title "
                                      "\x1b]0;pwned\x07 tab\tok"}}),
      make_hostile("unicode",
                   {{"MESSAGE",
                     "hostile unicode: emoji \U0001F600\U0001F680 "
                     "CJK \u65e5\u672c\u8a9e "
                     "RTL \u202egnirts desrever\u202c zero-width [\u200b\u200d] "
                     "combining e\u0301 BOM \ufeff NBSP[\u00a0] LSEP[\u2028] "
                     "PSEP[\u2029] astral \U00010348 fullwidth \uff21"},
                    {"UNICODE_FIELD", "\u0416\u0443\u0440\u043d\u0430\u043b \U0001F4DD"},
                    // U+FDD0, U+FFFE, U+FFFF: valid UTF-8 to most decoders, but systemd
                    // treats noncharacters as non-printable and exports them as binary.
                    {"NONCHAR_FIELD", "noncharacters \xef\xb7\x90 \xef\xbf\xbe \xef\xbf\xbf"}}),
      make_hostile("repeated-fields",
                   {{"MESSAGE", "hostile repeated fields: TAG three times, MESSAGE twice"},
                    {"MESSAGE", "hostile repeated fields: second MESSAGE value"},
                    {"TAG", "one"},
                    {"TAG", "two"},
                    {"TAG", "three"}}),
      make_hostile("empty-values",
                   {{"MESSAGE", ""}, {"EMPTY_FIELD", ""}, {"SYSLOG_IDENTIFIER", ""}}),
      make_hostile("bad-numbers",
                   {{"MESSAGE", "hostile numbers: PRIORITY and SYSLOG_PID are not numbers"},
                    {"PRIORITY", "banana"},
                    {"SYSLOG_PID", "-1"},
                    {"SYSLOG_FACILITY", "99999999999999999999"},
                    {"ERRNO", "1e9"}}),
  };
}

std::vector<HostileKind> hostile_kinds() {
  std::vector<HostileKind> kinds;
  for (auto group :
       {binary_hostile_kinds, size_hostile_kinds, markup_hostile_kinds, text_hostile_kinds}) {
    for (HostileKind& kind : group()) kinds.push_back(std::move(kind));
  }
  return kinds;
}

// ---------------------------------------------------------------------------------------
// Options and the plan derived from them.

// What every normal entry looks like (--shape). kCurrent is the original mix and must stay
// byte-identical for a given seed: tests and the oracle comparisons depend on it. The others
// start from the same rendered entry and reshape it, drawing from their own random stream
// (kSaltShape), so they never disturb kCurrent's.
enum class Shape { kCurrent, kLong, kWide, kBinary, kTiny };

struct Options {
  std::string output;
  Shape shape = Shape::kCurrent;
  uint64_t hosts = 1;
  std::string hostname = "vm";
  uint64_t entries = 1000;  // normal entries per host
  uint64_t skip = 0;
  uint64_t boots = 2;
  bool hostile = false;
  uint64_t seed = 1;
  uint64_t start_usec = kDefaultStartUsec;
  bool split_hosts = false;
  uint64_t jobs = std::max(1u, std::thread::hardware_concurrency());
  bool export_only = false;
  std::string journal_remote{kDefaultJournalRemote};
};

struct Boot {
  uint64_t first_index;
  uint64_t first_realtime;
  uint64_t uptime_usec;  // monotonic clock at the boot's first entry
  uint64_t key;          // seeds per-boot values such as daemon PIDs
  std::string id;
  std::string trusted_fields;  // serialised _BOOT_ID, _MACHINE_ID, _HOSTNAME
};

struct Host {
  size_t index;
  std::string name;
  std::string machine_id;
  uint64_t key;  // seed and name hashed: every per-host value derives from it
  std::vector<Boot> boots;
};

// A hostile entry follows the normal entry `index`, `offset_usec` later.
struct HostileSlot {
  uint64_t index;
  size_t kind;
  uint64_t offset_usec;
};

struct Plan {
  Options options;
  std::vector<Host> hosts;
  std::vector<HostileKind> hostile_kinds;
  std::vector<HostileSlot> hostile_slots;  // sorted by index
};

uint64_t realtime_of(const Plan& plan, const Host& host, uint64_t index) {
  return plan.options.start_usec + index * kUsecPerSec +
         hash_of({host.key, kSaltJitter, index}) % kMaxJitterUsec;
}

// Boots split the generated range [skip, skip + entries) evenly, so a --skip run starts
// new boots rather than continuing one whose start it cannot know.
const Boot& boot_of(const Plan& plan, const Host& host, uint64_t index) {
  const Options& o = plan.options;
  return host.boots[(index - o.skip) * o.boots / o.entries];
}

std::string host_name(const Options& o, uint64_t index) {
  const size_t width = std::max<size_t>(2, std::to_string(o.hosts).size());
  const std::string number = std::to_string(index + 1);
  return o.hostname + '-' + std::string(width - number.size(), '0') + number;
}

Host make_host(const Plan& plan, size_t index) {
  const Options& o = plan.options;
  Host host{index, host_name(o, index), {}, 0, {}};
  host.key = hash_of({o.seed, hash_of_text(host.name)});
  host.machine_id =
      make_id128(hash_of({host.key, kSaltMachineId, 0}), hash_of({host.key, kSaltMachineId, 1}));
  for (uint64_t b = 0; b < o.boots; ++b) {
    Boot boot{};
    boot.first_index = o.skip + (b * o.entries + o.boots - 1) / o.boots;
    boot.first_realtime = realtime_of(plan, host, boot.first_index);
    boot.key = hash_of({host.key, kSaltBootId, boot.first_index});
    boot.uptime_usec = kUsecPerSec + hash_of({boot.key, kSaltUptime}) % (8 * kUsecPerSec);
    boot.id = make_id128(boot.key, hash_of({boot.key, 1}));
    append_field(boot.trusted_fields, "_BOOT_ID", boot.id);
    append_field(boot.trusted_fields, "_MACHINE_ID", host.machine_id);
    append_field(boot.trusted_fields, "_HOSTNAME", host.name);
    host.boots.push_back(std::move(boot));
  }
  return host;
}

// Hostile kind k sits after entry (k + 1) * entries / (kinds + 1) of every host: spread
// over [0, entries), and only generated when that index falls in this run's range.
std::vector<HostileSlot> hostile_slots(const Options& o, size_t kinds) {
  std::vector<HostileSlot> slots;
  uint64_t previous_index = UINT64_MAX, offset = 0;
  for (size_t k = 0; k < kinds; ++k) {
    const uint64_t index = (k + 1) * o.entries / (kinds + 1);
    offset = index == previous_index ? offset + 1 : 1;
    previous_index = index;
    if (index >= o.skip && index < o.skip + o.entries) slots.push_back({index, k, offset});
  }
  return slots;
}

Plan make_plan(const Options& options) {
  Plan plan{options, {}, {}, {}};
  plan.options.boots = std::min(options.boots, options.entries);  // no empty boots
  for (size_t i = 0; i < options.hosts; ++i) plan.hosts.push_back(make_host(plan, i));
  if (options.hostile) {
    plan.hostile_kinds = hostile_kinds();
    plan.hostile_slots = hostile_slots(options, plan.hostile_kinds.size());
  }
  return plan;
}

// ---------------------------------------------------------------------------------------
// Entry serialisation

class EntryWriter {
 public:
  explicit EntryWriter(Shape shape) : shape_(shape) {
    for (const Service& service : kServices) service_fields_.push_back(static_fields(service));
  }

  void write_normal(const Host& host, const Boot& boot, uint64_t index, uint64_t realtime,
                    std::string& out) {
    Rng rng(hash_of({host.key, kSaltEntry, index}));
    const Template& t = pick_template(rng);
    const Service& service = service_of(t.service);
    const EntryContext context{realtime, pid_of(t.service, boot, rng)};
    draft_.message.clear();
    draft_.unit = draft_.message_id = draft_.job_type = draft_.job_result = {};
    t.render(rng, context, draft_);

    write_header(boot, realtime, realtime - boot.first_realtime, out);
    Rng shape_rng(hash_of({host.key, kSaltShape, index}));
    if (shape_ == Shape::kTiny) {
      write_tiny(t.priority, out);
      return;
    }
    out.append(service_fields_[static_cast<size_t>(t.service)]);
    append_field(out, "PRIORITY", t.priority);
    append_field(out, "SYSLOG_FACILITY", t.facility >= 0 ? t.facility : service.facility);
    if (service.pid_mode != PidMode::kNone) append_field(out, "_PID", context.pid);
    if (service.transport == "syslog") append_field(out, "SYSLOG_PID", context.pid);
    if (!draft_.unit.empty()) append_field(out, "UNIT", draft_.unit);
    if (!draft_.message_id.empty()) append_field(out, "MESSAGE_ID", draft_.message_id);
    if (!draft_.job_type.empty()) append_field(out, "JOB_TYPE", draft_.job_type);
    if (!draft_.job_result.empty()) append_field(out, "JOB_RESULT", draft_.job_result);
    switch (shape_) {
      case Shape::kLong:
        lengthen(shape_rng, draft_.message);
        break;
      case Shape::kWide:
        add_wide_fields(shape_rng, out);
        break;
      case Shape::kBinary:
        add_binary(shape_rng, draft_.message, out);
        break;
      case Shape::kCurrent:
      case Shape::kTiny:
        break;
    }
    append_field(out, "MESSAGE", draft_.message);
    out.push_back('\n');
  }

  void write_hostile(const Boot& boot, const HostileKind& kind, uint64_t realtime,
                     std::string& out) {
    write_header(boot, realtime, realtime - boot.first_realtime, out);
    out.append(kind.body);
    out.push_back('\n');
  }

 private:
  static std::string static_fields(const Service& s) {
    std::string out;
    append_field(out, "_TRANSPORT", s.transport);
    append_field(out, "SYSLOG_IDENTIFIER", s.identifier);
    if (s.pid_mode == PidMode::kNone) return out;  // kernel messages carry no process fields
    append_field(out, "_UID", uint64_t(s.uid));
    append_field(out, "_GID", uint64_t(s.gid));
    append_field(out, "_COMM", s.comm);
    append_field(out, "_EXE", s.exe);
    append_field(out, "_CMDLINE", s.cmdline);
    append_field(out, "_SYSTEMD_UNIT", s.unit);
    append_field(out, "_SYSTEMD_SLICE", s.slice);
    append_field(out, "_SYSTEMD_CGROUP", s.cgroup);
    return out;
  }

  // Daemons keep one PID per boot; sessions, cron jobs and backends get a new one each time.
  static uint64_t pid_of(ServiceId id, const Boot& boot, Rng& rng) {
    switch (service_of(id).pid_mode) {
      case PidMode::kNone:
        return 0;
      case PidMode::kInit:
        return 1;
      case PidMode::kPerBoot:
        return 300 + hash_of({boot.key, kSaltDaemonPid, static_cast<uint64_t>(id)}) % 3000;
      case PidMode::kPerEntry:
        return rng.between(1000, 399999);
    }
    return 0;
  }

  static void write_header(const Boot& boot, uint64_t realtime, uint64_t since_boot,
                           std::string& out) {
    append_field(out, "__REALTIME_TIMESTAMP", realtime);
    append_field(out, "__MONOTONIC_TIMESTAMP", boot.uptime_usec + since_boot);
    out.append(boot.trusted_fields);
  }

  // --shape tiny: the trusted fields, PRIORITY and a MESSAGE of at most kTinyMessage bytes
  // cut from the rendered one (ASCII, so any cut is valid text).
  static constexpr size_t kTinyMessage = 16;
  void write_tiny(int priority, std::string& out) {
    std::string_view message = draft_.message;
    message = message.substr(0, std::min(message.find('\n'), kTinyMessage));
    append_field(out, "PRIORITY", uint64_t(priority));
    append_field(out, "MESSAGE", message);
    out.push_back('\n');
  }

  // --shape long: the message grows to kLongMin..kLongMax bytes with text shaped like the
  // long lines real services log (stack frames on their own lines, quoted JSON), so the
  // encoders' escaping is exercised at length and not only their plain copy.
  static constexpr size_t kLongMin = 1024, kLongMax = 4096;
  static void lengthen(Rng& r, std::string& message) {
    static constexpr std::array<std::string_view, 8> kPieces = {
        " request_id=7f3a9c0e2b14 user=alice path=/api/v1/items?page=3&sort=desc",
        "\n\tat com.example.orders.OrderService.place(OrderService.java:214)",
        " {\"level\":\"warn\",\"msg\":\"slow query\",\"duration_ms\":1834}",
        " upstream 10.0.3.17:8080 responded after 2.51 s; retrying with backoff",
        "\n\tat java.base/java.lang.Thread.run(Thread.java:833)",
        " C:\\Program Files\\app\\bin\\worker.exe exited with code 3",
        " caf\u00e9 na\u00efve r\u00e9sum\u00e9 \u65e5\u672c\u8a9e "
        "\u0436\u0443\u0440\u043d\u0430\u043b",
        " the quick brown fox jumps over the lazy dog and keeps on running far away",
    };
    const size_t target = r.between(kLongMin, kLongMax);
    while (message.size() < target) message.append(r.pick(kPieces));
    // Cut back to the target, but never inside a UTF-8 sequence.
    size_t cut = target;
    while (cut > 0 && (static_cast<unsigned char>(message[cut]) & 0xC0) == 0x80) --cut;
    message.resize(cut);
  }

  // --shape wide: kWideFields more fields (so 60+ in all), names and values as an
  // application with structured logging would send them.
  static constexpr size_t kWideFields = 60;
  static void add_wide_fields(Rng& r, std::string& out) {
    static constexpr std::array<std::string_view, 6> kValues = {
        "ok", "eu-west-1", "true", "k8s-node-17.internal", "v2.31.4", "checkout-7d9f8b6c5-x2lqp"};
    char name[16];
    for (size_t f = 0; f < kWideFields; ++f) {
      std::snprintf(name, sizeof name, "APP_FIELD_%02zu", f);
      if (f % 3 == 0) {
        append_field(out, name, r.below(1000000));
      } else {
        append_field(out, name, r.pick(kValues));
      }
    }
  }

  // --shape binary: the message gets bytes that are not printable UTF-8 (invalid sequences,
  // Latin-1, NUL, ESC), and two binary fields are added: random bytes (a payload) and a
  // Latin-1 string. All of them are exported as arrays of byte numbers by journalctl.
  static void add_binary(Rng& r, std::string& message, std::string& out) {
    static constexpr std::array<std::string_view, 6> kBad = {
        std::string_view("\xff\xfe", 2), std::string_view("\xc3\x28", 2),
        std::string_view("\0", 1),       std::string_view("\x1b[31m", 5),
        std::string_view("caf\xe9", 4),  std::string_view("\xed\xa0\x80", 3)};
    const size_t at = r.below(message.size() + 1);
    message.insert(at, r.pick(kBad));
    std::string payload(r.between(32, 512), '\0');
    for (char& c : payload) c = static_cast<char>(r.next());
    append_field(out, "PAYLOAD", payload);
    static constexpr char kLatin1[] = "Jos\xe9 M\xfcller \xa9 \xc6gir";
    append_field(out, "LATIN1_NAME", std::string_view(kLatin1, sizeof kLatin1 - 1));
  }

  Shape shape_;
  Draft draft_;
  std::vector<std::string> service_fields_;
};

// ---------------------------------------------------------------------------------------
// Generation

struct HostileRecord {
  std::string_view kind;
  uint64_t realtime;
};

// What one host received in this run, for the manifest.
struct HostReport {
  uint64_t entries = 0;
  uint64_t first_realtime = 0;
  uint64_t last_realtime = 0;
  std::vector<HostileRecord> hostile;

  void count(uint64_t realtime) {
    if (entries++ == 0) first_realtime = realtime;
    last_realtime = realtime;
  }
};

// Buffers the export stream and writes it to a file descriptor in large chunks.
class ExportSink {
 public:
  explicit ExportSink(int fd) : fd_(fd) { buffer_.reserve(kFlushBytes + kFlushBytes / 2); }

  std::string& buffer() { return buffer_; }
  void maybe_flush() {
    if (buffer_.size() >= kFlushBytes) flush();
  }

  // Throws std::system_error if the write fails (EPIPE when journal-remote has exited).
  void flush() {
    for (size_t done = 0; done < buffer_.size();) {
      const ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw std::system_error(errno, std::generic_category(), "write");
      done += static_cast<size_t>(n);
    }
    buffer_.clear();
  }

 private:
  int fd_;
  std::string buffer_;
};

// One entry of the merged stream: a host's normal entry or one of its hostile entries.
struct Item {
  uint64_t realtime;
  size_t host;  // into the hosts being generated
  size_t slot;  // into Plan::hostile_slots, or kNormalEntry
  auto operator<=>(const Item&) const = default;
};

constexpr size_t kNormalEntry = SIZE_MAX;

// Writes entries [skip, skip + entries) of `hosts` to `sink` in time order and returns how
// many were written; fills reports[host.index]. Entry i of every host falls in second i of
// the time line (hostile entries a few µs after it), so merging one index at a time keeps
// the whole stream in order.
uint64_t generate(const Plan& plan, std::span<const Host* const> hosts, ExportSink& sink,
                  std::vector<HostReport>& reports) {
  const Options& o = plan.options;
  EntryWriter writer(o.shape);
  std::vector<Item> items;
  uint64_t written = 0;
  auto slots_end = plan.hostile_slots.begin();
  for (uint64_t index = o.skip; index < o.skip + o.entries; ++index) {
    const auto slots_begin = slots_end;
    while (slots_end != plan.hostile_slots.end() && slots_end->index == index) ++slots_end;
    items.clear();
    for (size_t h = 0; h < hosts.size(); ++h) {
      const uint64_t realtime = realtime_of(plan, *hosts[h], index);
      items.push_back({realtime, h, kNormalEntry});
      for (auto slot = slots_begin; slot != slots_end; ++slot) {
        items.push_back({realtime + slot->offset_usec, h,
                         static_cast<size_t>(slot - plan.hostile_slots.begin())});
      }
    }
    std::sort(items.begin(), items.end());
    for (const Item& item : items) {
      const Host& host = *hosts[item.host];
      const Boot& boot = boot_of(plan, host, index);
      HostReport& report = reports[host.index];
      if (item.slot == kNormalEntry) {
        writer.write_normal(host, boot, index, item.realtime, sink.buffer());
      } else {
        const HostileKind& kind = plan.hostile_kinds[plan.hostile_slots[item.slot].kind];
        writer.write_hostile(boot, kind, item.realtime, sink.buffer());
        report.hostile.push_back({kind.name, item.realtime});
      }
      report.count(item.realtime);
      ++written;
      sink.maybe_flush();
    }
  }
  return written;
}

// ---------------------------------------------------------------------------------------
// systemd-journal-remote

class UniqueFd {
 public:
  explicit UniqueFd(int fd = -1) : fd_(fd) {}
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

pid_t spawn_journal_remote(const Options& o, const std::string& output, int stdin_fd,
                           int stderr_fd) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, stdin_fd, STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, stderr_fd, STDERR_FILENO);
  // We ignore SIGPIPE; the child should not inherit that.
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t default_signals;
  sigemptyset(&default_signals);
  sigaddset(&default_signals, SIGPIPE);
  posix_spawnattr_setsigdefault(&attributes, &default_signals);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF);
  std::string exe = o.journal_remote;
  // Debian's journal-remote.conf defaults to SplitMode=host, which wants a directory.
  std::string split = "--split-mode=none";
  std::string output_arg = "--output=" + output;
  std::string from_stdin = "-";
  char* argv[] = {exe.data(), split.data(), output_arg.data(), from_stdin.data(), nullptr};
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, exe.c_str(), &actions, &attributes, argv, environ);
  posix_spawnattr_destroy(&attributes);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::system_error(rc, std::generic_category(), "posix_spawn " + exe);
  return pid;
}

int wait_for(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw_errno("waitpid");
  }
  return status;
}

std::string read_from_start(int fd) {
  std::string text;
  char chunk[65536];
  if (lseek(fd, 0, SEEK_SET) < 0) throw_errno("lseek");
  for (ssize_t n; (n = ::read(fd, chunk, sizeof chunk)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("read");
    text.append(chunk, static_cast<size_t>(n));
  }
  return text;
}

struct RemoteOutcome {
  std::string error;               // empty on success
  std::vector<std::string> notes;  // journal-remote's other stderr lines, with repeat counts
};

struct RemoteLog {
  std::optional<uint64_t> written;                  // from "Finishing after writing N entries"
  std::vector<std::pair<std::string, int>> others;  // distinct other lines, with counts
};

// Any line but the final count is a warning worth passing on (rotation, a dropped field, a
// rejected entry). Repeats are counted, as a per-entry warning can repeat thousands of times.
RemoteLog parse_remote_log(const std::string& log) {
  constexpr std::string_view kFinishing = "Finishing after writing ";
  constexpr size_t kMaxOthers = 10;
  RemoteLog parsed;
  for (size_t start = 0, end; start < log.size(); start = end + 1) {
    end = std::min(log.find('\n', start), log.size());
    const std::string_view line(log.data() + start, end - start);
    if (line.starts_with(kFinishing)) {
      uint64_t n = 0;
      std::from_chars(line.data() + kFinishing.size(), line.data() + line.size(), n);
      parsed.written = n;
    } else if (!line.empty()) {
      auto same = std::find_if(parsed.others.begin(), parsed.others.end(),
                               [&](const auto& seen) { return seen.first == line; });
      if (same != parsed.others.end())
        ++same->second;
      else if (parsed.others.size() < kMaxOthers)
        parsed.others.emplace_back(line, 1);
    }
  }
  return parsed;
}

RemoteOutcome judge_remote_run(const std::string& output, uint64_t sent, int status,
                               const std::string& log) {
  const RemoteLog parsed = parse_remote_log(log);
  RemoteOutcome outcome;
  for (const auto& [line, count] : parsed.others) {
    outcome.notes.push_back("journal-remote (" + output + "): " + line +
                            (count > 1 ? " (x" + std::to_string(count) + ")" : ""));
  }
  const std::string who = "journal-remote for " + output + " ";
  if (WIFSIGNALED(status)) {
    outcome.error = who + "killed by signal " + std::to_string(WTERMSIG(status));
  } else if (WEXITSTATUS(status) != 0) {
    outcome.error = who + "exited with status " + std::to_string(WEXITSTATUS(status));
  } else if (!parsed.written) {
    outcome.error = who + "did not say how many entries it wrote";
  } else if (*parsed.written != sent) {
    outcome.error = who + "wrote " + std::to_string(*parsed.written) + " entries, " +
                    std::to_string(sent) + " were sent";
  }
  return outcome;
}

// Pipes what `produce` writes into journal-remote, which writes (or appends to) `output`,
// and checks that it stored every entry. Throws std::system_error only for OS calls that
// should not fail.
RemoteOutcome run_journal_remote(const Options& o, const std::string& output,
                                 const std::function<uint64_t(ExportSink&)>& produce) {
  // stderr goes to an anonymous file rather than a pipe, so nobody has to drain it while
  // we write stdin.
  UniqueFd errors(memfd_create("journal-remote-stderr", MFD_CLOEXEC));
  if (errors.get() < 0) throw_errno("memfd_create");
  int fds[2];
  // O_CLOEXEC: a journal-remote started by another thread must not inherit our write end,
  // or this one would never see end of input.
  if (pipe2(fds, O_CLOEXEC) != 0) throw_errno("pipe2");
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  const pid_t pid = spawn_journal_remote(o, output, read_end.get(), errors.get());
  read_end.reset();

  uint64_t sent = 0;
  std::string write_error;
  try {
    ExportSink sink(write_end.get());
    sent = produce(sink);
    sink.flush();
  } catch (const std::system_error& e) {  // journal-remote stopped reading; its log says why
    write_error = e.what();
  }
  write_end.reset();
  const int status = wait_for(pid);
  RemoteOutcome outcome = judge_remote_run(output, sent, status, read_from_start(errors.get()));
  if (!write_error.empty() && outcome.error.empty()) {
    outcome.error = "writing to journal-remote for " + output + ": " + write_error;
  }
  return outcome;
}

// OUT.journal plus the OUT@<ids>.journal files journal-remote rotated it into.
std::vector<std::string> journal_files(const fs::path& output) {
  const fs::path dir = output.has_parent_path() ? output.parent_path() : fs::path(".");
  const std::string stem = output.stem().string();
  std::vector<std::string> files;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name == stem + ".journal" || (name.starts_with(stem + "@") && name.ends_with(".journal"))) {
      files.push_back((output.has_parent_path() ? dir / name : fs::path(name)).string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

// ---------------------------------------------------------------------------------------
// Output modes. Each returns the files written, or throws with an operator-readable message.

std::vector<const Host*> all_hosts(const Plan& plan) {
  std::vector<const Host*> hosts;
  for (const Host& host : plan.hosts) hosts.push_back(&host);
  return hosts;
}

void print_notes(const RemoteOutcome& outcome) {
  for (const std::string& note : outcome.notes) std::cerr << "make-journal: " << note << '\n';
}

std::vector<std::string> write_export_only(const Plan& plan, std::vector<HostReport>& reports) {
  const Options& o = plan.options;
  UniqueFd file;
  int fd = STDOUT_FILENO;
  if (o.output != "-") {
    file.reset(::open(o.output.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (file.get() < 0) throw_errno("cannot open " + o.output);
    fd = file.get();
  }
  ExportSink sink(fd);
  generate(plan, all_hosts(plan), sink, reports);
  sink.flush();
  return o.output == "-" ? std::vector<std::string>{} : std::vector<std::string>{o.output};
}

std::vector<std::string> write_single_journal(const Plan& plan, std::vector<HostReport>& reports) {
  const Options& o = plan.options;
  const fs::path output(o.output);
  if (output.has_parent_path()) fs::create_directories(output.parent_path());
  if (fs::exists(output)) std::cerr << "make-journal: appending to existing " << o.output << '\n';
  const std::vector<const Host*> hosts = all_hosts(plan);
  const RemoteOutcome outcome = run_journal_remote(
      o, o.output, [&](ExportSink& sink) { return generate(plan, hosts, sink, reports); });
  print_notes(outcome);
  if (!outcome.error.empty()) throw std::runtime_error(outcome.error);
  return journal_files(output);
}

// One journal-remote per host, up to --jobs at once, each fed by its own thread.
std::vector<std::string> write_split_journals(const Plan& plan, std::vector<HostReport>& reports) {
  const Options& o = plan.options;
  fs::create_directories(o.output);
  const auto path_of = [&](const Host& host) {
    return (fs::path(o.output) / (host.name + ".journal")).string();
  };
  std::vector<RemoteOutcome> outcomes(plan.hosts.size());
  std::atomic<size_t> next_host{0};
  const auto work = [&] {
    for (size_t h; (h = next_host++) < plan.hosts.size();) {
      const Host* host = &plan.hosts[h];
      try {
        outcomes[h] = run_journal_remote(o, path_of(*host), [&](ExportSink& sink) {
          return generate(plan, std::span(&host, 1), sink, reports);
        });
      } catch (const std::exception& e) {  // one failed host does not stop the others
        outcomes[h].error = e.what();
      }
    }
  };
  {
    std::vector<std::jthread> workers;
    for (uint64_t i = 0; i < std::min<uint64_t>(o.jobs, plan.hosts.size()); ++i) {
      workers.emplace_back(work);
    }
  }
  std::vector<std::string> files;
  size_t failures = 0;
  for (size_t h = 0; h < plan.hosts.size(); ++h) {
    print_notes(outcomes[h]);
    if (!outcomes[h].error.empty()) {
      std::cerr << "make-journal: " << outcomes[h].error << '\n';
      ++failures;
    }
    for (std::string& file : journal_files(path_of(plan.hosts[h]))) {
      files.push_back(std::move(file));
    }
  }
  if (failures > 0) {
    throw std::runtime_error(std::to_string(failures) + " of " + std::to_string(plan.hosts.size()) +
                             " journal-remote runs failed");
  }
  return files;
}

// ---------------------------------------------------------------------------------------
// Manifest

nlohmann::ordered_json manifest_json(const Plan& plan, const std::vector<HostReport>& reports,
                                     const std::vector<std::string>& files) {
  using Json = nlohmann::ordered_json;
  Json hosts = Json::array();
  std::vector<std::pair<HostileRecord, std::string_view>> hostile;
  uint64_t total = 0;
  for (const Host& host : plan.hosts) {
    const HostReport& report = reports[host.index];
    Json boot_ids = Json::array();
    for (const Boot& boot : host.boots) boot_ids.push_back(boot.id);
    hosts.push_back({{"hostname", host.name},
                     {"machine_id", host.machine_id},
                     {"boot_ids", boot_ids},
                     {"entries", report.entries},
                     {"first_realtime", report.first_realtime},
                     {"last_realtime", report.last_realtime}});
    for (const HostileRecord& record : report.hostile) hostile.emplace_back(record, host.name);
    total += report.entries;
  }
  std::sort(hostile.begin(), hostile.end(), [](const auto& a, const auto& b) {
    return std::tie(a.first.realtime, a.second) < std::tie(b.first.realtime, b.second);
  });
  Json hostile_json = Json::array();
  for (const auto& [record, hostname] : hostile) {
    hostile_json.push_back(
        {{"kind", record.kind}, {"hostname", hostname}, {"realtime", record.realtime}});
  }
  return {{"hosts", hosts}, {"hostile", hostile_json}, {"files", files}, {"total_entries", total}};
}

// OUTPUT.manifest.json, next to a file or directory output. Not written for stdout or a
// device such as /dev/null.
std::optional<std::string> manifest_path(const Options& o) {
  const fs::file_status status = fs::status(o.output);
  if (o.output == "-" || !(fs::is_regular_file(status) || fs::is_directory(status))) {
    return std::nullopt;
  }
  std::string base = o.output;
  while (base.size() > 1 && base.back() == '/') base.pop_back();
  return base + ".manifest.json";
}

void write_manifest(const std::string& path, const nlohmann::ordered_json& manifest) {
  std::ofstream out(path, std::ios::trunc);
  out << manifest.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
  out.close();
  if (!out) throw std::runtime_error("cannot write manifest " + path);
}

// ---------------------------------------------------------------------------------------
// Command line

uint64_t parse_number(std::string_view flag, std::string_view text) {
  uint64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value);
  if (text.empty() || error != std::errc() || stop != end) {
    throw UsageError(std::string(flag) + ": expected a non-negative integer, got '" +
                     std::string(text) + "'");
  }
  return value;
}

struct Flag {
  std::string_view name;        // long form
  std::string_view short_name;  // empty if none
  std::string_view metavar;     // empty for switches
  std::string_view help;        // lines after the first are indented under it
  void (*apply)(Options&, std::string_view value);
};

const Flag kFlags[] = {
    {"--output", "-o", "PATH",
     "FILE.journal to write, or to append to if it exists (see --skip).\n"
     "With --split-hosts: a directory receiving HOST.journal per host.\n"
     "With --export-only: a file, or '-' for stdout.",
     [](Options& o, std::string_view v) { o.output = v; }},
    {"--hosts", "", "N", "number of hosts (default 1), named HOSTNAME-01..HOSTNAME-NN",
     [](Options& o, std::string_view v) { o.hosts = parse_number("--hosts", v); }},
    {"--hostname", "", "NAME", "base host name (default \"vm\"): letters, digits, '.', '_', '-'",
     [](Options& o, std::string_view v) { o.hostname = v; }},
    {"--entries", "", "N", "normal entries per host (default 1000)",
     [](Options& o, std::string_view v) { o.entries = parse_number("--entries", v); }},
    {"--skip", "", "K",
     "generate entries K..K+N-1 of each host's sequence (default 0).\n"
     "journal-remote appends to an existing output file, so a second run\n"
     "with --skip equal to the first run's --entries continues the same\n"
     "hosts and time line in that file. Without --skip, a rerun appends\n"
     "duplicates: delete FILE.journal and FILE@*.journal to start afresh.",
     [](Options& o, std::string_view v) { o.skip = parse_number("--skip", v); }},
    {"--boots", "", "B",
     "split each host's generated entries evenly into B boots (default 2),\n"
     "each with its own _BOOT_ID and a monotonic clock restarting near 0\n"
     "(at most one boot per entry). A --skip run therefore starts new\n"
     "boots, as after a reboot.",
     [](Options& o, std::string_view v) { o.boots = parse_number("--boots", v); }},
    {"--hostile", "", "",
     "add 19 hostile entries once per host (NUL bytes, invalid UTF-8, a\n"
     "1 MiB message, HTML, SQL quotes, 200 fields, ...) at evenly spaced\n"
     "indexes in 0..N-1; those outside K..K+N-1 are left out. Find them\n"
     "with HOSTILE=<kind> or MESSAGE_ID=a5c0ffee0badf00d0badc0de0ddba11a.",
     [](Options& o, std::string_view) { o.hostile = true; }},
    {"--shape", "", "SHAPE",
     "what normal entries look like (default current, the mix above):\n"
     "long: MESSAGE of 1-4 KiB (text, stack lines, quoted JSON);\n"
     "wide: 60 more APP_FIELD_NN fields per entry;\n"
     "binary: MESSAGE with non-UTF-8 bytes, plus PAYLOAD (32-512 random\n"
     "bytes) and LATIN1_NAME; tiny: only the trusted fields, PRIORITY and\n"
     "a MESSAGE of at most 16 bytes. Same seed, same entries per shape.",
     [](Options& o, std::string_view v) {
       if (v == "current") {
         o.shape = Shape::kCurrent;
       } else if (v == "long") {
         o.shape = Shape::kLong;
       } else if (v == "wide") {
         o.shape = Shape::kWide;
       } else if (v == "binary") {
         o.shape = Shape::kBinary;
       } else if (v == "tiny") {
         o.shape = Shape::kTiny;
       } else {
         throw UsageError("--shape: expected current, long, wide, binary or tiny, got '" +
                          std::string(v) + "'");
       }
     }},
    {"--seed", "", "S", "changes every ID, message and jitter (default 1)",
     [](Options& o, std::string_view v) { o.seed = parse_number("--seed", v); }},
    {"--start", "", "USEC",
     "realtime of entry 0 in µs since the epoch (default 1735689600000000,\n"
     "2025-01-01T00:00:00Z). Entry i of a host is at START + i seconds\n"
     "plus a per-host jitter below 1 s; hosts are interleaved in time.",
     [](Options& o, std::string_view v) { o.start_usec = parse_number("--start", v); }},
    {"--split-hosts", "", "", "write one journal file per host into the --output directory",
     [](Options& o, std::string_view) { o.split_hosts = true; }},
    {"--jobs", "-j", "N", "with --split-hosts: journal-remote processes at once (default: CPUs)",
     [](Options& o, std::string_view v) { o.jobs = parse_number("--jobs", v); }},
    {"--export-only", "", "", "write the Journal Export Format stream, do not run journal-remote",
     [](Options& o, std::string_view) { o.export_only = true; }},
    {"--journal-remote", "", "PATH",
     "journal-remote binary (default /lib/systemd/systemd-journal-remote)",
     [](Options& o, std::string_view v) { o.journal_remote = v; }},
};

constexpr std::string_view kUsageIntro =
    "Usage: make-journal -o OUTPUT [options]\n"
    "\n"
    "Writes deterministic synthetic systemd journal files for tests. Entries from sshd,\n"
    "nginx, cron, postgresql, docker, the kernel and systemd (PID 1) are made up from\n"
    "(--seed, host, entry index), serialised in the Journal Export Format and piped into\n"
    "systemd-journal-remote. The same options always give the same entries.\n"
    "\n"
    "Options:\n";

constexpr std::string_view kUsageOutro =
    "  -h, --help              show this help\n"
    "\n"
    "Besides the journal file(s), OUTPUT.manifest.json describes this run: per host the\n"
    "machine and boot IDs, entry count (hostile included) and first/last realtime; the\n"
    "hostile entries; the files; the total. journal-remote rotates a file at about\n"
    "128 MiB or when its hash tables fill (about 100k entries), renaming it\n"
    "FILE@...journal: read them all, e.g. journalctl --file 'FILE*.journal'.\n"
    "\n"
    "Exit status: 0 on success; 1 if journal-remote fails or stores a different number\n"
    "of entries than were sent; 2 for a usage error.\n";

void print_help() {
  constexpr size_t kHelpColumn = 26;
  std::cout << kUsageIntro;
  for (const Flag& flag : kFlags) {
    std::string left = "  ";
    left += flag.short_name.empty() ? "" : std::string(flag.short_name) + ", ";
    left += flag.name;
    if (!flag.metavar.empty()) left += " " + std::string(flag.metavar);
    left.resize(std::max(left.size() + 1, kHelpColumn), ' ');
    std::string_view help = flag.help;
    for (size_t end; !help.empty(); help.remove_prefix(std::min(end + 1, help.size()))) {
      end = std::min(help.find('\n'), help.size());
      std::cout << left << help.substr(0, end) << '\n';
      left.assign(kHelpColumn, ' ');
    }
  }
  std::cout << kUsageOutro;
}

const Flag& find_flag(std::string_view arg) {
  for (const Flag& flag : kFlags) {
    if (arg == flag.name || (!flag.short_name.empty() && arg == flag.short_name)) return flag;
  }
  throw UsageError("unknown option '" + std::string(arg) + "'");
}

void validate(const Options& o) {
  const auto fail = [](const std::string& message) { throw UsageError(message); };
  if (o.output.empty()) fail("-o/--output is required");
  if (o.hosts == 0 || o.entries == 0 || o.jobs == 0) fail("--hosts, --entries and -j must be >= 1");
  if (o.boots == 0) fail("--boots must be >= 1");
  const bool good_name =
      !o.hostname.empty() && std::all_of(o.hostname.begin(), o.hostname.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
      });
  if (!good_name) {
    fail("--hostname: use letters, digits, '.', '_' and '-', got '" + o.hostname + "'");
  }
  const uint64_t last_second = (UINT64_MAX - o.start_usec) / kUsecPerSec - 1;
  if (o.skip > last_second || o.entries > last_second - o.skip) {
    fail("--skip + --entries go past the end of time");
  }
  if (o.export_only && o.split_hosts) {
    fail("--split-hosts needs journal-remote; drop --export-only");
  }
  if (!o.export_only && o.output == "-") fail("-o - (stdout) needs --export-only");
  if (!o.export_only && !o.split_hosts && !o.output.ends_with(".journal")) {
    fail("journal-remote wants an output name ending in .journal, got '" + o.output + "'");
  }
  if (o.split_hosts && fs::exists(o.output) && !fs::is_directory(o.output)) {
    fail("--split-hosts: " + o.output + " is not a directory");
  }
  if (!o.export_only && access(o.journal_remote.c_str(), X_OK) != 0) {
    fail(o.journal_remote +
         " is not executable: apt-get install systemd-journal-remote, "
         "or use --export-only");
  }
}

// Returns nullopt when --help was asked for. Accepts "--flag value" and "--flag=value".
std::optional<Options> parse_options(std::span<char*> args) {
  Options options;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg == "-h" || arg == "--help") return std::nullopt;
    std::optional<std::string_view> value;
    if (const size_t equals = arg.find('='); arg.starts_with("--") && equals != arg.npos) {
      value = arg.substr(equals + 1);
      arg = arg.substr(0, equals);
    }
    const Flag& flag = find_flag(arg);
    if (flag.metavar.empty() && value) throw UsageError(std::string(arg) + " takes no value");
    if (!flag.metavar.empty() && !value) {
      if (i + 1 == args.size()) throw UsageError(std::string(arg) + " needs a value");
      value = args[++i];
    }
    flag.apply(options, value.value_or(""));
  }
  validate(options);
  return options;
}

int run(const Options& options) {
  const auto started = std::chrono::steady_clock::now();
  const Plan plan = make_plan(options);
  std::vector<HostReport> reports(plan.hosts.size());
  const std::vector<std::string> files = options.export_only ? write_export_only(plan, reports)
                                         : options.split_hosts
                                             ? write_split_journals(plan, reports)
                                             : write_single_journal(plan, reports);
  const nlohmann::ordered_json manifest = manifest_json(plan, reports, files);
  const std::optional<std::string> path = manifest_path(options);
  if (path) write_manifest(*path, manifest);
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
  std::cerr << "make-journal: " << manifest["total_entries"] << " entries from "
            << plan.hosts.size() << " host(s) in " << files.size() << " file(s)"
            << (path ? ", manifest " + *path : "") << " (" << std::fixed << std::setprecision(2)
            << took.count() << " s)\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // If journal-remote dies, writing to it must fail with EPIPE rather than kill us.
  std::signal(SIGPIPE, SIG_IGN);
  try {
    const std::optional<Options> options = parse_options(std::span(argv + 1, argc - 1));
    if (!options) {
      print_help();
      return 0;
    }
    return run(*options);
  } catch (const UsageError& e) {
    std::cerr << "make-journal: " << e.what() << " (see --help)\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "make-journal: " << e.what() << '\n';
    return 1;
  }
}

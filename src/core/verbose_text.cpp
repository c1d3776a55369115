#include "infralogs/core/verbose_text.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>

namespace infralogs {
namespace {

// systemd's USEC_TIMESTAMP_FORMATTABLE_MAX on 64-bit: 9999-12-30 23:59:59.999999 UTC (a day
// short of the end of year 9999, so that every time zone still formats a four-digit year).
constexpr uint64_t kFormattableMaxUsec = 253402214399999999ULL;

void put_digits(char* p, unsigned v, int width) {
  for (int i = width - 1; i >= 0; --i) {
    p[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
}

}  // namespace

std::optional<uint64_t> parse_source_realtime(std::string_view value) {
  // The value is a C string to safe_atou64: it ends at the first NUL.
  std::string s(value.substr(0, std::min(value.find('\0'), value.size())));
  const char* p = s.c_str();
  p += std::strspn(p, " \t\n\r");
  // strtoull would negate a '-' number; systemd refuses any sign of minus, "-0" too (seen
  // against journalctl 252).
  if (*p == '-') return std::nullopt;
  errno = 0;
  char* end = nullptr;
  unsigned long long v = std::strtoull(p, &end, 0);
  if (errno > 0 || end == p || *end != '\0') return std::nullopt;
  // journal-file.h's VALID_REALTIME: 0 < t < 2^55 (year 3111).
  if (v == 0 || v >= (1ULL << 55)) return std::nullopt;
  return static_cast<uint64_t>(v);
}

void append_verbose_header(uint64_t usec, std::string_view cursor, std::string* out) {
  if (usec == 0 || usec == UINT64_MAX) {
    out->append("(no timestamp)");
  } else if (usec > kFormattableMaxUsec) {
    // TIMESTAMP_US's placeholder: journalctl with TZ=UTC formats in local time (no --utc), and
    // its local-time placeholder has no zone.
    out->append("--- XXXX-XX-XX XX:XX:XX.XXXXXX");
  } else {
    static constexpr char kDays[] = "SunMonTueWedThuFriSat";
    std::time_t secs = static_cast<std::time_t>(usec / 1000000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    // "Www YYYY-MM-DD HH:MM:SS.uuuuuu UTC": 34 bytes, written in place (one per entry, so no
    // strftime or snprintf with their locale and format parsing).
    char buf[34];
    std::memcpy(buf, kDays + 3 * tm.tm_wday, 3);
    buf[3] = ' ';
    put_digits(buf + 4, static_cast<unsigned>(tm.tm_year + 1900), 4);
    buf[8] = '-';
    put_digits(buf + 9, static_cast<unsigned>(tm.tm_mon + 1), 2);
    buf[11] = '-';
    put_digits(buf + 12, static_cast<unsigned>(tm.tm_mday), 2);
    buf[14] = ' ';
    put_digits(buf + 15, static_cast<unsigned>(tm.tm_hour), 2);
    buf[17] = ':';
    put_digits(buf + 18, static_cast<unsigned>(tm.tm_min), 2);
    buf[20] = ':';
    put_digits(buf + 21, static_cast<unsigned>(tm.tm_sec), 2);
    buf[23] = '.';
    put_digits(buf + 24, static_cast<unsigned>(usec % 1000000), 6);
    std::memcpy(buf + 30, " UTC", 4);
    out->append(buf, sizeof buf);
  }
  out->append(" [");
  out->append(cursor);
  out->append("]\n");
}

void append_verbose_field(std::string_view name, std::string_view value, std::string* out) {
  out->append("    ");
  out->append(name);
  out->push_back('=');
  if (value.empty()) {
    out->push_back('\n');
    return;
  }
  const size_t indent = 4 + name.size() + 1;
  const char* p = value.data();
  const char* const end = p + value.size();
  bool first = true;
  while (p < end) {
    const void* nl_at = std::memchr(p, '\n', static_cast<size_t>(end - p));
    const char* line_end = nl_at ? static_cast<const char*>(nl_at) : end;
    if (!first) out->append(indent, ' ');
    first = false;
    const void* nul_at = std::memchr(p, '\0', static_cast<size_t>(line_end - p));
    const char* shown_end = nul_at ? static_cast<const char*>(nul_at) : line_end;
    out->append(p, static_cast<size_t>(shown_end - p));
    out->push_back('\n');
    p = line_end + 1;
  }
}

}  // namespace infralogs

#include "infralogs/journal/query.h"

#include <cctype>
#include <charconv>
#include <ctime>

#include "infralogs/core/time.h"

namespace infralogs::journal {
namespace {

constexpr std::string_view kPriorityNames[] = {"emerg",   "alert",  "crit", "err",
                                               "warning", "notice", "info", "debug"};
constexpr std::string_view kUnitSuffixes[] = {".service", ".socket",    ".target", ".device",
                                              ".mount",   ".automount", ".swap",   ".timer",
                                              ".path",    ".slice",     ".scope"};

bool parse_u64(std::string_view s, uint64_t* out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

bool parse_fixed(std::string_view s, size_t pos, size_t len, int* out) {
  if (pos + len > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + len; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

Result<uint64_t> parse_iso_time(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS[.ffffff][Z]
  std::tm tm{};
  int year, mon, day, hour, min, sec;
  bool ok = parse_fixed(s, 0, 4, &year) && s.size() >= 19 && s[4] == '-' &&
            parse_fixed(s, 5, 2, &mon) && s[7] == '-' && parse_fixed(s, 8, 2, &day) &&
            (s[10] == 'T' || s[10] == ' ') && parse_fixed(s, 11, 2, &hour) && s[13] == ':' &&
            parse_fixed(s, 14, 2, &min) && s[16] == ':' && parse_fixed(s, 17, 2, &sec);
  if (!ok || mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60) {
    return Status::invalid_argument("not a time: '" + std::string(s) + "'");
  }
  size_t i = 19;
  uint64_t frac_usec = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    uint64_t scale = 100000;
    size_t digits = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
      if (digits < 6) frac_usec += static_cast<uint64_t>(s[i] - '0') * scale;
      scale /= 10;
      ++digits;
      ++i;
    }
    if (digits == 0) return Status::invalid_argument("not a time: '" + std::string(s) + "'");
  }
  if (i < s.size() && s[i] == 'Z') ++i;
  if (i != s.size()) return Status::invalid_argument("not a time: '" + std::string(s) + "'");
  tm.tm_year = year - 1900;
  tm.tm_mon = mon - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = min;
  tm.tm_sec = sec;
  std::time_t t = timegm(&tm);
  if (t < 0) return Status::invalid_argument("time before 1970: '" + std::string(s) + "'");
  return static_cast<uint64_t>(t) * 1000000 + frac_usec;
}

}  // namespace

Result<uint64_t> parse_time(std::string_view text) {
  uint64_t v;
  if (!text.empty() && text[0] == '@') {
    if (!parse_u64(text.substr(1), &v) || v > UINT64_MAX / 1000000) {
      return Status::invalid_argument("not a time: '" + std::string(text) + "'");
    }
    return v * 1000000;
  }
  if (parse_u64(text, &v)) return v;
  return parse_iso_time(text);
}

Result<uint64_t> parse_time(std::string_view text, uint64_t now_usec) {
  auto relative = parse_relative_time(text, now_usec);
  if (!relative) return relative.status();
  if (*relative) return **relative;
  auto absolute = parse_time(text);
  if (!absolute)
    return Status::invalid_argument(absolute.status().message() +
                                    " (want now, now-24h, a duration like 30m or 7d, @SECONDS, "
                                    "µs since the epoch, or ISO 8601 UTC)");
  return absolute;
}

Result<int> parse_priority(std::string_view text) {
  for (int i = 0; i < 8; ++i) {
    if (text == kPriorityNames[i]) return i;
  }
  if (text.size() == 1 && text[0] >= '0' && text[0] <= '7') return text[0] - '0';
  return Status::invalid_argument("not a priority: '" + std::string(text) +
                                  "' (want 0-7 or emerg, alert, crit, err, warning, notice, "
                                  "info, debug)");
}

bool is_valid_field_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  if (std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

std::string complete_unit_name(std::string_view name) {
  for (std::string_view suffix : kUnitSuffixes) {
    if (name.size() > suffix.size() && name.substr(name.size() - suffix.size()) == suffix) {
      return std::string(name);
    }
  }
  return std::string(name) + ".service";
}

Result<std::string> parse_boot_id(std::string_view text) {
  std::string id;
  for (char c : text) {
    if (c == '-' && (text.size() == 36)) continue;
    if (!std::isxdigit(static_cast<unsigned char>(c))) {
      return Status::invalid_argument("not a boot ID: '" + std::string(text) +
                                      "' (want 32 hex digits)");
    }
    id.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  if (id.size() != 32) {
    return Status::invalid_argument("not a boot ID: '" + std::string(text) +
                                    "' (want 32 hex digits)");
  }
  return id;
}

}  // namespace infralogs::journal

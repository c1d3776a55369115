#include "infralogs/core/log.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>

#include "infralogs/core/mutex.h"
#include "infralogs/core/utf8.h"

namespace infralogs::log {
namespace {

std::atomic<Level> g_min_level{Level::kInfo};
// -1: not chosen yet (decided by isatty at the first line); else a Format.
std::atomic<int> g_format{-1};
Mutex g_write_mutex;

const char* level_name(Level level) {
  switch (level) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warn";
    case Level::kError:
      return "error";
  }
  return "info";
}

std::string utc_now() {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

Format current_format() {
  int f = g_format.load(std::memory_order_relaxed);
  if (f < 0) {
    f = static_cast<int>(isatty(STDERR_FILENO) ? Format::kText : Format::kJson);
    int unset = -1;
    // A racing set_format() wins over the guess.
    if (!g_format.compare_exchange_strong(unset, f)) f = unset;
  }
  return static_cast<Format>(f);
}

// Appends `s` with every byte a terminal would act on, or that is not printable UTF-8,
// escaped: a hostile value (a journal message, a header from a client) can neither start a
// line of its own nor send escape codes. Returns whether the text must be quoted to read back
// as one value (quote_specials: also for space, '"', '=', '\\' and empty).
bool append_escaped(std::string_view s, bool quote_specials, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  bool quote = quote_specials && s.empty();
  for (size_t i = 0; i < s.size();) {
    unsigned char c = p[i];
    if (c >= 0x80) {
      size_t len = printable_utf8_sequence(p, s.size(), i);
      if (len > 0) {
        out->append(s.data() + i, len);
        i += len;
        continue;
      }
    }
    ++i;
    if (c >= 0x20 && c < 0x7F) {
      if (quote_specials && (c == ' ' || c == '"' || c == '=' || c == '\\')) {
        quote = true;
        if (c == '"' || c == '\\') out->push_back('\\');
      }
      out->push_back(static_cast<char>(c));
      continue;
    }
    quote = quote_specials;
    out->push_back('\\');
    switch (c) {
      case '\n':
        out->push_back('n');
        break;
      case '\r':
        out->push_back('r');
        break;
      case '\t':
        out->push_back('t');
        break;
      default:
        out->push_back('x');
        out->push_back(kHex[c >> 4]);
        out->push_back(kHex[c & 15]);
    }
  }
  return quote;
}

// Appends `s` as a key or value: bare when it can be, else in quotes.
void append_text_token(std::string_view s, std::string* out) {
  std::string escaped;
  if (append_escaped(s, true, &escaped)) {
    out->push_back('"');
    out->append(escaped);
    out->push_back('"');
  } else {
    out->append(escaped);
  }
}

}  // namespace

void set_format(Format format) { g_format = static_cast<int>(format); }

bool parse_format(std::string_view name, Format* out) {
  if (name == "json") {
    *out = Format::kJson;
  } else if (name == "text") {
    *out = Format::kText;
  } else {
    return false;
  }
  return true;
}

std::string format_line(Format format, std::string_view ts, Level level, std::string_view component,
                        std::string_view msg, const nlohmann::json& fields) {
  if (format == Format::kJson) {
    nlohmann::json line = {
        {"ts", ts}, {"level", level_name(level)}, {"component", component}, {"msg", msg}};
    if (fields.is_object()) {
      for (const auto& [k, v] : fields.items()) line[k] = v;
    }
    // replace: a log line must never throw because a value was not valid UTF-8.
    std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    text.push_back('\n');
    return text;
  }
  std::string text;
  append_escaped(ts, false, &text);
  text.push_back(' ');
  text.append(level_name(level));
  text.push_back(' ');
  append_escaped(component, false, &text);
  text.push_back(' ');
  append_escaped(msg, false, &text);
  if (fields.is_object()) {
    for (const auto& [k, v] : fields.items()) {
      text.push_back(' ');
      append_text_token(k, &text);
      text.push_back('=');
      append_text_token(v.is_string()
                            ? v.get_ref<const std::string&>()
                            : v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                        &text);
    }
  }
  text.push_back('\n');
  return text;
}

void set_min_level(Level level) { g_min_level = level; }

bool parse_level(std::string_view name, Level* out) {
  static constexpr std::pair<std::string_view, Level> kNames[] = {{"debug", Level::kDebug},
                                                                  {"info", Level::kInfo},
                                                                  {"warn", Level::kWarn},
                                                                  {"error", Level::kError}};
  for (const auto& [n, l] : kNames) {
    if (n == name) {
      *out = l;
      return true;
    }
  }
  return false;
}

void write(Level level, std::string_view component, std::string_view msg,
           const nlohmann::json& fields) {
  if (level < g_min_level.load(std::memory_order_relaxed)) return;
  std::string text = format_line(current_format(), utc_now(), level, component, msg, fields);
  MutexLock lock(g_write_mutex);
  std::fwrite(text.data(), 1, text.size(), stderr);
  std::fflush(stderr);
}

}  // namespace infralogs::log

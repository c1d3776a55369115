#pragma once
// Structured logging: one line per event on stderr, as a JSON object, e.g.
//   {"ts":"2026-11-26T05:00:00.123Z","level":"info","component":"agent","msg":"listening","listen":"127.0.0.1:9100"}
// or, for a person at a terminal, as text with key=value fields:
//   2026-11-26T05:00:00.123Z info agent listening listen=127.0.0.1:9100
// Text when stderr is a terminal, JSON otherwise, unless set_format() chose one.
// Thread-safe: lines from different threads never interleave.
// Never pass a secret (token, password) in msg or fields.

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace infralogs::log {

enum class Level { kDebug = 0, kInfo, kWarn, kError };

// Lines below this level are dropped. Default kInfo.
void set_min_level(Level level);
// Parses "debug", "info", "warn", "error"; false if the name is unknown.
bool parse_level(std::string_view name, Level* out);

enum class Format { kJson, kText };

// Chooses the line format for every later line; without a call, it is kText when stderr is a
// terminal (isatty, asked once at the first line) and kJson otherwise.
void set_format(Format format);
// Parses "json", "text"; false if the name is unknown.
bool parse_format(std::string_view name, Format* out);

// One log line, ending with '\n', as write() writes it at time `ts` (for tests; write() uses
// the current time). Text: "TS LEVEL COMPONENT MSG KEY=VALUE...", the message as is and each
// value bare unless it is empty or holds a space, '"', '=', '\\' or a byte that needs an
// escape, then quoted; control characters (LF and CR included, so no value can start a second
// line), DEL, C1 controls and invalid UTF-8 are escaped (\n, \r, \t, \xNN) in the
// message, the component, keys and values. Strings are written as text, other JSON values as
// JSON.
std::string format_line(Format format, std::string_view ts, Level level, std::string_view component,
                        std::string_view msg, const nlohmann::json& fields);

void write(Level level, std::string_view component, std::string_view msg,
           const nlohmann::json& fields = nlohmann::json::object());

inline void debug(std::string_view c, std::string_view m,
                  const nlohmann::json& f = nlohmann::json::object()) {
  write(Level::kDebug, c, m, f);
}
inline void info(std::string_view c, std::string_view m,
                 const nlohmann::json& f = nlohmann::json::object()) {
  write(Level::kInfo, c, m, f);
}
inline void warn(std::string_view c, std::string_view m,
                 const nlohmann::json& f = nlohmann::json::object()) {
  write(Level::kWarn, c, m, f);
}
inline void error(std::string_view c, std::string_view m,
                  const nlohmann::json& f = nlohmann::json::object()) {
  write(Level::kError, c, m, f);
}

}  // namespace infralogs::log

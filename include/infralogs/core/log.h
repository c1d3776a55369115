#pragma once
// Structured logging: one JSON object per line on stderr, e.g.
//   {"ts":"2026-11-26T05:00:00.123Z","level":"info","component":"agent","msg":"listening","listen":"127.0.0.1:9100"}
// Thread-safe: lines from different threads never interleave.
// Never pass a secret (token, password) in msg or fields.

#include <nlohmann/json.hpp>
#include <string_view>

namespace infralogs::log {

enum class Level { kDebug = 0, kInfo, kWarn, kError };

// Lines below this level are dropped. Default kInfo.
void set_min_level(Level level);
// Parses "debug", "info", "warn", "error"; false if the name is unknown.
bool parse_level(std::string_view name, Level* out);

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

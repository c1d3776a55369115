#pragma once
// Parsers for command-line and URL values: none throws, each says what was wrong.

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "infralogs/core/status.h"

namespace infralogs {

// Digits of `base` only (no sign, no spaces, no 0x), at most UINT64_MAX; nullopt otherwise.
// Inline: the collector's decoder calls it for several fields of every entry.
inline std::optional<uint64_t> parse_u64(std::string_view text, int base = 10) {
  uint64_t v = 0;
  // from_chars for an unsigned type takes no sign and no leading space.
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v, base);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

struct ListenAddress {
  std::string host;  // without the brackets of "[v6]"
  int port = 0;      // 0: any free port
};

// "HOST:PORT", "[V6]:PORT" or ":PORT" (host empty: every address); PORT 0..65535 (0 picks a
// free port). kInvalidArgument otherwise.
Result<ListenAddress> parse_listen_address(std::string_view text);

}  // namespace infralogs

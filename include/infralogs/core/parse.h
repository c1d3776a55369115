#pragma once
// Parsers for command-line and URL values: none throws, each says what was wrong.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "infralogs/core/status.h"

namespace infralogs {

// Decimal digits only (no sign, no spaces), at most UINT64_MAX; nullopt otherwise.
std::optional<uint64_t> parse_u64(std::string_view text);

struct ListenAddress {
  std::string host;  // without the brackets of "[v6]"
  int port = 0;      // 0: any free port
};

// "HOST:PORT", "[V6]:PORT" or ":PORT" (host empty: every address); PORT 0..65535 (0 picks a
// free port). kInvalidArgument otherwise.
Result<ListenAddress> parse_listen_address(std::string_view text);

}  // namespace infralogs

#pragma once
// UTF-8 text tests shared by the journal encoders and the dashboard.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace infralogs {

// systemd's utf8_is_printable_newline(): valid UTF-8 (no overlong forms, surrogates or
// noncharacters), no C0 control but TAB (and LF when allow_newline), no DEL, no C1 control.
// journalctl prints a value as a JSON string exactly when this holds (with allow_newline).
bool is_printable_utf8(std::string_view s, bool allow_newline);

// The length of the printable multi-byte UTF-8 sequence at s[i] (s[i] >= 0x80), or 0 when it is
// malformed, overlong, a surrogate, a noncharacter or a C1 control.
size_t printable_utf8_sequence(const unsigned char* s, size_t n, size_t i);

// Whether the 8 bytes at p are all printable ASCII (0x20..0x7E) other than '"' and '\\': the
// bytes a JSON string can carry unescaped, tested word-at-a-time.
inline bool is_plain_ascii8(const unsigned char* p) {
  uint64_t x;
  __builtin_memcpy(&x, p, 8);
  constexpr uint64_t kOnes = 0x0101010101010101ULL, kHigh = 0x8080808080808080ULL;
  auto has_zero = [](uint64_t v) { return (v - kOnes) & ~v & kHigh; };
  uint64_t below_space = (x - 0x20 * kOnes) & ~x & kHigh;
  return ((x & kHigh) | below_space | has_zero(x ^ (0x7F * kOnes)) | has_zero(x ^ (0x22 * kOnes)) |
          has_zero(x ^ (0x5C * kOnes))) == 0;
}

}  // namespace infralogs

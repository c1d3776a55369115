#include "infralogs/core/utf8.h"

#include <cstdint>

namespace infralogs {
namespace {

// Decodes one UTF-8 sequence at s[i] like systemd's utf8_encoded_valid_unichar(): returns its
// length and sets *cp, or 0 when it is malformed, overlong, a surrogate or out of range.
size_t decode_utf8(const unsigned char* s, size_t n, size_t i, uint32_t* cp) {
  unsigned char c = s[i];
  size_t len;
  uint32_t v;
  if (c < 0x80) {
    *cp = c;
    return 1;
  } else if ((c & 0xE0) == 0xC0) {
    len = 2;
    v = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3;
    v = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4;
    v = c & 0x07;
  } else {
    return 0;
  }
  if (i + len > n) return 0;
  for (size_t k = 1; k < len; ++k) {
    unsigned char cc = s[i + k];
    if ((cc & 0xC0) != 0x80) return 0;
    v = (v << 6) | (cc & 0x3F);
  }
  size_t need = v < 0x80 ? 1 : v < 0x800 ? 2 : v < 0x10000 ? 3 : 4;
  if (need != len) return 0;  // overlong
  *cp = v;
  return len;
}

// systemd's unichar_is_valid().
bool is_valid_unichar(uint32_t c) {
  if (c >= 0x110000) return false;
  if ((c & 0xFFFFF800) == 0xD800) return false;  // surrogates
  if (c >= 0xFDD0 && c <= 0xFDEF) return false;
  if ((c & 0xFFFE) == 0xFFFE) return false;
  return true;
}

}  // namespace

size_t printable_utf8_sequence(const unsigned char* s, size_t n, size_t i) {
  uint32_t cp;
  size_t len = decode_utf8(s, n, i, &cp);
  if (len == 0 || !is_valid_unichar(cp)) return 0;
  if (cp >= 0x80 && cp <= 0x9F) return 0;  // C1 controls
  return len;
}

bool is_printable_utf8(std::string_view sv, bool allow_newline) {
  const auto* s = reinterpret_cast<const unsigned char*>(sv.data());
  size_t n = sv.size();
  size_t i = 0;
  while (i < n) {
    // Eight plain ASCII bytes at a time, the common case.
    while (i + 8 <= n && is_plain_ascii8(s + i)) i += 8;
    if (i >= n) break;
    unsigned char c = s[i];
    if (c < 0x80) {
      if (c < 0x20) {
        if (c != '\t' && !(allow_newline && c == '\n')) return false;
      } else if (c == 0x7F) {
        return false;
      }
      ++i;
      continue;
    }
    size_t len = printable_utf8_sequence(s, n, i);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

}  // namespace infralogs

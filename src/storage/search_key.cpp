// SearchKey's text form (include/infralogs/storage/log_reader.h): part of the storage interface,
// so the dashboard and HTTP code need no database code to page.

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>

#include "infralogs/storage/log_reader.h"

namespace infralogs::storage {
namespace {

std::string hex(const std::string& bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

}  // namespace

std::string SearchKey::to_string() const {
  return std::to_string(realtime_usec) + "-" + std::to_string(host_id) + "-" + hex(seqnum_id) +
         "-" + std::to_string(seqnum);
}

std::optional<SearchKey> SearchKey::parse(const std::string& text) {
  SearchKey k;
  size_t a = text.find('-'), b = a == std::string::npos ? a : text.find('-', a + 1),
         c = b == std::string::npos ? b : text.find('-', b + 1);
  if (c == std::string::npos) return std::nullopt;
  auto num = [&](size_t from, size_t to, uint64_t* v) {
    if (from >= to) return false;
    auto [p, ec] = std::from_chars(text.data() + from, text.data() + to, *v);
    return ec == std::errc() && p == text.data() + to;
  };
  uint64_t host = 0;
  if (!num(0, a, &k.realtime_usec) || !num(a + 1, b, &host) || host > UINT32_MAX ||
      !num(c + 1, text.size(), &k.seqnum)) {
    return std::nullopt;
  }
  k.host_id = static_cast<uint32_t>(host);
  std::string h = text.substr(b + 1, c - b - 1);
  if (h.size() != 32) return std::nullopt;
  for (size_t i = 0; i < 32; i += 2) {
    unsigned v = 0;
    auto [p, ec] = std::from_chars(h.data() + i, h.data() + i + 2, v, 16);
    if (ec != std::errc() || p != h.data() + i + 2) return std::nullopt;
    k.seqnum_id.push_back(static_cast<char>(v));
  }
  return k;
}

}  // namespace infralogs::storage

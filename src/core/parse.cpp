#include "infralogs/core/parse.h"

#include <charconv>

namespace infralogs {

Result<ListenAddress> parse_listen_address(std::string_view s) {
  auto bad = [s](const char* why) {
    return Status::invalid_argument("want HOST:PORT, [V6]:PORT or :PORT, " + std::string(why) +
                                    ": '" + std::string(s) + "'");
  };
  size_t colon = s.rfind(':');
  if (colon == std::string_view::npos) return bad("no port");
  std::string_view host = s.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
    if (host.empty()) return bad("empty [] host");
  } else if (host.find(':') != std::string_view::npos) {
    return bad("an IPv6 host goes in brackets");
  }
  auto port = parse_u64(s.substr(colon + 1));
  if (!port || *port > 65535) return bad("port must be 0 to 65535");
  return ListenAddress{std::string(host), static_cast<int>(*port)};
}

}  // namespace infralogs

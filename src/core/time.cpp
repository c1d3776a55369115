#include "infralogs/core/time.h"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>

#include "infralogs/core/parse.h"

namespace infralogs {

uint64_t now_usec() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

bool sleep_for(std::chrono::steady_clock::duration d, std::stop_token stop) {
  std::mutex m;
  std::condition_variable_any cv;
  std::unique_lock<std::mutex> lock(m);
  // Nothing notifies cv: only the stop request (the stop_token overload wakes on it) or the
  // timeout ends the wait. That overload returns the predicate's value, always false here, so
  // whether it was stopped is asked of the token (the copy this replaces in collector.cpp
  // returned !wait_for(...): true even when stopped).
  cv.wait_for(lock, stop, d, [] { return false; });
  return !stop.stop_requested();
}

Result<std::optional<uint64_t>> parse_relative_time(std::string_view text, uint64_t now) {
  if (text == "now") return std::optional<uint64_t>(now);
  std::string_view d = text;
  bool from_now = d.substr(0, 4) == "now-";
  if (from_now) d.remove_prefix(4);
  if (d.size() < 2)
    return from_now ? Status::invalid_argument("not a duration: '" + std::string(text) + "'")
                    : Result<std::optional<uint64_t>>(std::optional<uint64_t>());
  uint64_t unit_s = d.back() == 's'   ? 1
                    : d.back() == 'm' ? 60
                    : d.back() == 'h' ? 3600
                    : d.back() == 'd' ? 86400
                                      : 0;
  std::string_view digits = d.substr(0, d.size() - 1);
  bool all_digits = digits.find_first_not_of("0123456789") == std::string_view::npos;
  if (!unit_s || !all_digits) {
    if (from_now)
      return Status::invalid_argument("not a duration (want N s, m, h or d): '" +
                                      std::string(text) + "'");
    return std::optional<uint64_t>();
  }
  constexpr uint64_t kUsec = 1000000;
  auto n = parse_u64(digits);
  if (!n || *n > UINT64_MAX / (unit_s * kUsec))
    return Status::invalid_argument("duration too long: '" + std::string(text) + "'");
  uint64_t back = *n * unit_s * kUsec;
  return std::optional<uint64_t>(back >= now ? 0 : now - back);
}

}  // namespace infralogs

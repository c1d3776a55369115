#pragma once
// Wall-clock time in microseconds since the epoch, the relative times the modes accept, and a
// sleep that a stop request cuts short.

#include <chrono>
#include <cstdint>
#include <optional>
#include <stop_token>
#include <string_view>

#include "infralogs/core/status.h"

namespace infralogs {

// The system clock, in microseconds since the epoch.
uint64_t now_usec();

// Sleeps for `d` unless `stop` is requested first (then returns at once). False when stopped.
bool sleep_for(std::chrono::steady_clock::duration d, std::stop_token stop);

// A time relative to now_usec: "now", a duration back from now ("30s", "90m", "24h", "7d"), or
// "now-DURATION" (the dashboard's form). Returns nullopt when text is none of these (the caller
// then tries an absolute form, journal::parse_time), kInvalidArgument when the duration
// overflows. A duration longer than since the epoch gives 0.
Result<std::optional<uint64_t>> parse_relative_time(std::string_view text, uint64_t now_usec);

}  // namespace infralogs

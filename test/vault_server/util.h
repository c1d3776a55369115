#pragma once
// Small helpers of test-vault: Vault's duration and time formats, random strings, and the
// parsing of request fields the way Vault's framework.FieldData does it.
// Thread-safety: free functions without shared state (random_* use OpenSSL's RAND_bytes).

#include <chrono>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "infralogs/core/status.h"

namespace infralogs::vaultd {

using Clock = std::chrono::system_clock;
using TimePoint = Clock::time_point;

// Go's time.Duration.String() for whole seconds: "0s", "45s", "17m2s", "1h0m0s".
std::string go_duration(int64_t seconds);
// Vault's sdk/framework humanDuration: go_duration without zero units ("1h", "1h10m", "17m2s").
std::string human_duration(int64_t seconds);
// Go's time.Time JSON form in UTC: RFC 3339 with nanoseconds, trailing zeros dropped
// ("2026-12-01T10:00:00.5Z").
std::string rfc3339_nano(TimePoint t);
// Whole seconds since the epoch.
int64_t unix_seconds(TimePoint t);
// `t` truncated to the second (Vault truncates lease times before computing TTLs).
TimePoint truncate_to_second(TimePoint t);

// A duration field: a JSON number of seconds, or a string "3600", "1h", "90m", "1h30m", "10s",
// "2d" (parseutil.ParseDurationSecond). Null or "" is 0.
Result<int64_t> parse_duration(const nlohmann::json& v);

// Random strings from OpenSSL's CSPRNG.
std::string random_base62(size_t n);
std::string random_uuid();
// A password from Vault's default policy: 20 characters of [a-zA-Z0-9-] with at least one
// lower-case letter, one upper-case letter, one digit and one '-'.
std::string random_password();

// Request fields, parsed as Vault's framework does. Each returns kInvalidArgument with a message
// naming the field when the value has the wrong type; a missing or null field gives `fallback`.
class Fields {
 public:
  explicit Fields(const nlohmann::json& body) : body_(body) {}
  bool has(const std::string& name) const;
  Result<std::string> str(const std::string& name, const std::string& fallback = "") const;
  Result<bool> boolean(const std::string& name, bool fallback = false) const;
  Result<int64_t> integer(const std::string& name, int64_t fallback = 0) const;
  Result<int64_t> duration(const std::string& name, int64_t fallback = 0) const;
  // TypeStringSlice: a string is one element, a list is taken as is.
  Result<std::vector<std::string>> string_list(const std::string& name) const;
  // TypeCommaStringSlice: a string is split on commas; elements are trimmed.
  Result<std::vector<std::string>> comma_list(const std::string& name) const;
  // TypeKVPairs / map of strings; a missing field is an empty map.
  Result<std::map<std::string, std::string>> string_map(const std::string& name) const;

 private:
  const nlohmann::json* get(const std::string& name) const;
  const nlohmann::json& body_;
};

std::string trim(std::string_view s);
std::vector<std::string> split(std::string_view s, char sep);
bool starts_with(std::string_view s, std::string_view prefix);
bool ends_with(std::string_view s, std::string_view suffix);
// Replaces every occurrence of `from` in `s`.
std::string replace_all(std::string s, std::string_view from, std::string_view to);
// Sorted, de-duplicated, lower-cased policy names without empty ones (policyutil).
std::vector<std::string> sanitize_policies(std::vector<std::string> policies, bool add_default);

}  // namespace infralogs::vaultd

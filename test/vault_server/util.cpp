#include "util.h"

#include <openssl/rand.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <stdexcept>

namespace infralogs::vaultd {
namespace {

constexpr std::string_view kBase62 =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

// Uniform random index below `n` (rejection sampling over one byte; n <= 256).
size_t random_index(size_t n) {
  const unsigned limit = 256 - (256 % n);
  while (true) {
    unsigned char b;
    if (RAND_bytes(&b, 1) != 1) throw std::runtime_error("RAND_bytes failed");
    if (b < limit) return b % n;
  }
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Go's time.ParseDuration for the units Vault users write (h, m, s, ms, us, ns) plus "d".
Result<double> parse_go_duration(std::string_view s) {
  std::string_view orig = s;
  double sign = 1;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    if (s[0] == '-') sign = -1;
    s.remove_prefix(1);
  }
  if (s == "0") return 0.0;
  if (s.empty())
    return Status::invalid_argument("time: invalid duration \"" + std::string(orig) + "\"");
  double total = 0;
  while (!s.empty()) {
    size_t i = 0;
    while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
    if (i == 0) {
      return Status::invalid_argument("time: invalid duration \"" + std::string(orig) + "\"");
    }
    double value = std::stod(std::string(s.substr(0, i)));
    s.remove_prefix(i);
    size_t j = 0;
    while (j < s.size() && !std::isdigit(static_cast<unsigned char>(s[j])) && s[j] != '.') ++j;
    std::string_view unit = s.substr(0, j);
    s.remove_prefix(j);
    double scale;
    if (unit == "d") {
      scale = 86400;
    } else if (unit == "h") {
      scale = 3600;
    } else if (unit == "m") {
      scale = 60;
    } else if (unit == "s") {
      scale = 1;
    } else if (unit == "ms") {
      scale = 1e-3;
    } else if (unit == "us" || unit == "\xC2\xB5s") {
      scale = 1e-6;
    } else if (unit == "ns") {
      scale = 1e-9;
    } else if (unit.empty()) {
      return Status::invalid_argument("time: missing unit in duration \"" + std::string(orig) +
                                      "\"");
    } else {
      return Status::invalid_argument("time: unknown unit \"" + std::string(unit) +
                                      "\" in duration \"" + std::string(orig) + "\"");
    }
    total += value * scale;
  }
  return sign * total;
}

}  // namespace

std::string go_duration(int64_t seconds) {
  if (seconds == 0) return "0s";
  std::string sign = seconds < 0 ? "-" : "";
  int64_t s = seconds < 0 ? -seconds : seconds;
  int64_t h = s / 3600, m = (s % 3600) / 60, sec = s % 60;
  char buf[64];
  if (h > 0) {
    std::snprintf(buf, sizeof buf, "%lldh%lldm%llds", static_cast<long long>(h),
                  static_cast<long long>(m), static_cast<long long>(sec));
  } else if (m > 0) {
    std::snprintf(buf, sizeof buf, "%lldm%llds", static_cast<long long>(m),
                  static_cast<long long>(sec));
  } else {
    std::snprintf(buf, sizeof buf, "%llds", static_cast<long long>(sec));
  }
  return sign + buf;
}

std::string human_duration(int64_t seconds) {
  if (seconds == 0) return "0s";
  std::string s = go_duration(seconds);
  if (ends_with(s, "m0s")) s = s.substr(0, s.size() - 2);
  size_t idx = s.find("h0m");
  if (idx != std::string::npos && idx > 0) s = s.substr(0, idx + 1) + s.substr(idx + 3);
  return s;
}

std::string rfc3339_nano(TimePoint t) {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ns / 1000000000);
  long frac = static_cast<long>(ns % 1000000000);
  if (frac < 0) {
    frac += 1000000000;
    --secs;
  }
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  std::string out = buf;
  if (frac != 0) {
    char f[16];
    std::snprintf(f, sizeof f, ".%09ld", frac);
    std::string fs = f;
    while (fs.back() == '0') fs.pop_back();
    out += fs;
  }
  return out + "Z";
}

int64_t unix_seconds(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

TimePoint truncate_to_second(TimePoint t) {
  return TimePoint(std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()));
}

Result<int64_t> parse_duration(const nlohmann::json& v) {
  if (v.is_null()) return int64_t{0};
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_number_float()) return static_cast<int64_t>(v.get<double>());
  if (!v.is_string()) return Status::invalid_argument("expected a duration, got " + v.dump());
  std::string s = trim(v.get<std::string>());
  if (s.empty()) return int64_t{0};
  if (all_digits(s)) return static_cast<int64_t>(std::stoll(s));
  auto d = parse_go_duration(s);
  if (!d) return d.status();
  return static_cast<int64_t>(*d);
}

std::string random_base62(size_t n) {
  std::string out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) out.push_back(kBase62[random_index(kBase62.size())]);
  return out;
}

std::string random_uuid() {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof b) != 1) throw std::runtime_error("RAND_bytes failed");
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  char buf[40];
  std::snprintf(buf, sizeof buf,
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
                b[15]);
  return buf;
}

std::string random_password() {
  static constexpr std::string_view kCharset =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-";
  while (true) {
    std::string p;
    for (int i = 0; i < 20; ++i) p.push_back(kCharset[random_index(kCharset.size())]);
    bool lower = false, upper = false, digit = false, dash = false;
    for (char c : p) {
      lower |= std::islower(static_cast<unsigned char>(c)) != 0;
      upper |= std::isupper(static_cast<unsigned char>(c)) != 0;
      digit |= std::isdigit(static_cast<unsigned char>(c)) != 0;
      dash |= c == '-';
    }
    if (lower && upper && digit && dash) return p;
  }
}

const nlohmann::json* Fields::get(const std::string& name) const {
  if (!body_.is_object()) return nullptr;
  auto it = body_.find(name);
  if (it == body_.end() || it->is_null()) return nullptr;
  return &*it;
}

bool Fields::has(const std::string& name) const { return get(name) != nullptr; }

Result<std::string> Fields::str(const std::string& name, const std::string& fallback) const {
  const nlohmann::json* v = get(name);
  if (!v) return fallback;
  if (v->is_string()) return v->get<std::string>();
  if (v->is_number() || v->is_boolean()) return v->dump();
  return Status::invalid_argument("error converting input " + v->dump() + " for field \"" + name +
                                  "\": expected a string");
}

Result<bool> Fields::boolean(const std::string& name, bool fallback) const {
  const nlohmann::json* v = get(name);
  if (!v) return fallback;
  if (v->is_boolean()) return v->get<bool>();
  if (v->is_number_integer()) return v->get<int64_t>() != 0;
  if (v->is_string()) {
    std::string s = v->get<std::string>();
    if (s == "true" || s == "1" || s == "t" || s == "T" || s == "TRUE" || s == "True") return true;
    if (s == "false" || s == "0" || s == "f" || s == "F" || s == "FALSE" || s == "False" ||
        s.empty())
      return false;
  }
  return Status::invalid_argument("error converting input " + v->dump() + " for field \"" + name +
                                  "\": expected a bool");
}

Result<int64_t> Fields::integer(const std::string& name, int64_t fallback) const {
  const nlohmann::json* v = get(name);
  if (!v) return fallback;
  if (v->is_number_integer()) return v->get<int64_t>();
  if (v->is_number_float()) return static_cast<int64_t>(v->get<double>());
  if (v->is_string() && all_digits(v->get<std::string>())) {
    return static_cast<int64_t>(std::stoll(v->get<std::string>()));
  }
  if (v->is_string() && v->get<std::string>().empty()) return fallback;
  return Status::invalid_argument("error converting input " + v->dump() + " for field \"" + name +
                                  "\": expected an integer");
}

Result<int64_t> Fields::duration(const std::string& name, int64_t fallback) const {
  const nlohmann::json* v = get(name);
  if (!v) return fallback;
  auto d = parse_duration(*v);
  if (!d) {
    return Status::invalid_argument("error converting input " + v->dump() + " for field \"" + name +
                                    "\": " + d.status().message());
  }
  return d;
}

Result<std::vector<std::string>> Fields::string_list(const std::string& name) const {
  const nlohmann::json* v = get(name);
  std::vector<std::string> out;
  if (!v) return out;
  if (v->is_string()) {
    std::string s = trim(v->get<std::string>());
    if (!s.empty()) out.push_back(s);
    return out;
  }
  if (v->is_array()) {
    for (const auto& e : *v) {
      if (!e.is_string()) {
        return Status::invalid_argument("error converting input " + v->dump() + " for field \"" +
                                        name + "\": expected a list of strings");
      }
      out.push_back(trim(e.get<std::string>()));
    }
    return out;
  }
  return Status::invalid_argument("error converting input " + v->dump() + " for field \"" + name +
                                  "\": expected a list of strings");
}

Result<std::vector<std::string>> Fields::comma_list(const std::string& name) const {
  const nlohmann::json* v = get(name);
  std::vector<std::string> out;
  if (!v) return out;
  if (v->is_string()) {
    std::string s = v->get<std::string>();
    if (s.empty()) return out;
    for (auto& part : split(s, ',')) out.push_back(trim(part));
    return out;
  }
  return string_list(name);
}

Result<std::map<std::string, std::string>> Fields::string_map(const std::string& name) const {
  const nlohmann::json* v = get(name);
  std::map<std::string, std::string> out;
  if (!v) return out;
  if (v->is_object()) {
    for (const auto& [k, e] : v->items()) out[k] = e.is_string() ? e.get<std::string>() : e.dump();
    return out;
  }
  if (v->is_string()) {
    // A JSON object in a string, as the approle secret-id "metadata" field takes it.
    auto parsed = nlohmann::json::parse(v->get<std::string>(), nullptr, false);
    if (parsed.is_object()) {
      for (const auto& [k, e] : parsed.items()) {
        out[k] = e.is_string() ? e.get<std::string>() : e.dump();
      }
      return out;
    }
    if (v->get<std::string>().empty()) return out;
  }
  return Status::invalid_argument("error converting input " + v->dump() + " for field \"" + name +
                                  "\": expected a map of strings");
}

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t p = s.find(sep, start);
    out.emplace_back(s.substr(start, p == std::string_view::npos ? p : p - start));
    if (p == std::string_view::npos) break;
    start = p + 1;
  }
  return out;
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string replace_all(std::string s, std::string_view from, std::string_view to) {
  if (from.empty()) return s;
  size_t pos = 0;
  while ((pos = s.find(from, pos)) != std::string::npos) {
    s.replace(pos, from.size(), to);
    pos += to.size();
  }
  return s;
}

std::vector<std::string> sanitize_policies(std::vector<std::string> policies, bool add_default) {
  std::vector<std::string> out;
  bool has_default = false;
  for (auto& p : policies) {
    std::string name = trim(p);
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (name.empty()) continue;
    if (name == "root") return {"root"};
    if (name == "default") has_default = true;
    out.push_back(name);
  }
  if (add_default && !has_default) out.push_back("default");
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace infralogs::vaultd

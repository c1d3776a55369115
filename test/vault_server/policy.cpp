#include "policy.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <optional>

#include "util.h"

namespace infralogs::vaultd {
namespace {

constexpr std::pair<std::string_view, uint32_t> kCapabilities[] = {
    {"deny", kCapDeny},     {"create", kCapCreate}, {"read", kCapRead}, {"update", kCapUpdate},
    {"delete", kCapDelete}, {"list", kCapList},     {"sudo", kCapSudo}, {"patch", kCapPatch},
};

constexpr uint32_t kWrite = kCapCreate | kCapRead | kCapUpdate | kCapDelete | kCapList | kCapPatch;

// A value of the HCL subset: a string, a list of values, a block (key -> values), or a bare word.
struct BlockItem;
struct Value {
  enum Kind { kString, kList, kBlock, kWord } kind = kString;
  std::string text;
  std::vector<Value> items;      // kList
  std::vector<BlockItem> block;  // kBlock
};

// One item of a block: its key and labels, and its value. A struct rather than a std::pair,
// which needs a complete Value where clang instantiates it.
struct BlockItem {
  std::vector<std::string> keys;  // key + labels
  Value value;
};

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  Result<Value> parse_body(bool top) {
    Value v;
    v.kind = Value::kBlock;
    while (true) {
      skip_space();
      if (at_end()) {
        if (!top) return error("unexpected end of policy, expected '}'");
        return v;
      }
      if (peek() == '}') {
        if (top) return error("unexpected '}'");
        ++pos_;
        return v;
      }
      std::vector<std::string> keys;
      auto key = word_or_string();
      if (!key) return key.status();
      keys.push_back(*key);
      while (true) {
        skip_space();
        if (at_end()) return error("unexpected end of policy after \"" + keys[0] + "\"");
        if (peek() == '"') {
          auto label = quoted();
          if (!label) return label.status();
          keys.push_back(*label);
          continue;
        }
        break;
      }
      skip_space();
      if (peek() == '=') {
        ++pos_;
        auto value = parse_value();
        if (!value) return value.status();
        v.block.push_back({keys, *value});
      } else if (peek() == '{') {
        ++pos_;
        auto body = parse_body(false);
        if (!body) return body.status();
        v.block.push_back({keys, *body});
      } else {
        return error(std::string("unexpected '") + peek() + "' after \"" + keys[0] + "\"");
      }
      skip_space();
      if (!at_end() && peek() == ',') ++pos_;
    }
  }

 private:
  Result<Value> parse_value() {
    skip_space();
    if (at_end()) return error("unexpected end of policy, expected a value");
    char c = peek();
    if (c == '"') {
      auto s = quoted();
      if (!s) return s.status();
      Value v;
      v.text = *s;
      return v;
    }
    if (c == '[') {
      ++pos_;
      Value v;
      v.kind = Value::kList;
      while (true) {
        skip_space();
        if (at_end()) return error("unexpected end of policy in a list");
        if (peek() == ']') {
          ++pos_;
          return v;
        }
        auto item = parse_value();
        if (!item) return item.status();
        v.items.push_back(*item);
        skip_space();
        if (!at_end() && peek() == ',') ++pos_;
      }
    }
    if (c == '{') {
      ++pos_;
      return parse_body(false);
    }
    auto w = word();
    if (!w) return w.status();
    Value v;
    v.kind = Value::kWord;
    v.text = *w;
    return v;
  }

  Result<std::string> word_or_string() {
    if (peek() == '"') return quoted();
    return word();
  }

  Result<std::string> word() {
    size_t start = pos_;
    while (!at_end() && (std::isalnum(static_cast<unsigned char>(peek())) || peek() == '_' ||
                         peek() == '-' || peek() == '.')) {
      ++pos_;
    }
    if (pos_ == start) return error(std::string("unexpected '") + peek() + "'");
    return std::string(s_.substr(start, pos_ - start));
  }

  Result<std::string> quoted() {
    ++pos_;  // opening quote
    std::string out;
    while (!at_end() && peek() != '"') {
      char c = s_[pos_++];
      if (c == '\\' && !at_end()) {
        char e = s_[pos_++];
        switch (e) {
          case 'n':
            out.push_back('\n');
            break;
          case 't':
            out.push_back('\t');
            break;
          default:
            out.push_back(e);
        }
      } else if (c == '\n') {
        return error("unterminated string");
      } else {
        out.push_back(c);
      }
    }
    if (at_end()) return error("unterminated string");
    ++pos_;
    return out;
  }

  void skip_space() {
    while (!at_end()) {
      char c = peek();
      if (std::isspace(static_cast<unsigned char>(c))) {
        ++pos_;
      } else if (c == '#' || (c == '/' && pos_ + 1 < s_.size() && s_[pos_ + 1] == '/')) {
        while (!at_end() && peek() != '\n') ++pos_;
      } else if (c == '/' && pos_ + 1 < s_.size() && s_[pos_ + 1] == '*') {
        size_t end = s_.find("*/", pos_ + 2);
        pos_ = end == std::string_view::npos ? s_.size() : end + 2;
      } else {
        return;
      }
    }
  }

  Status error(const std::string& what) const {
    size_t line = 1;
    for (size_t i = 0; i < pos_ && i < s_.size(); ++i) line += s_[i] == '\n';
    return Status::invalid_argument("At " + std::to_string(line) + ": " + what);
  }

  bool at_end() const { return pos_ >= s_.size(); }
  char peek() const { return s_[pos_]; }

  std::string_view s_;
  size_t pos_ = 0;
};

std::optional<uint32_t> capability_bit(std::string_view name) {
  for (const auto& [n, bit] : kCapabilities) {
    if (n == name) return bit;
  }
  return std::nullopt;
}

Status validate_pattern(const std::string& pattern) {
  size_t star = pattern.find('*');
  if (star != std::string::npos && star != pattern.size() - 1) {
    return Status::invalid_argument("path \"" + pattern + "\": invalid use of globbing in policy");
  }
  return Status::ok();
}

// One "path" block's capabilities (the `capabilities` list or the old `policy` word).
Result<uint32_t> rule_capabilities(const std::string& pattern, const Value& body) {
  uint32_t caps = 0;
  if (body.kind != Value::kBlock) {
    return Status::invalid_argument("path \"" + pattern + "\": expected a block");
  }
  for (const auto& [keys, value] : body.block) {
    if (keys[0] == "capabilities") {
      if (value.kind != Value::kList) {
        return Status::invalid_argument("path \"" + pattern + "\": capabilities must be a list");
      }
      for (const auto& item : value.items) {
        auto bit = capability_bit(item.text);
        if (!bit) {
          return Status::invalid_argument("path \"" + pattern + "\": invalid capability \"" +
                                          item.text + "\"");
        }
        caps |= *bit;
      }
    } else if (keys[0] == "policy") {
      const std::string& p = value.text;
      if (p == "deny") {
        caps |= kCapDeny;
      } else if (p == "read") {
        caps |= kCapRead | kCapList;
      } else if (p == "write") {
        caps |= kWrite;
      } else if (p == "sudo") {
        caps |= kWrite | kCapSudo;
      } else {
        return Status::invalid_argument("path \"" + pattern + "\": invalid policy \"" + p + "\"");
      }
    }
    // Other keys (allowed_parameters, min_wrapping_ttl, ...) are accepted and not enforced.
  }
  if (caps & kCapDeny) caps = kCapDeny;
  return caps;
}

Result<std::vector<PathRule>> parse_json_policy(std::string_view text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return Status::invalid_argument("failed to parse JSON policy");
  }
  std::vector<PathRule> rules;
  auto paths = j.find("path");
  if (paths == j.end()) return rules;
  if (!paths->is_object()) return Status::invalid_argument("\"path\" must be an object");
  for (const auto& [pattern, body] : paths->items()) {
    Value v;
    v.kind = Value::kBlock;
    if (body.contains("capabilities") && body["capabilities"].is_array()) {
      Value list;
      list.kind = Value::kList;
      for (const auto& c : body["capabilities"]) {
        Value item;
        item.text = c.is_string() ? c.get<std::string>() : c.dump();
        list.items.push_back(item);
      }
      v.block.push_back({{"capabilities"}, list});
    }
    if (body.contains("policy") && body["policy"].is_string()) {
      Value p;
      p.text = body["policy"].get<std::string>();
      v.block.push_back({{"policy"}, p});
    }
    std::string pat = pattern;
    while (!pat.empty() && pat[0] == '/') pat.erase(0, 1);
    Status s = validate_pattern(pat);
    if (!s.is_ok()) return s;
    auto caps = rule_capabilities(pat, v);
    if (!caps) return caps.status();
    rules.push_back({pat, *caps});
  }
  return rules;
}

// How one matching non-exact rule ranks (vault/acl.go CheckAllowedFromNonExactPaths).
struct Candidate {
  size_t first_wildcard;
  bool is_prefix;
  size_t plus_count;
  std::string pattern;
  uint32_t caps;
};

// True when b outranks a under Vault's five precedence rules.
bool outranks(const Candidate& b, const Candidate& a) {
  if (a.first_wildcard != b.first_wildcard) return b.first_wildcard > a.first_wildcard;
  if (a.is_prefix != b.is_prefix) return a.is_prefix;  // the one without a trailing glob wins
  if (a.plus_count != b.plus_count) return b.plus_count < a.plus_count;
  if (a.pattern.size() != b.pattern.size()) return b.pattern.size() > a.pattern.size();
  return b.pattern > a.pattern;
}

bool matches(const std::string& pattern, const std::string& path) {
  bool is_prefix = !pattern.empty() && pattern.back() == '*';
  std::string body = is_prefix ? pattern.substr(0, pattern.size() - 1) : pattern;
  if (body.find('+') == std::string::npos) {
    return is_prefix ? path.compare(0, body.size(), body) == 0 : path == body;
  }
  std::vector<std::string> want = split(body, '/');
  std::vector<std::string> have = split(path, '/');
  if (have.size() < want.size()) return false;
  if (!is_prefix && have.size() != want.size()) return false;
  for (size_t i = 0; i < want.size(); ++i) {
    if (want[i] == "+") continue;
    if (want[i] == have[i]) continue;
    if (is_prefix && i == want.size() - 1 && have[i].compare(0, want[i].size(), want[i]) == 0) {
      continue;
    }
    return false;
  }
  return true;
}

}  // namespace

Result<std::vector<PathRule>> parse_policy(std::string_view text) {
  std::string t = trim(text);
  if (!t.empty() && t[0] == '{') return parse_json_policy(t);
  Parser parser(text);
  auto body = parser.parse_body(true);
  if (!body) return body.status();
  std::vector<PathRule> rules;
  for (const auto& [keys, value] : body->block) {
    if (keys[0] != "path") continue;
    if (keys.size() < 2) return Status::invalid_argument("path block without a path");
    std::string pattern = keys[1];
    while (!pattern.empty() && pattern[0] == '/') pattern.erase(0, 1);
    Status s = validate_pattern(pattern);
    if (!s.is_ok()) return s;
    auto caps = rule_capabilities(pattern, value);
    if (!caps) return caps.status();
    rules.push_back({pattern, *caps});
  }
  return rules;
}

std::vector<std::string> capability_names(uint32_t caps) {
  std::vector<std::string> out;
  for (const auto& [n, bit] : kCapabilities) {
    if (caps & bit) out.emplace_back(n);
  }
  return out;
}

Acl::Acl(const std::vector<std::vector<PathRule>>& policies, bool root) : root_(root) {
  for (const auto& rules : policies) {
    for (const auto& r : rules) {
      auto [it, inserted] = rules_.emplace(r.pattern, r.capabilities);
      if (inserted) continue;
      if ((it->second | r.capabilities) & kCapDeny) {
        it->second = kCapDeny;
      } else {
        it->second |= r.capabilities;
      }
    }
  }
}

uint32_t Acl::capabilities(const std::string& path, bool list_operation) const {
  if (root_) return ~0u & ~kCapDeny;
  auto exact = rules_.find(path);
  if (exact != rules_.end()) return exact->second;
  if (list_operation && !path.empty() && path.back() == '/') {
    exact = rules_.find(path.substr(0, path.size() - 1));
    if (exact != rules_.end()) return exact->second;
  }
  std::optional<Candidate> best;
  for (const auto& [pattern, caps] : rules_) {
    size_t wc = pattern.find_first_of("*+");
    if (wc == std::string::npos) continue;  // exact rules were checked above
    if (!matches(pattern, path)) continue;
    Candidate c{wc, pattern.back() == '*',
                static_cast<size_t>(std::count(pattern.begin(), pattern.end(), '+')), pattern,
                caps};
    if (!best || outranks(c, *best)) best = c;
  }
  return best ? best->caps : 0;
}

bool Acl::has_mount_access(const std::string& mount_path) const {
  if (root_) return true;
  for (const auto& [pattern, caps] : rules_) {
    if (caps == kCapDeny || caps == 0) continue;
    std::string body = pattern;
    if (!body.empty() && body.back() == '*') body.pop_back();
    size_t plus = body.find('+');
    if (plus != std::string::npos) body = body.substr(0, plus);
    if (body.compare(0, mount_path.size(), mount_path) == 0 ||
        mount_path.compare(0, body.size(), body) == 0) {
      return true;
    }
  }
  return false;
}

}  // namespace infralogs::vaultd

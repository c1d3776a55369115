#include "username_template.h"

#include <openssl/sha.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <optional>
#include <variant>

#include "util.h"

namespace infralogs::vaultd {

// A text part, a field, a literal, a function call (name + args), or a pipeline of commands
// where each command after the first gets the previous result as its last argument.
struct UsernameTemplate::Node {
  enum Kind { kText, kField, kString, kNumber, kCall, kPipeline } kind = kText;
  std::string text;  // kText/kString: the text; kField: the field; kCall: the function
  long long number = 0;
  std::vector<std::shared_ptr<const Node>> args;  // kCall args, kPipeline commands
};

namespace {

using Node = UsernameTemplate::Node;
using NodePtr = std::shared_ptr<const Node>;
using Value = std::variant<std::string, long long>;

std::string to_text(const Value& v) {
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  return std::to_string(std::get<long long>(v));
}

class ActionParser {
 public:
  explicit ActionParser(std::string_view s) : s_(s) {}

  Result<NodePtr> pipeline() {
    auto node = std::make_shared<Node>();
    node->kind = Node::kPipeline;
    while (true) {
      auto cmd = command();
      if (!cmd) return cmd.status();
      node->args.push_back(*cmd);
      skip_space();
      if (pos_ < s_.size() && s_[pos_] == '|') {
        ++pos_;
        continue;
      }
      return NodePtr(node);
    }
  }

  bool done() {
    skip_space();
    return pos_ >= s_.size();
  }
  char peek() {
    skip_space();
    return pos_ < s_.size() ? s_[pos_] : '\0';
  }
  void advance() { ++pos_; }

 private:
  // An operand alone, or a function name followed by operands.
  Result<NodePtr> command() {
    skip_space();
    if (pos_ >= s_.size()) return Status::invalid_argument("missing value for command");
    char c = s_[pos_];
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      auto call = std::make_shared<Node>();
      call->kind = Node::kCall;
      call->text = identifier();
      while (true) {
        skip_space();
        if (pos_ >= s_.size() || s_[pos_] == '|' || s_[pos_] == ')') break;
        auto arg = operand();
        if (!arg) return arg.status();
        call->args.push_back(*arg);
      }
      return NodePtr(call);
    }
    return operand();
  }

  Result<NodePtr> operand() {
    skip_space();
    char c = s_[pos_];
    auto node = std::make_shared<Node>();
    if (c == '.') {
      ++pos_;
      node->kind = Node::kField;
      node->text = identifier();
      return NodePtr(node);
    }
    if (c == '"' || c == '`') {
      char quote = c;
      ++pos_;
      node->kind = Node::kString;
      while (pos_ < s_.size() && s_[pos_] != quote) {
        char ch = s_[pos_++];
        if (quote == '"' && ch == '\\' && pos_ < s_.size()) {
          char e = s_[pos_++];
          node->text.push_back(e == 'n' ? '\n' : e == 't' ? '\t' : e);
        } else {
          node->text.push_back(ch);
        }
      }
      if (pos_ >= s_.size()) return Status::invalid_argument("unterminated quoted string");
      ++pos_;
      return NodePtr(node);
    }
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '-') {
      size_t start = pos_++;
      while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) ++pos_;
      node->kind = Node::kNumber;
      node->number = std::stoll(std::string(s_.substr(start, pos_ - start)));
      return NodePtr(node);
    }
    if (c == '(') {
      ++pos_;
      auto inner = pipeline();
      if (!inner) return inner;
      skip_space();
      if (pos_ >= s_.size() || s_[pos_] != ')') return Status::invalid_argument("missing ')'");
      ++pos_;
      return inner;
    }
    if (std::isalpha(static_cast<unsigned char>(c))) {
      // A niladic function used as an operand, e.g. (random 20) written as random.
      node->kind = Node::kCall;
      node->text = identifier();
      return NodePtr(node);
    }
    return Status::invalid_argument(std::string("unexpected \"") + c + "\" in operand");
  }

  std::string identifier() {
    size_t start = pos_;
    while (pos_ < s_.size() &&
           (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_')) {
      ++pos_;
    }
    return std::string(s_.substr(start, pos_ - start));
  }

  void skip_space() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }

  std::string_view s_;
  size_t pos_ = 0;
};

bool known_function(const std::string& name) {
  static const char* kNames[] = {"printf",           "truncate", "truncate_sha256", "lowercase",
                                 "uppercase",        "replace",  "random",          "unix_time",
                                 "unix_time_millis", "uuid",     "sha256"};
  return std::any_of(std::begin(kNames), std::end(kNames),
                     [&](const char* n) { return name == n; });
}

Status check(const NodePtr& n) {
  if (n->kind == Node::kCall && !known_function(n->text)) {
    return Status::invalid_argument("function \"" + n->text + "\" not defined");
  }
  if (n->kind == Node::kField && n->text != "DisplayName" && n->text != "RoleName") {
    return Status::invalid_argument("can't evaluate field " + n->text);
  }
  for (const auto& a : n->args) {
    Status s = check(a);
    if (!s.is_ok()) return s;
  }
  return Status::ok();
}

std::string sha256_hex(const std::string& s) {
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), d);
  std::string out;
  char buf[3];
  for (unsigned char b : d) {
    std::snprintf(buf, sizeof buf, "%02x", b);
    out += buf;
  }
  return out;
}

Result<std::string> go_printf(const std::string& format, const std::vector<Value>& args) {
  std::string out;
  size_t next = 0;
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%') {
      out.push_back(format[i]);
      continue;
    }
    if (++i >= format.size()) return Status::invalid_argument("printf: trailing %");
    char verb = format[i];
    if (verb == '%') {
      out.push_back('%');
    } else if (verb == 's' || verb == 'v' || verb == 'd') {
      out += next < args.size() ? to_text(args[next]) : "%!" + std::string(1, verb) + "(MISSING)";
      ++next;
    } else {
      return Status::invalid_argument(std::string("printf: unsupported verb %") + verb);
    }
  }
  return out;
}

Result<long long> as_int(const Value& v, const char* fn) {
  if (const auto* n = std::get_if<long long>(&v)) return *n;
  return Status::invalid_argument(std::string(fn) + ": expected an integer");
}

Result<Value> eval(const NodePtr& n, const UsernameMetadata& meta, const Value* piped);

Result<Value> call(const Node& n, const UsernameMetadata& meta, const Value* piped) {
  std::vector<Value> args;
  for (const auto& a : n.args) {
    auto v = eval(a, meta, nullptr);
    if (!v) return v;
    args.push_back(*v);
  }
  if (piped) args.push_back(*piped);
  const std::string& f = n.text;
  auto need = [&](size_t k) -> Status {
    if (args.size() != k) {
      return Status::invalid_argument("wrong number of args for " + f + ": want " +
                                      std::to_string(k) + " got " + std::to_string(args.size()));
    }
    return Status::ok();
  };
  if (f == "printf") {
    if (args.empty()) return Status::invalid_argument("printf: missing format");
    std::vector<Value> rest(args.begin() + 1, args.end());
    auto s = go_printf(to_text(args[0]), rest);
    if (!s) return s.status();
    return Value(*s);
  }
  if (f == "truncate" || f == "truncate_sha256") {
    if (Status s = need(2); !s.is_ok()) return s;
    auto max = as_int(args[0], f.c_str());
    if (!max) return max.status();
    if (*max < 0) return Status::invalid_argument("max length must be >= 0");
    std::string s = to_text(args[1]);
    if (static_cast<long long>(s.size()) <= *max) return Value(s);
    if (f == "truncate") return Value(s.substr(0, static_cast<size_t>(*max)));
    if (*max < 8) return Status::invalid_argument("max length must be >= 8");
    // The first (max - 8) characters and the first 8 of the hash of the rest.
    size_t keep = static_cast<size_t>(*max) - 8;
    return Value(s.substr(0, keep) + sha256_hex(s.substr(keep)).substr(0, 8));
  }
  if (f == "lowercase" || f == "uppercase") {
    if (Status s = need(1); !s.is_ok()) return s;
    std::string s = to_text(args[0]);
    for (char& c : s) {
      c = static_cast<char>(f == "lowercase" ? std::tolower(static_cast<unsigned char>(c))
                                             : std::toupper(static_cast<unsigned char>(c)));
    }
    return Value(s);
  }
  if (f == "replace") {
    if (Status s = need(3); !s.is_ok()) return s;
    return Value(replace_all(to_text(args[2]), to_text(args[0]), to_text(args[1])));
  }
  if (f == "random") {
    if (Status s = need(1); !s.is_ok()) return s;
    auto len = as_int(args[0], "random");
    if (!len) return len.status();
    if (*len <= 0) return Status::invalid_argument("random: length must be > 0");
    return Value(random_base62(static_cast<size_t>(*len)));
  }
  if (f == "unix_time" || f == "unix_time_millis") {
    if (Status s = need(0); !s.is_ok()) return s;
    auto now = Clock::now().time_since_epoch();
    long long v = f == "unix_time"
                      ? std::chrono::duration_cast<std::chrono::seconds>(now).count()
                      : std::chrono::duration_cast<std::chrono::milliseconds>(now).count();
    return Value(v);
  }
  if (f == "uuid") {
    if (Status s = need(0); !s.is_ok()) return s;
    return Value(random_uuid());
  }
  if (f == "sha256") {
    if (Status s = need(1); !s.is_ok()) return s;
    return Value(sha256_hex(to_text(args[0])));
  }
  return Status::invalid_argument("function \"" + f + "\" not defined");
}

Result<Value> eval(const NodePtr& n, const UsernameMetadata& meta, const Value* piped) {
  switch (n->kind) {
    case Node::kText:
    case Node::kString:
      return Value(n->text);
    case Node::kNumber:
      return Value(n->number);
    case Node::kField:
      return Value(n->text == "DisplayName" ? meta.display_name : meta.role_name);
    case Node::kCall:
      return call(*n, meta, piped);
    case Node::kPipeline: {
      std::optional<Value> acc;
      for (const auto& cmd : n->args) {
        auto v = eval(cmd, meta, acc ? &*acc : nullptr);
        if (!v) return v;
        acc = *v;
      }
      return acc ? *acc : Value(std::string());
    }
  }
  return Value(std::string());
}

}  // namespace

Result<UsernameTemplate> UsernameTemplate::parse(std::string_view text) {
  UsernameTemplate t;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t open = text.find("{{", pos);
    if (open == std::string_view::npos) {
      auto node = std::make_shared<Node>();
      node->text = std::string(text.substr(pos));
      t.parts_.push_back(node);
      break;
    }
    if (open > pos) {
      auto node = std::make_shared<Node>();
      node->text = std::string(text.substr(pos, open - pos));
      t.parts_.push_back(node);
    }
    size_t close = text.find("}}", open + 2);
    if (close == std::string_view::npos) {
      return Status::invalid_argument("unable to initialize username template: unclosed action");
    }
    std::string_view action = text.substr(open + 2, close - open - 2);
    if (!action.empty() && action.front() == '-') action.remove_prefix(1);
    if (!action.empty() && action.back() == '-') action.remove_suffix(1);
    ActionParser parser(action);
    auto node = parser.pipeline();
    if (!node) {
      return Status::invalid_argument("unable to initialize username template: " +
                                      node.status().message());
    }
    if (!parser.done()) {
      return Status::invalid_argument("unable to initialize username template: unexpected \"" +
                                      std::string(1, parser.peek()) + "\" in action");
    }
    Status s = check(*node);
    if (!s.is_ok()) {
      return Status::invalid_argument("unable to initialize username template: " + s.message());
    }
    t.parts_.push_back(*node);
    pos = close + 2;
  }
  return t;
}

Result<std::string> UsernameTemplate::generate(const UsernameMetadata& meta) const {
  std::string out;
  for (const auto& part : parts_) {
    auto v = eval(part, meta, nullptr);
    if (!v) return v.status();
    out += to_text(*v);
  }
  return out;
}

}  // namespace infralogs::vaultd

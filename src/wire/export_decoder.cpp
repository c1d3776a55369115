#include "export_decoder.h"

#include <algorithm>
#include <cstring>

#include "infralogs/core/utf8.h"

namespace infralogs::wire {
namespace {

// A printable value as a JSON string: printable UTF-8 needs only these four escaped.
size_t escapes_in(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (c == '"' || c == '\\' || c == '\n' || c == '\t');
  return n;
}

void append_string(std::string_view s, std::string* out) {
  out->push_back('"');
  size_t run = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c != '"' && c != '\\' && c != '\n' && c != '\t') continue;
    out->append(s.data() + run, i - run);
    out->push_back('\\');
    out->push_back(c == '\n' ? 'n' : c == '\t' ? 't' : c);
    run = i + 1;
  }
  out->append(s.data() + run, s.size() - run);
  out->push_back('"');
}

size_t byte_array_size(std::string_view v) {
  size_t n = 1 + v.size();  // '[', a ',' or ']' after each number
  for (unsigned char c : v) n += (c >= 10) + (c >= 100);
  return n;
}

void append_byte_array(std::string_view v, std::string* out) {
  out->push_back('[');
  for (size_t i = 0; i < v.size(); ++i) {
    unsigned c = static_cast<unsigned char>(v[i]);
    if (i) out->push_back(',');
    if (c >= 100) out->push_back(static_cast<char>('0' + c / 100));
    if (c >= 10) out->push_back(static_cast<char>('0' + c / 10 % 10));
    out->push_back(static_cast<char>('0' + c % 10));
  }
  out->push_back(']');
}

// What journalctl --all prints for a value: a string when printable UTF-8 (LF and TAB allowed),
// else its bytes (an empty value is a string).
size_t value_size(std::string_view v, bool printable) {
  return printable ? 2 + v.size() + escapes_in(v) : byte_array_size(v);
}

void append_value(std::string_view v, bool printable, std::string* out) {
  if (printable) {
    append_string(v, out);
  } else {
    append_byte_array(v, out);
  }
}

std::string shown(std::string_view name) {
  std::string out;
  for (unsigned char c : name.substr(0, 64)) {
    if (c >= 0x20 && c < 0x7F) {
      out.push_back(static_cast<char>(c));
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return name.size() > 64 ? out + "..." : out;
}

}  // namespace

bool ExportDecoder::fail(std::string message) {
  error_ = Status::corruption(std::move(message));
  return false;
}

bool ExportDecoder::feed(const char* data, size_t size,
                         const std::function<bool(std::string_view)>& on_entry) {
  if (!error_.is_ok()) return false;
  const char* end = data + size;
  while (data < end) {
    const size_t avail = static_cast<size_t>(end - data);
    switch (state_) {
      case State::kLine: {
        const char* nl = static_cast<const char*>(std::memchr(data, '\n', avail));
        const size_t take = nl ? static_cast<size_t>(nl - data) : avail;
        if (data_.size() + take > max_entry_bytes_) {
          return fail("an entry longer than " + std::to_string(max_entry_bytes_) + " bytes");
        }
        data_.append(data, take);
        data += take;
        if (!nl) return true;
        ++data;
        if (!end_line(on_entry)) return false;
        break;
      }
      case State::kLength: {
        const size_t take = std::min(avail, sizeof length_ - length_have_);
        std::memcpy(length_ + length_have_, data, take);
        length_have_ += take;
        data += take;
        if (length_have_ < sizeof length_) return true;
        uint64_t length = 0;
        for (int k = 7; k >= 0; --k) length = length << 8 | length_[k];  // little-endian
        const Field& f = fields_.back();
        // Checked before any byte of it is kept: a hostile length allocates nothing.
        if (length > max_entry_bytes_ - data_.size()) {
          return fail(
              "binary field " + shown(std::string_view(data_).substr(f.name_at, f.name_size)) +
              " says it has " + std::to_string(length) + " bytes: more than the entry limit of " +
              std::to_string(max_entry_bytes_) + " bytes");
        }
        fields_.back().value_at = data_.size();
        fields_.back().value_size = static_cast<size_t>(length);
        value_left_ = length;
        state_ = State::kValue;
        break;
      }
      case State::kValue: {
        const size_t take = static_cast<size_t>(std::min<uint64_t>(avail, value_left_));
        data_.append(data, take);
        data += take;
        value_left_ -= take;
        if (value_left_ == 0) state_ = State::kValueEnd;
        break;
      }
      case State::kValueEnd: {
        if (*data != '\n') {
          const Field& f = fields_.back();
          return fail("binary field " +
                      shown(std::string_view(data_).substr(f.name_at, f.name_size)) + " of " +
                      std::to_string(f.value_size) +
                      " bytes is not followed by a newline (a wrong length?)");
        }
        ++data;
        line_at_ = data_.size();
        state_ = State::kLine;
        break;
      }
    }
  }
  return true;
}

// A line (its '\n' just read) from line_at_ to the end of data_.
bool ExportDecoder::end_line(const std::function<bool(std::string_view)>& on_entry) {
  const size_t at = line_at_, size = data_.size() - at;
  if (size == 0) return end_entry(on_entry);
  const void* eq = std::memchr(data_.data() + at, '=', size);
  if (!eq) {  // NAME, then the binary value's length
    if (!add_name(at, size)) return false;
    length_have_ = 0;
    state_ = State::kLength;
    return true;
  }
  const size_t name_size = static_cast<size_t>(static_cast<const char*>(eq) - (data_.data() + at));
  if (!add_name(at, name_size)) return false;
  fields_.back().value_at = at + name_size + 1;
  fields_.back().value_size = size - name_size - 1;
  line_at_ = data_.size();
  return true;
}

bool ExportDecoder::add_name(size_t at, size_t size) {
  std::string_view name = std::string_view(data_).substr(at, size);
  // The journal's names are A-Z, 0-9 and _; anything else is tolerated if it can be a JSON key,
  // but a name that is not even printable text is not the export format.
  if (name.empty()) return fail("a field with an empty name (not the export format)");
  if (!is_printable_utf8(name, false)) {
    return fail("a field name that is not printable text: '" + shown(name) +
                "' (not the export format)");
  }
  if (fields_.size() >= kMaxFields) {
    return fail("an entry with more than " + std::to_string(kMaxFields) + " fields");
  }
  fields_.push_back({at, size, 0, 0});
  return true;
}

bool ExportDecoder::end_entry(const std::function<bool(std::string_view)>& on_entry) {
  if (fields_.empty()) return true;  // an empty line between entries
  const size_t n = fields_.size();
  auto name_of = [this](size_t i) {
    return std::string_view(data_).substr(fields_[i].name_at, fields_[i].name_size);
  };
  auto value_of = [this](size_t i) {
    return std::string_view(data_).substr(fields_[i].value_at, fields_[i].value_size);
  };
  // Fields grouped by name, each group in export order; groups in the order of their first
  // field (stable_sort keeps the first at the front of its run).
  order_.resize(n);
  for (size_t i = 0; i < n; ++i) order_[i] = i;
  std::stable_sort(order_.begin(), order_.end(),
                   [&](size_t a, size_t b) { return name_of(a) < name_of(b); });
  struct Group {
    size_t first, begin, count;  // first field index; its run in order_
  };
  std::vector<Group> groups;
  for (size_t k = 0; k < n;) {
    size_t e = k + 1;
    while (e < n && name_of(order_[e]) == name_of(order_[k])) ++e;
    groups.push_back({order_[k], k, e - k});
    k = e;
  }
  std::sort(groups.begin(), groups.end(),
            [](const Group& a, const Group& b) { return a.first < b.first; });

  // The line's exact size first, so an entry whose JSON would pass the limit (binary values take
  // up to 4 bytes each) is refused before it is built.
  std::vector<bool> printable(n);
  size_t total = 2;  // {}
  for (const Group& g : groups) {
    std::string_view name = name_of(g.first);
    total += (total > 2) + 3 + name.size() + escapes_in(name) + (g.count > 1 ? g.count + 1 : 0);
    for (size_t k = g.begin; k < g.begin + g.count; ++k) {
      size_t i = order_[k];
      printable[i] = is_printable_utf8(value_of(i), true);
      total += value_size(value_of(i), printable[i]);
    }
  }
  if (total > max_entry_bytes_) {
    return fail("an entry whose JSON is " + std::to_string(total) + " bytes: more than " +
                std::to_string(max_entry_bytes_));
  }
  json_.clear();
  json_.reserve(total);
  json_.push_back('{');
  for (const Group& g : groups) {
    if (json_.size() > 1) json_.push_back(',');
    append_string(name_of(g.first), &json_);
    json_.push_back(':');
    if (g.count > 1) json_.push_back('[');
    for (size_t k = g.begin; k < g.begin + g.count; ++k) {
      if (k > g.begin) json_.push_back(',');
      append_value(value_of(order_[k]), printable[order_[k]], &json_);
    }
    if (g.count > 1) json_.push_back(']');
  }
  json_.push_back('}');

  fields_.clear();
  // A huge entry's buffer is not kept for the small ones after it.
  if (data_.capacity() > (1u << 20)) {
    std::string().swap(data_);
  } else {
    data_.clear();
  }
  line_at_ = 0;
  return on_entry(json_);
}

Status ExportDecoder::finish(const std::string& where) const {
  if (!error_.is_ok()) return Status::corruption(where + error_.message());
  if (state_ != State::kLine || !fields_.empty() || data_.size() > line_at_) {
    return Status::corruption(where + "the response ended inside an entry (truncated)");
  }
  return Status::ok();
}

}  // namespace infralogs::wire

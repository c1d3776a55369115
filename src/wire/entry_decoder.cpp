#include "infralogs/wire/entry_decoder.h"

#include <charconv>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "infralogs/core/parse.h"
#include "infralogs/core/utf8.h"

namespace infralogs::wire {
namespace {

enum class Field {
  kOther,
  kCursor,
  kRealtime,
  kMonotonic,
  kBootId,
  kPriority,
  kUnit,
  kIdentifier,
  kPid,
  kUid,
  kComm,
  kTransport,
  kMessage
};

Field field_of(std::string_view key) {
  struct Name {
    std::string_view name;
    Field field;
  };
  static constexpr Name kNames[] = {{"__CURSOR", Field::kCursor},
                                    {"__REALTIME_TIMESTAMP", Field::kRealtime},
                                    {"__MONOTONIC_TIMESTAMP", Field::kMonotonic},
                                    {"_BOOT_ID", Field::kBootId},
                                    {"PRIORITY", Field::kPriority},
                                    {"_SYSTEMD_UNIT", Field::kUnit},
                                    {"SYSLOG_IDENTIFIER", Field::kIdentifier},
                                    {"_PID", Field::kPid},
                                    {"_UID", Field::kUid},
                                    {"_COMM", Field::kComm},
                                    {"_TRANSPORT", Field::kTransport},
                                    {"MESSAGE", Field::kMessage}};
  for (const auto& n : kNames) {
    if (n.name == key) return n.field;
  }
  return Field::kOther;
}

// How many of the bytes at s[i..n) are plain ASCII inside a JSON string (not '"', '\\', a control
// byte or a byte from 0x80), up to the first that is not: the string scan's fast path. Reads
// 16 bytes at a time while 16 are left, never past s + n; the caller steps through the rest.
size_t plain_ascii_run(const char* s, size_t i, size_t n) {
  const size_t start = i;
#if defined(__SSE2__)
  while (n - i >= 16) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i));
    // Signed: bytes from 0x80 are negative, so "below 0x20" takes them too.
    const __m128i bad = _mm_or_si128(_mm_cmplt_epi8(x, _mm_set1_epi8(0x20)),
                                     _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('"')),
                                                  _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'))));
    const unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(bad));
    if (mask != 0) return i + static_cast<size_t>(__builtin_ctz(mask)) - start;
    i += 16;
  }
#endif
  while (i < n) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') break;
    ++i;
  }
  return i - start;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void append_utf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// A cursor over one line. Methods return false on malformed input and set error_.
class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}

  size_t pos() const { return i_; }
  const char* error() const { return error_; }
  // Whether the line held whitespace outside its strings, place marks aside (the agent writes
  // none).
  bool saw_whitespace() const { return saw_whitespace_; }
  bool at_end() {
    skip_ws();
    return i_ == s_.size();
  }
  bool expect(char c) {
    skip_ws();
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return fail(c == '{' ? "not a JSON object" : "malformed JSON");
  }
  bool peek(char c) {
    skip_ws();
    return i_ < s_.size() && s_[i_] == c;
  }

  // A JSON string; its decoded bytes go to *out (when out is not null).
  bool string(std::string* out) {
    skip_ws();
    if (i_ >= s_.size() || s_[i_] != '"') return fail("expected a string");
    ++i_;
    size_t run = i_;
    while (i_ < s_.size()) {
      i_ += plain_ascii_run(s_.data(), i_, s_.size());
      if (i_ >= s_.size()) break;
      unsigned char c = static_cast<unsigned char>(s_[i_]);
      if (c == '"') {
        if (out) out->append(s_.data() + run, i_ - run);
        ++i_;
        return true;
      }
      if (c < 0x20) return fail("control character in a string");
      if (c >= 0x80) {
        // The agent writes only printable UTF-8 as strings (anything else as a byte array), and
        // what is not valid UTF-8 is not JSON: stored in fields_json it would break every later
        // parse of the entry. Found by test/fuzz/decode_entry_fuzz.cpp.
        size_t len = printable_utf8_sequence(reinterpret_cast<const unsigned char*>(s_.data()),
                                             s_.size(), i_);
        if (len == 0) return fail("invalid UTF-8 in a string");
        i_ += len;
        continue;
      }
      if (c != '\\') {
        ++i_;
        continue;
      }
      if (out) out->append(s_.data() + run, i_ - run);
      if (!escape(out)) return false;
      run = i_;
    }
    return fail("unterminated string");
  }

  // A value: a string, an array of byte numbers, an array of such values (a repeated field), or
  // null. The first value's bytes go to *first; *count says how many values there were.
  bool value(std::string* first, int* count) {
    skip_ws();
    if (i_ >= s_.size()) return fail("truncated entry");
    char c = s_[i_];
    if (c == '"') {
      *count = 1;
      return string(first);
    }
    if (c == 'n') {
      *count = 0;
      return literal("null");
    }
    if (c != '[') return fail("unexpected value");
    ++i_;
    skip_ws();
    if (i_ < s_.size() && s_[i_] == ']') {  // an empty list: no values
      ++i_;
      *count = 0;
      return true;
    }
    if (i_ < s_.size() && (s_[i_] >= '0' && s_[i_] <= '9')) {
      *count = 1;
      return byte_array(first);
    }
    // A repeated field: a list of strings, byte arrays or nulls. Spaces before a later value
    // are its place mark (order=journal, docs/wire-protocol.md), not whitespace to note.
    *count = 0;
    for (bool later = false;; later = true) {
      int n = 0;
      std::string* target = (*count == 0) ? first : nullptr;
      if (later) skip_place_mark();
      skip_ws();
      if (i_ < s_.size() && s_[i_] == '[') {
        ++i_;
        if (!byte_array(target)) return false;
        n = 1;
      } else if (!value_scalar(target, &n)) {
        return false;
      }
      *count += n ? 1 : 0;
      skip_ws();
      if (i_ < s_.size() && s_[i_] == ',') {
        ++i_;
        continue;
      }
      if (i_ < s_.size() && s_[i_] == ']') {
        ++i_;
        // A repeated field counts as repeated even when some values are null.
        if (*count < 2) *count = 2;
        return true;
      }
      return fail("malformed array");
    }
  }

 private:
  bool fail(const char* why) {
    if (!error_) error_ = why;
    return false;
  }
  void skip_ws() {
    size_t start = i_;
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\r' || s_[i_] == '\n'))
      ++i_;
    saw_whitespace_ |= i_ != start;
  }
  void skip_place_mark() {
    while (i_ < s_.size() && s_[i_] == ' ') ++i_;
  }
  bool literal(std::string_view word) {
    if (s_.substr(i_, word.size()) != word) return fail("unexpected value");
    i_ += word.size();
    return true;
  }
  bool value_scalar(std::string* out, int* n) {
    if (i_ < s_.size() && s_[i_] == '"') {
      *n = 1;
      return string(out);
    }
    *n = 0;
    return literal("null");
  }
  // The rest of "[n,n,...]" after '['; numbers 0..255.
  bool byte_array(std::string* out) {
    while (true) {
      skip_ws();
      unsigned v = 0;
      size_t digits = 0;
      while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9' && digits < 4) {
        v = v * 10 + static_cast<unsigned>(s_[i_] - '0');
        ++i_;
        ++digits;
      }
      if (digits == 0 || v > 255) return fail("byte array holds something other than 0..255");
      // JSON numbers have no leading zeros (found by test/fuzz/decode_entry_fuzz.cpp).
      if (digits > 1 && s_[i_ - digits] == '0') return fail("byte array number with a leading 0");
      if (out) out->push_back(static_cast<char>(v));
      skip_ws();
      if (i_ < s_.size() && s_[i_] == ',') {
        ++i_;
        continue;
      }
      if (i_ < s_.size() && s_[i_] == ']') {
        ++i_;
        return true;
      }
      return fail("malformed byte array");
    }
  }
  bool hex4(uint32_t* v) {
    if (i_ + 4 > s_.size()) return fail("truncated \\u escape");
    *v = 0;
    for (int k = 0; k < 4; ++k) {
      int h = hex_value(s_[i_ + k]);
      if (h < 0) return fail("malformed \\u escape");
      *v = (*v << 4) | static_cast<uint32_t>(h);
    }
    i_ += 4;
    return true;
  }
  // At a backslash.
  bool escape(std::string* out) {
    ++i_;
    if (i_ >= s_.size()) return fail("truncated escape");
    char c = s_[i_++];
    char plain = 0;
    switch (c) {
      case '"':
        plain = '"';
        break;
      case '\\':
        plain = '\\';
        break;
      case '/':
        plain = '/';
        break;
      case 'b':
        plain = '\b';
        break;
      case 'f':
        plain = '\f';
        break;
      case 'n':
        plain = '\n';
        break;
      case 'r':
        plain = '\r';
        break;
      case 't':
        plain = '\t';
        break;
      case 'u': {
        uint32_t cp;
        if (!hex4(&cp)) return false;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          uint32_t lo;
          if (i_ + 2 > s_.size() || s_[i_] != '\\' || s_[i_ + 1] != 'u')
            return fail("lone surrogate escape");
          i_ += 2;
          if (!hex4(&lo) || lo < 0xDC00 || lo > 0xDFFF) return fail("lone surrogate escape");
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
          return fail("lone surrogate escape");
        }
        if (out) append_utf8(cp, out);
        return true;
      }
      default:
        return fail("unknown escape");
    }
    if (out) out->push_back(plain);
    return true;
  }

  std::string_view s_;
  size_t i_ = 0;
  const char* error_ = nullptr;
  bool saw_whitespace_ = false;
};

// Sets *v only when the whole of `s` is a number of `base`.
bool parse_u64(std::string_view s, uint64_t* v, int base = 10) {
  std::optional<uint64_t> n = infralogs::parse_u64(s, base);
  if (n) *v = *n;
  return n.has_value();
}

bool hex_to_bytes(std::string_view hex, std::string* out) {
  if (hex.size() != 32) return false;
  out->resize(16);
  for (size_t k = 0; k < 16; ++k) {
    int hi = hex_value(hex[2 * k]), lo = hex_value(hex[2 * k + 1]);
    if (hi < 0 || lo < 0) return false;
    (*out)[k] = static_cast<char>(hi << 4 | lo);
  }
  return true;
}

void assign_selected(Field f, const std::string& v, LogEntry* e) {
  uint64_t n = 0;
  switch (f) {
    case Field::kPriority:
      if (v.size() == 1 && v[0] >= '0' && v[0] <= '7') e->priority = v[0] - '0';
      break;
    case Field::kUnit:
      e->unit = v;
      break;
    case Field::kIdentifier:
      e->identifier = v;
      break;
    case Field::kPid:
      if (parse_u64(v, &n) && n <= UINT32_MAX) e->pid = static_cast<uint32_t>(n);
      break;
    case Field::kUid:
      if (parse_u64(v, &n) && n <= UINT32_MAX) e->uid = static_cast<uint32_t>(n);
      break;
    case Field::kComm:
      e->comm = v;
      break;
    case Field::kTransport:
      e->transport = v;
      break;
    default:
      break;
  }
}

}  // namespace

bool parse_cursor_seqnum(std::string_view cursor, std::string* seqnum_id, uint64_t* seqnum) {
  bool have_s = false, have_i = false;
  size_t start = 0;
  while (start < cursor.size()) {
    size_t semi = cursor.find(';', start);
    std::string_view part =
        cursor.substr(start, semi == std::string_view::npos ? semi : semi - start);
    if (part.size() > 2 && part[1] == '=') {
      if (part[0] == 's')
        have_s = hex_to_bytes(part.substr(2), seqnum_id);
      else if (part[0] == 'i')
        have_i = parse_u64(part.substr(2), seqnum, 16);
    }
    if (semi == std::string_view::npos) break;
    start = semi + 1;
  }
  return have_s && have_i;
}

Status decode_entry(std::string_view line, LogEntry* e) {
  *e = LogEntry{};
  Reader r(line);
  if (!r.expect('{')) return Status::corruption(r.error());
  std::string key, value;
  bool have_realtime = false;
  size_t cut_begin = 0, cut_end = 0;  // the MESSAGE member, with one adjacent comma
  bool first_member = true;
  int message_count = 0;
  if (!r.peek('}')) {
    while (true) {
      size_t member_begin = r.pos();
      key.clear();
      if (!r.string(&key) || !r.expect(':'))
        return Status::corruption(r.error() ? r.error() : "malformed JSON");
      Field f = field_of(key);
      value.clear();
      int count = 0;
      if (!r.value(f == Field::kOther ? nullptr : &value, &count))
        return Status::corruption(r.error());
      size_t member_end = r.pos();
      if (count == 1) {
        switch (f) {
          case Field::kOther:
            break;
          case Field::kCursor:
            e->cursor = value;
            break;
          case Field::kRealtime:
            have_realtime = parse_u64(value, &e->realtime_usec);
            break;
          case Field::kMonotonic:
            parse_u64(value, &e->monotonic_usec);
            break;
          case Field::kBootId:
            hex_to_bytes(value, &e->boot_id);
            break;
          case Field::kMessage:
            e->message = value;
            cut_begin = member_begin;
            cut_end = member_end;
            break;
          default:
            assign_selected(f, value, e);
        }
      } else if (f == Field::kMessage && count > 1) {
        e->message = value;  // the first of several; all stay in fields_json
      }
      if (f == Field::kMessage) message_count += count;
      bool more = r.peek(',');
      if (f == Field::kMessage && count == 1) {
        // Cut "MESSAGE":value plus the comma before it, or after it when it comes first.
        if (!first_member) {
          std::string_view head = line.substr(0, member_begin);
          size_t comma = head.rfind(',');
          cut_begin = comma;
        } else if (more) {
          cut_end = line.find(',', member_end) + 1;
        }
      }
      first_member = false;
      if (more) {
        r.expect(',');
        continue;
      }
      if (!r.expect('}')) return Status::corruption(r.error());
      break;
    }
  } else {
    r.expect('}');
  }
  if (!r.at_end()) return Status::corruption("trailing data after the entry");
  if (e->cursor.empty()) return Status::corruption("entry has no __CURSOR");
  if (!parse_cursor_seqnum(e->cursor, &e->seqnum_id, &e->seqnum)) {
    return Status::corruption("entry's __CURSOR has no s= and i= parts: '" +
                              e->cursor.substr(0, 200) + "'");
  }
  if (!have_realtime) return Status::corruption("entry has no valid __REALTIME_TIMESTAMP");
  if (message_count == 1 && cut_end > cut_begin) {
    // One space marks where MESSAGE stood (entry_decoder.h), so that the fields can
    // be printed in the journal's order; only in a line without whitespace, where it is the
    // only one.
    const bool mark = !r.saw_whitespace();
    e->fields_json.reserve(line.size() - (cut_end - cut_begin) + 1);
    e->fields_json.append(line.substr(0, cut_begin));
    if (mark) e->fields_json.push_back(' ');
    e->fields_json.append(line.substr(cut_end));
  } else {
    e->fields_json.assign(line);
  }
  return Status::ok();
}

}  // namespace infralogs::wire

#include "infralogs/journal/entry_format.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <memory>
#include <optional>

#include "infralogs/core/utf8.h"
#include "infralogs/core/verbose_text.h"

namespace infralogs::journal {
namespace {

constexpr std::string_view kBootIdPrefix = "_BOOT_ID=";

void append_u64(uint64_t v, std::string* out) {
  char buf[24];
  char* p = buf + sizeof buf;
  do {
    *--p = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v);
  out->append(p, buf + sizeof buf - p);
}

bool field_wanted(std::string_view name, const FieldSet& fields) {
  if (fields.empty()) return true;
  return std::find(fields.begin(), fields.end(), name) != fields.end();
}

// --- JSON through a pointer -----------------------------------------------------------------
//
// append_json() sizes a buffer for the worst case of the whole line first (json_bound), so
// the writers below store through a pointer with no check per byte or per append. They may
// store up to kSlack bytes past what they keep (whole 16-byte blocks). Serving a journal is
// mostly this loop: one check per 16 bytes instead of per byte, no std::string bookkeeping.

constexpr size_t kSlack = 16;

char* put(char* p, std::string_view s) {
  std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

char* put_u64(char* p, uint64_t v) {
  char buf[20];
  char* b = buf + sizeof buf;
  do {
    *--b = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v);
  return put(p, {b, static_cast<size_t>(buf + sizeof buf - b)});
}

// How many of the 16 bytes at s a JSON string carries as they are (16: all): printable ASCII
// other than '"' and '\\'.
size_t plain_prefix16(const unsigned char* s) {
#if defined(__SSE2__)
  const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s));
  // Signed bytes: below 0x20 is also every byte from 0x80 up.
  const __m128i bad = _mm_or_si128(
      _mm_or_si128(_mm_cmplt_epi8(x, _mm_set1_epi8(0x20)), _mm_cmpeq_epi8(x, _mm_set1_epi8(0x7F))),
      _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('"')), _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'))));
  const unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(bad));
  return mask ? static_cast<size_t>(__builtin_ctz(mask)) : 16;
#else
  size_t k = 0;
  while (k < 16 && is_plain_ascii8(s + k)) k += 8;
  while (k < 16 && s[k] >= 0x20 && s[k] < 0x7F && s[k] != '"' && s[k] != '\\') ++k;
  return k;
#endif
}

// Copies the plain bytes of s[*i..n) to *p, 16 at a time, up to the first byte that is not
// plain or the end. The last block is read from a copy, never past s + n.
void copy_plain(const unsigned char* s, size_t n, size_t* i, char** p) {
  while (*i < n) {
    const size_t left = n - *i;
    size_t k;
    if (left >= 16) {
      std::memcpy(*p, s + *i, 16);
      k = plain_prefix16(s + *i);
    } else {
      unsigned char tail[16] = {};  // the zero after the data is not plain: k <= left
      std::memcpy(tail, s + *i, left);
      std::memcpy(*p, tail, 16);
      k = plain_prefix16(tail);
    }
    *p += k;
    *i += k;
    if (k < 16) return;
  }
}

// append_json_string() through a pointer: at most 6 * size + 2 bytes.
char* put_json_string(std::string_view sv, char* p) {
  static constexpr char kHex[] = "0123456789abcdef";
  const auto* s = reinterpret_cast<const unsigned char*>(sv.data());
  const size_t n = sv.size();
  size_t i = 0;
  *p++ = '"';
  while (true) {
    copy_plain(s, n, &i, &p);
    if (i >= n) break;
    const unsigned char c = s[i++];
    if (c >= 0x20 && c != '"' && c != '\\') {  // DEL and bytes from 0x80 go out as they are
      *p++ = static_cast<char>(c);
      continue;
    }
    *p++ = '\\';
    switch (c) {
      case '"':
      case '\\':
        *p++ = static_cast<char>(c);
        break;
      case '\n':
        *p++ = 'n';
        break;
      case '\t':
        *p++ = 't';
        break;
      case '\r':
        *p++ = 'r';
        break;
      default:
        p = put(p, {"u00", 3});
        *p++ = kHex[c >> 4];
        *p++ = kHex[c & 15];
    }
  }
  *p++ = '"';
  return p;
}

// "N," for every byte value N, and how many of the four bytes count.
struct DecimalByte {
  char text[4];
  unsigned char size;
};
constexpr struct DecimalBytes {
  DecimalByte of[256] = {};
  constexpr DecimalBytes() {
    for (int v = 0; v < 256; ++v) {
      DecimalByte& d = of[v];
      int k = 0;
      if (v >= 100) d.text[k++] = static_cast<char>('0' + v / 100);
      if (v >= 10) d.text[k++] = static_cast<char>('0' + v / 10 % 10);
      d.text[k++] = static_cast<char>('0' + v % 10);
      d.text[k++] = ',';
      d.size = static_cast<unsigned char>(k);
    }
  }
} kDecimalBytes;

// A value as an array of byte numbers ("[104,105]"): at most 4 * size + 2 bytes. Binary payloads
// are hundreds of bytes, so each byte is one table entry and one 4-byte store.
char* put_byte_array(std::string_view value, char* p) {
  *p++ = '[';
  for (unsigned char c : value) {
    std::memcpy(p, kDecimalBytes.of[c].text, 4);
    p += kDecimalBytes.of[c].size;
  }
  if (value.empty()) {
    *p++ = ']';
  } else {
    p[-1] = ']';  // over the last ','
  }
  return p;
}

// A value as journalctl prints it: a JSON string when it is printable UTF-8 (TAB and LF
// allowed), else an array of byte numbers (at most 4 * size + 2 bytes either way). One pass:
// copies plain runs, escapes as it goes, and starts over as a byte array at the first byte that
// is not printable.
char* put_json_value(std::string_view value, char* p) {
  const auto* s = reinterpret_cast<const unsigned char*>(value.data());
  const size_t n = value.size();
  char* const start = p;
  size_t i = 0;
  *p++ = '"';
  while (true) {
    copy_plain(s, n, &i, &p);
    if (i >= n) break;
    const unsigned char c = s[i];
    if (c >= 0x80) {
      const size_t len = printable_utf8_sequence(s, n, i);
      if (len == 0) return put_byte_array(value, start);
      p = put(p, {value.data() + i, len});
      i += len;
      continue;
    }
    const char esc = c == '"' ? '"' : c == '\\' ? '\\' : c == '\n' ? 'n' : c == '\t' ? 't' : 0;
    if (!esc) return put_byte_array(value, start);  // another control character or DEL
    *p++ = '\\';
    *p++ = esc;
    ++i;
  }
  *p++ = '"';
  return p;
}

// `,"NAME":`. A field name (Entry::is_field) needs no escape.
char* put_json_key(std::string_view name, bool field, char* p) {
  *p++ = ',';
  if (field) {
    *p++ = '"';
    p = put(p, name);
    *p++ = '"';
  } else {
    p = put_json_string(name, p);
  }
  *p++ = ':';
  return p;
}

uint64_t load64(const char* p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}

// Any hash of a field name: equal names hash alike, and a match is then compared whole.
uint64_t name_hash(std::string_view name) {
  constexpr uint64_t kMul = 0xff51afd7ed558ccdULL;
  const char* s = name.data();
  const size_t n = name.size();
  uint64_t h = (n + 1) * 0x9E3779B97F4A7C15ULL;
  if (n >= 8) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) h = (h ^ load64(s + i)) * kMul;
    if (i < n) h = (h ^ load64(s + n - 8)) * kMul;  // the last 8, overlapping
  } else {
    uint64_t w = 0;
    for (size_t i = 0; i < n; ++i) w = (w << 8) | static_cast<unsigned char>(s[i]);
    h = (h ^ w) * kMul;
  }
  // Every input bit reaches the low bits that pick the slot (names that differ only in their
  // last bytes, APP_FIELD_01..60, must not all land on one slot).
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  return h ^ (h >> 29);
}

// What append_json() decides for each item before it writes.
struct ItemPlan {
  uint32_t next;   // the next item of the same name (0: none; item 0 is never a later one)
  uint32_t last;   // for the first item of a name: the last one of that name so far
  uint32_t place;  // JsonOrder::kJournal: the item's index among those written
  bool skip;       // not written at its own place (left out, or a later value of a repeat)
};

// A buffer of at least `size` bytes for this thread, kept between calls up to kKeptScratch: a
// larger one (an entry of megabytes, whose bound is 4x its values) is freed after its line, so
// that one big entry does not pin its bound in every serving thread.
constexpr size_t kKeptScratch = size_t{1} << 20;
struct Scratch {
  std::unique_ptr<char[]> buf;
  size_t capacity = 0;
};
thread_local Scratch t_scratch;

char* scratch(size_t size) {
  Scratch& s = t_scratch;
  if (size > s.capacity) {
    s.capacity = std::max(size, std::min(s.capacity * 2, kKeptScratch));
    s.buf.reset(new char[s.capacity]);
  }
  return s.buf.get();
}

void release_large_scratch() {
  if (t_scratch.capacity > kKeptScratch) t_scratch = Scratch{};
}

}  // namespace

void append_json_string(std::string_view s, std::string* out) {
  const size_t start = out->size();
  out->resize(start + 6 * s.size() + 2 + kSlack);
  char* end = put_json_string(s, out->data() + start);
  out->resize(static_cast<size_t>(end - out->data()));
}

void append_json(const Entry& entry, const FieldSet& fields, std::string* out) {
  append_json(entry, fields, JsonOrder::kJournalctl, out);
}

void append_json(const Entry& entry, const FieldSet& fields, JsonOrder order, std::string* out) {
  const bool journal_order = order == JsonOrder::kJournal;
  const size_t n = entry.item_count();

  // Which items are written. The line starts with the three address fields (and, in
  // journalctl's order, _BOOT_ID from the entry's header); a data item of the same name (only a
  // corrupted or crafted file holds a "__" one: journald never stores them) would repeat the key,
  // and the collector would read the item's value as the cursor. Found by
  // journal_encoders_fuzz.cpp. A field name that is not printable UTF-8 (only a corrupted file
  // holds one: the journal accepts A-Z, 0-9 and _) cannot be a JSON key; writing it would make
  // the whole line invalid JSON for the collector. Found by test/fuzz/journal_encoders_fuzz.cpp.
  // In the journal's order _BOOT_ID goes where its first item is (with the header's value, as
  // journalctl prints it), and each written item has a place: its index among those written.
  //
  // Repeated fields are grouped into arrays, in the journal's order of their values: an
  // open-addressing table of the names written links each later item of a name to the first.
  thread_local std::vector<ItemPlan> plan;
  thread_local std::vector<uint32_t> table;
  constexpr uint32_t kEmpty = UINT32_MAX;
  size_t slots = 32;
  while (slots < 2 * n) slots *= 2;
  plan.resize(n);
  table.assign(slots, kEmpty);
  // The worst case of the line: every byte of a name escaped as \u00XX, every value a byte
  // array (4 bytes per byte), and the place marks of repeated values.
  size_t bound = 160 + 6 * entry.cursor.size() + 2 * entry.boot_id.size() + kSlack;
  bool boot_id_written = !journal_order;
  uint32_t next_place = 0;
  for (size_t i = 0; i < n; ++i) {
    ItemPlan& it = plan[i];
    it = {0, static_cast<uint32_t>(i), 0, true};
    const std::string_view name = entry.name(i);
    const bool boot = name == "_BOOT_ID";
    if (boot && !boot_id_written) {
      boot_id_written = true;
      it.place = next_place++;
      it.skip = false;
      continue;
    }
    if (boot || name == "__CURSOR" || name == "__REALTIME_TIMESTAMP" ||
        name == "__MONOTONIC_TIMESTAMP" || !field_wanted(name, fields) ||
        (!entry.is_field(i) && !is_printable_utf8(name, false))) {
      continue;
    }
    it.place = next_place++;
    bound += 6 * name.size() + 4 * entry.value(i).size() + 16;
    for (size_t k = name_hash(name) & (slots - 1);; k = (k + 1) & (slots - 1)) {
      if (table[k] == kEmpty) {
        table[k] = static_cast<uint32_t>(i);
        it.skip = false;
        break;
      }
      if (entry.name(table[k]) == name) {
        ItemPlan& first = plan[table[k]];
        plan[first.last].next = static_cast<uint32_t>(i);
        first.last = static_cast<uint32_t>(i);
        if (journal_order) bound += it.place;
        break;
      }
    }
  }

  char* const buf = scratch(bound);
  char* p = buf;
  p = put(p, "{\"__CURSOR\":");
  p = put_json_string(entry.cursor, p);
  p = put(p, ",\"__REALTIME_TIMESTAMP\":\"");
  p = put_u64(p, entry.realtime_usec);
  p = put(p, "\",\"__MONOTONIC_TIMESTAMP\":\"");
  p = put_u64(p, entry.monotonic_usec);
  *p++ = '"';
  auto put_boot_id = [&] {
    p = put(p, ",\"_BOOT_ID\":\"");
    p = put(p, entry.boot_id);
    *p++ = '"';
  };
  if (!journal_order) put_boot_id();
  for (size_t i = 0; i < n; ++i) {
    const ItemPlan& it = plan[i];
    if (it.skip) continue;
    const std::string_view name = entry.name(i);
    if (journal_order && name == "_BOOT_ID") {
      put_boot_id();
      continue;
    }
    p = put_json_key(name, entry.is_field(i), p);
    if (it.next == 0) {
      p = put_json_value(entry.value(i), p);
      continue;
    }
    *p++ = '[';
    p = put_json_value(entry.value(i), p);
    for (uint32_t j = it.next; j != 0; j = plan[j].next) {
      *p++ = ',';
      if (journal_order) {  // its place mark (entry_format.h)
        std::memset(p, ' ', plan[j].place);
        p += plan[j].place;
      }
      p = put_json_value(entry.value(j), p);
    }
    *p++ = ']';
  }
  if (!boot_id_written) put_boot_id();  // an entry without a _BOOT_ID item: the header's, last
  p = put(p, "}\n");
  out->append(buf, static_cast<size_t>(p - buf));
  release_large_scratch();
}

void append_export(const Entry& entry, std::string* out) {
  static const FieldSet kAll;
  append_export(entry, kAll, out);
}

void append_export(const Entry& entry, const FieldSet& fields, std::string* out) {
  out->append("__CURSOR=");
  out->append(entry.cursor);
  out->append("\n__REALTIME_TIMESTAMP=");
  append_u64(entry.realtime_usec, out);
  out->append("\n__MONOTONIC_TIMESTAMP=");
  append_u64(entry.monotonic_usec, out);
  out->append("\n_BOOT_ID=");
  out->append(entry.boot_id);
  out->push_back('\n');
  for (size_t i = 0; i < entry.item_count(); ++i) {
    std::string_view item = entry.item(i);
    if (item.substr(0, kBootIdPrefix.size()) == kBootIdPrefix) continue;
    std::string_view name, value;
    split_item(item, &name, &value);
    if (!field_wanted(name, fields)) continue;
    if (is_printable_utf8(value, false)) {
      out->append(item);
      out->push_back('\n');
      continue;
    }
    out->append(name);
    out->push_back('\n');
    uint64_t len = value.size();
    char le[8];
    for (int b = 0; b < 8; ++b) le[b] = static_cast<char>((len >> (8 * b)) & 0xFF);
    out->append(le, 8);
    out->append(value);
    out->push_back('\n');
  }
  out->push_back('\n');
}

void append_verbose(const Entry& entry, const FieldSet& fields, std::string* out) {
  // journalctl 252 shows the source's own time when the entry carries one: the last value,
  // and the journal's time when that one does not parse (core/verbose_text.h).
  constexpr std::string_view kSource = "_SOURCE_REALTIME_TIMESTAMP=";
  std::optional<std::string_view> source;
  for (size_t i = 0; i < entry.item_count(); ++i) {
    std::string_view item = entry.item(i);
    if (item.substr(0, kSource.size()) == kSource) source = item.substr(kSource.size());
  }
  std::optional<uint64_t> source_usec;
  if (source) source_usec = parse_source_realtime(*source);
  append_verbose_header(source_usec.value_or(entry.realtime_usec), entry.cursor, out);
  for (size_t i = 0; i < entry.item_count(); ++i) {
    std::string_view name, value;
    split_item(entry.item(i), &name, &value);
    if (!field_wanted(name, fields)) continue;
    append_verbose_field(name, value, out);
  }
}

void append_short(const Entry& entry, std::string* out) {
  std::string_view host, ident, comm, pid, syslog_pid, message;
  for (size_t i = 0; i < entry.item_count(); ++i) {
    std::string_view name, value;
    split_item(entry.item(i), &name, &value);
    if (name == "_HOSTNAME")
      host = value;
    else if (name == "SYSLOG_IDENTIFIER")
      ident = value;
    else if (name == "_COMM")
      comm = value;
    else if (name == "_PID")
      pid = value;
    else if (name == "SYSLOG_PID")
      syslog_pid = value;
    else if (name == "MESSAGE")
      message = value;
  }
  std::time_t secs = static_cast<std::time_t>(entry.realtime_usec / 1000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%b %d %H:%M:%S", &tm);
  size_t line_start = out->size();
  out->append(stamp);
  out->push_back(' ');
  out->append(host);
  out->push_back(' ');
  out->append(ident.empty() ? comm : ident);
  std::string_view p = pid.empty() ? syslog_pid : pid;
  if (!p.empty()) {
    out->push_back('[');
    out->append(p);
    out->push_back(']');
  }
  out->append(": ");
  size_t indent = out->size() - line_start;
  if (!is_printable_utf8(message, true)) {
    out->push_back('[');
    append_u64(message.size(), out);
    out->append("B blob data]\n");
    return;
  }
  // Continuation lines are indented under the first, as journalctl does.
  size_t start = 0;
  while (true) {
    size_t nl = message.find('\n', start);
    out->append(message.substr(start, nl == std::string_view::npos ? nl : nl - start));
    out->push_back('\n');
    if (nl == std::string_view::npos) break;
    out->append(indent, ' ');
    start = nl + 1;
  }
}

}  // namespace infralogs::journal

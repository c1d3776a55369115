#include "infralogs/journal/entry_format.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <ctime>
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

// Written through a pointer into space sized for the worst case (4 bytes per byte: "255,"),
// then cut to what was used: binary payloads are hundreds of bytes, and an append per byte
// made this the hottest loop on binary-heavy journals.
void append_byte_array(std::string_view value, std::string* out) {
  const size_t start = out->size();
  out->resize(start + 2 + 4 * value.size());
  char* p = out->data() + start;
  *p++ = '[';
  for (size_t i = 0; i < value.size(); ++i) {
    unsigned v = static_cast<unsigned char>(value[i]);
    if (i) *p++ = ',';
    if (v >= 100) *p++ = static_cast<char>('0' + v / 100);
    if (v >= 10) *p++ = static_cast<char>('0' + v / 10 % 10);
    *p++ = static_cast<char>('0' + v % 10);
  }
  *p++ = ']';
  out->resize(static_cast<size_t>(p - out->data()));
}

// A value as journalctl prints it: a JSON string when it is printable UTF-8 (TAB and LF allowed),
// else an array of byte numbers. One pass: copies runs of plain bytes, escapes as it goes, and
// starts over as a byte array at the first byte that is not printable.
void append_json_value(std::string_view value, std::string* out) {
  const auto* s = reinterpret_cast<const unsigned char*>(value.data());
  size_t n = value.size(), i = 0, run = 0, start = out->size();
  out->push_back('"');
  while (i < n) {
    while (i + 8 <= n && is_plain_ascii8(s + i)) i += 8;
    if (i >= n) break;
    unsigned char c = s[i];
    if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      size_t len = printable_utf8_sequence(s, n, i);
      if (len == 0) break;
      i += len;
      continue;
    }
    const char* esc = c == '"'    ? "\\\""
                      : c == '\\' ? "\\\\"
                      : c == '\n' ? "\\n"
                      : c == '\t' ? "\\t"
                                  : nullptr;
    if (!esc) break;  // another control character or DEL
    out->append(value.data() + run, i - run);
    out->append(esc, 2);
    run = ++i;
  }
  if (i < n) {
    out->resize(start);
    append_byte_array(value, out);
    return;
  }
  out->append(value.data() + run, n - run);
  out->push_back('"');
}

// Appends `,"NAME":`. Journal field names need no escape ([A-Z0-9_]), so the common case is
// one append of a small buffer instead of four appends and a scan.
void append_json_key(std::string_view name, std::string* out) {
  char buf[72];
  if (name.size() <= 64) {
    bool plain = true;
    for (char ch : name) {
      const auto c = static_cast<unsigned char>(ch);
      plain &= c >= 0x20 && c < 0x7F && c != '"' && c != '\\';
    }
    if (plain) {
      buf[0] = ',';
      buf[1] = '"';
      std::memcpy(buf + 2, name.data(), name.size());
      buf[name.size() + 2] = '"';
      buf[name.size() + 3] = ':';
      out->append(buf, name.size() + 4);
      return;
    }
  }
  out->push_back(',');
  append_json_string(name, out);
  out->push_back(':');
}

bool field_wanted(std::string_view name, const FieldSet& fields) {
  if (fields.empty()) return true;
  return std::find(fields.begin(), fields.end(), name) != fields.end();
}

}  // namespace

void append_json_string(std::string_view s, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t run = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    // Eight bytes at a time while none needs an escape (field names are all such bytes).
    while (i + 8 <= s.size() && is_plain_ascii8(p + i)) i += 8;
    if (i >= s.size()) break;
    unsigned char c = p[i];
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out->append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\r':
        out->append("\\r");
        break;
      default: {
        char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
        out->append(esc, 6);
      }
    }
  }
  out->append(s.data() + run, s.size() - run);
  out->push_back('"');
}

void append_json(const Entry& entry, const FieldSet& fields, std::string* out) {
  append_json(entry, fields, JsonOrder::kJournalctl, out);
}

void append_json(const Entry& entry, const FieldSet& fields, JsonOrder order, std::string* out) {
  const bool journal_order = order == JsonOrder::kJournal;
  out->append("{\"__CURSOR\":");
  append_json_string(entry.cursor, out);
  out->append(",\"__REALTIME_TIMESTAMP\":\"");
  append_u64(entry.realtime_usec, out);
  out->append("\",\"__MONOTONIC_TIMESTAMP\":\"");
  append_u64(entry.monotonic_usec, out);
  out->push_back('"');
  if (!journal_order) {
    out->append(",\"_BOOT_ID\":\"");
    out->append(entry.boot_id);
    out->push_back('"');
  }

  // Group repeated fields into arrays, keeping the journal's value order. Entries rarely have
  // more than a few dozen fields, so a quadratic scan beats building a hash map per entry.
  size_t n = entry.item_count();
  thread_local std::vector<std::string_view> names, values;
  thread_local std::vector<char> done;
  names.resize(n);
  values.resize(n);
  done.assign(n, 0);
  // Most entries repeat no field, and wide ones (60+ fields) would spend most of their time in
  // the quadratic scan for repeats. A small open-addressing table of name hashes finds, exactly,
  // which names occur more than once; only those are scanned for. Entries with more names than
  // the table holds comfortably take the plain scan for every name.
  constexpr size_t kSlots = 256;
  constexpr uint16_t kEmpty = 0xFFFF;
  thread_local std::vector<char> repeats;
  repeats.assign(n, n * 2 > kSlots ? 1 : 0);
  for (size_t i = 0; i < n; ++i) split_item(entry.item(i), &names[i], &values[i]);
  if (n * 2 <= kSlots) {
    uint16_t slot[kSlots];
    std::memset(slot, 0xFF, sizeof slot);
    for (size_t i = 0; i < n; ++i) {
      uint32_t h = 2166136261u;  // FNV-1a
      for (char c : names[i]) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
      for (size_t k = h & (kSlots - 1);; k = (k + 1) & (kSlots - 1)) {
        if (slot[k] == kEmpty) {
          slot[k] = static_cast<uint16_t>(i);
          break;
        }
        if (names[slot[k]] == names[i]) {
          repeats[slot[k]] = 1;  // the first occurrence: the one the output starts from
          break;
        }
      }
    }
  }
  // Which items are written. The line starts with the three address fields (and, in
  // journalctl's order, _BOOT_ID from the entry's header); a data item of the same name (only a
  // corrupted or crafted file holds a "__" one: journald never stores them) would repeat the key,
  // and the collector would read the item's value as the cursor. Found by
  // journal_encoders_fuzz.cpp. A field name that is not printable UTF-8 (only a corrupted file
  // holds one: the journal accepts A-Z, 0-9 and _) cannot be a JSON key; writing it would make
  // the whole line invalid JSON for the collector. Found by test/fuzz/journal_encoders_fuzz.cpp.
  // In the journal's order _BOOT_ID goes where its first item is (with the header's value, as
  // journalctl prints it), and each written item has a place: its index among those written.
  thread_local std::vector<uint32_t> place;
  bool boot_id_written = !journal_order;
  if (journal_order) place.assign(n, 0);
  for (size_t i = 0, next = 0; i < n; ++i) {
    bool boot = names[i] == "_BOOT_ID";
    if (boot && !boot_id_written) {
      boot_id_written = true;
      place[i] = static_cast<uint32_t>(next++);
      continue;
    }
    if (boot || names[i] == "__CURSOR" || names[i] == "__REALTIME_TIMESTAMP" ||
        names[i] == "__MONOTONIC_TIMESTAMP" || !field_wanted(names[i], fields) ||
        !is_printable_utf8(names[i], false)) {
      done[i] = 1;
      continue;
    }
    if (journal_order) place[i] = static_cast<uint32_t>(next++);
  }
  for (size_t i = 0; i < n; ++i) {
    if (done[i]) continue;
    if (journal_order && names[i] == "_BOOT_ID") {
      out->append(",\"_BOOT_ID\":\"");
      out->append(entry.boot_id);
      out->push_back('"');
      continue;
    }
    size_t same = 0;
    if (repeats[i]) {
      for (size_t j = i + 1; j < n; ++j) {
        if (!done[j] && names[j] == names[i]) ++same;
      }
    }
    append_json_key(names[i], out);
    if (same == 0) {
      append_json_value(values[i], out);
      continue;
    }
    out->push_back('[');
    append_json_value(values[i], out);
    for (size_t j = i + 1; j < n; ++j) {
      if (done[j] || names[j] != names[i]) continue;
      done[j] = 1;
      out->push_back(',');
      if (journal_order) out->append(place[j], ' ');  // its place mark (entry_format.h)
      append_json_value(values[j], out);
    }
    out->push_back(']');
  }
  if (!boot_id_written) {  // an entry without a _BOOT_ID item: the header's, last
    out->append(",\"_BOOT_ID\":\"");
    out->append(entry.boot_id);
    out->push_back('"');
  }
  out->append("}\n");
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

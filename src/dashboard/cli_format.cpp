#include "infralogs/dashboard/cli_format.h"

#include <algorithm>
#include <ctime>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

#include "infralogs/core/utf8.h"
#include "infralogs/core/verbose_text.h"
#include "infralogs/dashboard/dashboard.h"

namespace infralogs::dashboard {
namespace {

constexpr const char* kPriorityNames[] = {"emerg",   "alert",  "crit", "err",
                                          "warning", "notice", "info", "debug"};

std::string iso_time(uint64_t usec) {
  std::time_t secs = static_cast<std::time_t>(usec / 1000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%06uZ", buf, static_cast<unsigned>(usec % 1000000));
  return out;
}

std::string prio(const std::optional<int>& p) {
  return p && *p >= 0 && *p < 8 ? kPriorityNames[*p] : "-";
}

std::string csv_field(const std::string& v) {
  if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
  std::string out = "\"";
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string opt_text(const std::optional<std::string>& v) { return v ? escape_text(*v) : ""; }

// Like escape_text, but a message's newlines and tabs stay (short format indents them).
std::string message_text(const std::optional<std::string>& v, bool keep_newlines) {
  if (!v) return "";
  if (keep_newlines && is_printable_utf8(*v, true)) return *v;
  return escape_text(*v);
}

std::string fit(const std::string& s, size_t width) {
  if (s.size() <= width) return s + std::string(width - s.size(), ' ');
  return s.substr(0, width - 1) + "~";
}

// A stored value's bytes: a string as is, an array of byte numbers (how the agent's JSON
// carries a value that is not printable UTF-8) as those bytes. False for anything else.
bool stored_bytes(const nlohmann::ordered_json& v, std::string* out) {
  if (v.is_string()) {
    *out = v.get<std::string>();
    return true;
  }
  if (!v.is_array() || v.empty()) return false;
  out->clear();
  for (const auto& b : v) {
    if (!b.is_number_unsigned() || b.get<uint64_t>() > 255) return false;
    out->push_back(static_cast<char>(b.get<uint64_t>()));
  }
  return true;
}

// Every value of a stored field: one value, or the values of a field that repeats (an array
// of strings and byte arrays).
std::vector<std::string> stored_values(const nlohmann::ordered_json& v) {
  std::string one;
  if (stored_bytes(v, &one)) return {one};
  std::vector<std::string> all;
  if (v.is_array()) {
    for (const auto& e : v) {
      if (stored_bytes(e, &one)) all.push_back(one);
    }
  }
  return all;
}

// What the stored text says of the journal's order beyond its members' order: where the
// collector marked MESSAGE's place (wire/entry_decoder.h: the one space outside strings between
// members), as the number of members before it, and the place marks of the later values of
// repeated fields (journal/entry_format.h, JsonOrder::kJournal: K spaces before a value in an
// array), per member. `valid` is false when the text holds any other whitespace or has `members`
// other than the parsed object's size (a repeated key): then neither can be trusted.
struct StoredLayout {
  bool valid = false;
  std::optional<size_t> message_slot;
  std::vector<std::vector<size_t>> marks;  // per member: one per value of its array (0: none)
};

StoredLayout stored_layout(std::string_view text, size_t members) {
  StoredLayout out;
  std::vector<std::vector<size_t>> marks(1);
  size_t depth = 0, commas = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        break;
      case '{':
      case '[':
        ++depth;
        break;
      case '}':
      case ']':
        --depth;
        break;
      case ',':
        if (depth == 1) {
          ++commas;
          marks.emplace_back();
        } else if (depth == 2) {
          // A later value of the member's array: its place mark is the run of spaces that
          // follows (none: 0).
          size_t k = 0;
          while (i + 1 < text.size() && text[i + 1] == ' ') ++k, ++i;
          if (marks.back().empty()) marks.back().push_back(0);  // the first value
          marks.back().push_back(k);
        }
        break;
      case ' ':
      case '\t':
      case '\r':
      case '\n':
        if (out.message_slot || c != ' ' || depth != 1) return {};
        if (i > 0 && text[i - 1] == '{')
          out.message_slot = 0;
        else if (i + 1 < text.size() && (text[i + 1] == ',' || text[i + 1] == '}'))
          out.message_slot = commas + 1;
        else
          return {};
        break;
      default:
        break;
    }
  }
  size_t stored = text.find_first_not_of("{ }") == std::string_view::npos ? 0 : commas + 1;
  if (stored != members) return {};
  out.valid = true;
  out.marks = std::move(marks);
  return out;
}

// One value to print: its field, bytes, and place mark (0: none).
struct VerboseItem {
  std::string name;
  std::string value;
  size_t mark = 0;
};

// The items in the journal's order: a marked item at its place, the others filling the free
// places in their stored order. Stored order when a mark does not fit (no place or a taken one).
std::vector<const VerboseItem*> journal_order(const std::vector<VerboseItem>& items) {
  std::vector<const VerboseItem*> placed(items.size(), nullptr);
  bool fits = true;
  for (const VerboseItem& it : items) {
    if (!it.mark) continue;
    if (it.mark >= items.size() || placed[it.mark]) {
      fits = false;
      break;
    }
    placed[it.mark] = &it;
  }
  if (!fits) {
    for (size_t i = 0; i < items.size(); ++i) placed[i] = &items[i];
    return placed;
  }
  size_t free = 0;
  for (const VerboseItem& it : items) {
    if (it.mark) continue;
    while (placed[free]) ++free;
    placed[free] = &it;
  }
  return placed;
}

void append_verbose_entry(const storage::EntryDetail& e, std::string* out) {
  auto fields = nlohmann::ordered_json::parse(e.fields_json, nullptr, false);
  if (!fields.is_object()) fields = nlohmann::ordered_json::object();
  std::string cursor;
  if (auto it = fields.find("__CURSOR"); it != fields.end() && it->is_string()) cursor = *it;
  uint64_t shown = e.realtime_usec;
  if (auto it = fields.find("_SOURCE_REALTIME_TIMESTAMP"); it != fields.end()) {
    std::vector<std::string> values = stored_values(*it);
    if (!values.empty()) shown = parse_source_realtime(values.back()).value_or(shown);
  }
  append_verbose_header(shown, cursor, out);
  // MESSAGE from its column: where the collector marked its place, else (rows stored before the
  // mark) last. The later values of a repeated field at their marked places (rows collected
  // with order=journal), else with the field's first.
  const bool in_column = e.message && !fields.contains("MESSAGE");
  StoredLayout layout = stored_layout(e.fields_json, fields.size());
  std::optional<size_t> slot = in_column ? layout.message_slot : std::nullopt;
  std::vector<VerboseItem> items;
  size_t index = 0;
  for (const auto& [name, value] : fields.items()) {
    const size_t member = index++;
    if (slot == member) items.push_back({"MESSAGE", *e.message, 0});
    // journalctl shows the address fields in the header, not as fields.
    if (name == "__CURSOR" || name == "__REALTIME_TIMESTAMP" || name == "__MONOTONIC_TIMESTAMP")
      continue;
    std::string one;
    const bool repeated = !stored_bytes(value, &one) && value.is_array();
    std::vector<std::string> values = stored_values(value);
    const std::vector<size_t>* marks =
        layout.valid && repeated && layout.marks[member].size() == values.size()
            ? &layout.marks[member]
            : nullptr;
    for (size_t v = 0; v < values.size(); ++v)
      items.push_back({name, std::move(values[v]), marks && v ? (*marks)[v] : 0});
  }
  if (in_column && (!slot || *slot >= index)) items.push_back({"MESSAGE", *e.message, 0});
  for (const VerboseItem* it : journal_order(items)) append_verbose_field(it->name, it->value, out);
}

}  // namespace

std::string format_verbose(const std::vector<storage::EntryDetail>& entries) {
  std::string out;
  for (const auto& e : entries) append_verbose_entry(e, &out);
  return out;
}

bool parse_cli_format(const std::string& name, CliFormat* out) {
  if (name == "short")
    *out = CliFormat::kShort;
  else if (name == "json")
    *out = CliFormat::kJson;
  else if (name == "csv")
    *out = CliFormat::kCsv;
  else if (name == "table")
    *out = CliFormat::kTable;
  else if (name == "verbose")
    *out = CliFormat::kVerbose;
  else
    return false;
  return true;
}

std::string escape_text(const std::string& value) {
  if (is_printable_utf8(value, false) && value.find('\t') == std::string::npos) return value;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : value) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else if (c == '\\') {
      out += "\\\\";
    } else {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string format_rows(const std::vector<storage::SearchRow>& rows, CliFormat format) {
  std::string out;
  if (format == CliFormat::kCsv) out += "time,host,priority,unit,identifier,pid,message\n";
  if (format == CliFormat::kTable) {
    out += fit("TIME", 27) + " " + fit("HOST", 14) + " " + fit("PRIO", 7) + " " + fit("UNIT", 22) +
           " " + fit("IDENT", 14) + " MESSAGE\n";
  }
  for (const auto& r : rows) {
    std::string t = iso_time(r.key.realtime_usec);
    std::string ident = opt_text(r.identifier);
    std::string pid = r.pid ? std::to_string(*r.pid) : "";
    switch (format) {
      case CliFormat::kShort: {
        std::string head = t + " " + escape_text(r.host) + " " +
                           (ident.empty() ? opt_text(r.unit) : ident) +
                           (pid.empty() ? "" : "[" + pid + "]") + ": ";
        std::string msg = message_text(r.message, true);
        size_t start = 0;
        out += head;
        while (true) {  // continuation lines indented under the first, as journalctl does
          size_t nl = msg.find('\n', start);
          out += msg.substr(start, nl == std::string::npos ? nl : nl - start) + "\n";
          if (nl == std::string::npos) break;
          out += std::string(head.size(), ' ');
          start = nl + 1;
        }
        break;
      }
      case CliFormat::kJson: {
        nlohmann::json j = {
            {"time", t},
            {"realtime_usec", r.key.realtime_usec},
            {"host", text_or_bytes(r.host)},
            {"priority", r.priority ? nlohmann::json(*r.priority) : nlohmann::json(nullptr)},
            {"unit", r.unit ? text_or_bytes(*r.unit) : nlohmann::json(nullptr)},
            {"identifier", r.identifier ? text_or_bytes(*r.identifier) : nlohmann::json(nullptr)},
            {"pid", r.pid ? nlohmann::json(*r.pid) : nlohmann::json(nullptr)},
            {"message", r.message ? text_or_bytes(*r.message) : nlohmann::json(nullptr)},
            {"id", r.key.to_string()}};
        out += j.dump() + "\n";
        break;
      }
      case CliFormat::kCsv:
        out += csv_field(t) + "," + csv_field(escape_text(r.host)) + "," + prio(r.priority) + "," +
               csv_field(opt_text(r.unit)) + "," + csv_field(ident) + "," + pid + "," +
               csv_field(message_text(r.message, true)) + "\n";
        break;
      case CliFormat::kVerbose:  // needs the stored fields: format_verbose
        break;
      case CliFormat::kTable:
        out += fit(t, 27) + " " + fit(escape_text(r.host), 14) + " " + fit(prio(r.priority), 7) +
               " " + fit(opt_text(r.unit), 22) + " " + fit(ident, 14) + " " +
               message_text(r.message, false) + "\n";
        break;
    }
  }
  return out;
}

}  // namespace infralogs::dashboard

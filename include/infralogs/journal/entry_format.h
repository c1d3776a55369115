#pragma once
// Encoders for a journal Entry, each matching what journalctl prints for the same entry:
//  - JSON (`journalctl -o json --all`): one object per line; values are strings when printable
//    UTF-8, else arrays of byte numbers; repeated fields become arrays; never null.
//  - Export (`journalctl -o export`): the binary-safe Journal Export Format.
//  - Verbose (`journalctl --all -o verbose`, TZ=UTC): a header line, then every field on its
//    own indented line, values as raw bytes (core/verbose_text.h).
//  - Short (`journalctl -o short`, UTC): "Mon DD HH:MM:SS host ident[pid]: message".
// All functions append to *out and are thread-safe (no shared state).

#include <string>
#include <string_view>
#include <vector>

#include "infralogs/core/utf8.h"
#include "infralogs/journal/entry.h"

namespace infralogs::journal {

using infralogs::is_printable_utf8;

// Which data fields to output; empty means all. The address fields (__CURSOR,
// __REALTIME_TIMESTAMP, __MONOTONIC_TIMESTAMP, _BOOT_ID) are always written.
using FieldSet = std::vector<std::string>;

// Appends the entry as one JSON object and a '\n'.
void append_json(const Entry& entry, const FieldSet& fields, std::string* out);

// The order of a JSON line's members.
//  - kJournalctl: journalctl's (the three address fields, _BOOT_ID, then each field at its first
//    value, the values of a repeated field grouped in one array).
//  - kJournal: the same members and values (a JSON parser reads the same object), placed so that
//    the journal's order of the data items (what -o verbose shows) can be read back: the address
//    fields, then each field at its first value's place, _BOOT_ID included (an entry without a
//    _BOOT_ID item has the header's last). A repeated field is still one array, and each of its
//    values after the first is preceded by K spaces, K being that value's place (0-based, >= 1)
//    among all values written for the data fields. No other whitespace outside strings.
enum class JsonOrder { kJournalctl, kJournal };
void append_json(const Entry& entry, const FieldSet& fields, JsonOrder order, std::string* out);

// Appends the entry in the Journal Export Format, ending with the empty line.
void append_export(const Entry& entry, std::string* out);

// The same with journalctl's --output-fields: the four address fields are always written,
// other fields only when in `fields` (empty: all).
void append_export(const Entry& entry, const FieldSet& fields, std::string* out);

// Appends the entry as `journalctl --all -o verbose` prints it with TZ=UTC: the header (the time
// of _SOURCE_REALTIME_TIMESTAMP when it parses, else __REALTIME_TIMESTAMP, and the cursor),
// then each data item in the entry's order, _BOOT_ID included. With `fields` (journalctl's
// --output-fields) only those items are written; the header always is.
void append_verbose(const Entry& entry, const FieldSet& fields, std::string* out);

// Appends the entry as journalctl's "short" line(s) in UTC, ending with '\n'.
void append_short(const Entry& entry, std::string* out);

// Appends a JSON string literal with the needed escapes; s must be valid UTF-8.
void append_json_string(std::string_view s, std::string* out);

}  // namespace infralogs::journal

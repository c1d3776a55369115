#pragma once
// Encoders for a journal Entry, each matching what journalctl prints for the same entry:
//  - JSON (`journalctl -o json --all`): one object per line; values are strings when printable
//    UTF-8, else arrays of byte numbers; repeated fields become arrays; never null.
//  - Export (`journalctl -o export`): the binary-safe Journal Export Format.
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

// Appends the entry in the Journal Export Format, ending with the empty line.
void append_export(const Entry& entry, std::string* out);

// Appends the entry as journalctl's "short" line(s) in UTC, ending with '\n'.
void append_short(const Entry& entry, std::string* out);

// Appends a JSON string literal with the needed escapes; s must be valid UTF-8.
void append_json_string(std::string_view s, std::string* out);

}  // namespace infralogs::journal

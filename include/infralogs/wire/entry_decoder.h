#pragma once
// Decodes the agent's /logs lines (docs/wire-protocol.md) into LogEntry values. A small
// purpose-built JSON reader: it decodes only the selected fields and skips over the rest
// (validating it), since the collector's ingest rate depends on it.
// Thread-safe: no shared state.

#include <string_view>

#include "infralogs/core/log_entry.h"
#include "infralogs/core/status.h"

namespace infralogs::wire {

// Decodes one NDJSON line. kCorruption, saying what is wrong, for invalid JSON, anything but an
// object, or an entry without a usable __CURSOR (with s= and i=) or __REALTIME_TIMESTAMP.
//
// out->fields_json is the line itself, except that a MESSAGE with one value is cut out (it is
// in out->message) together with one adjacent comma. When the line holds no whitespace outside
// its strings (the agent's lines never do), one space takes MESSAGE's place, so that readers
// can print the fields in the agent's order: right after '{' when MESSAGE was the first
// member, else right after the member MESSAGE followed (before its ',' or the closing '}').
// That space is then the only whitespace outside strings (dashboard/cli_format.h reads it);
// to a JSON parser the object is the same. Rows stored before the mark have no whitespace.
// The spaces an order=journal line puts before the later values of a repeated field (their
// place marks, docs/wire-protocol.md) are kept as they are and do not count as whitespace.
Status decode_entry(std::string_view line, LogEntry* out);

// Parses a journal cursor's s= (32 hex digits, as 16 bytes) and i= (hex) parts.
bool parse_cursor_seqnum(std::string_view cursor, std::string* seqnum_id, uint64_t* seqnum);

}  // namespace infralogs::wire

#pragma once
// Output formats of `infralogs query` for search rows (oldest first). Values that are not
// printable UTF-8 are shown escaped (\xNN) in text formats and as {"bytes": [...]} in JSON.
// Pure functions: thread-safe.

#include <string>
#include <vector>

#include "infralogs/storage/log_reader.h"

namespace infralogs::dashboard {

enum class CliFormat { kShort, kJson, kCsv, kTable, kVerbose };

// Parses "short", "json", "csv", "table", "verbose"; false when unknown.
bool parse_cli_format(const std::string& name, CliFormat* out);

// The rows in the format, each line ending with '\n' (csv and table start with a header).
// Not kVerbose, which needs every stored field: format_verbose.
std::string format_rows(const std::vector<storage::SearchRow>& rows, CliFormat format);

// Stored entries as `journalctl --all -o verbose` prints them (TZ=UTC; core/verbose_text.h),
// from what the database holds: the header's cursor is the stored __CURSOR and its time the
// entry's last _SOURCE_REALTIME_TIMESTAMP when that parses, else its realtime; then every
// stored field in the stored order, values as raw bytes, and MESSAGE from the message column
// where the collector marked its place (wire/entry_decoder.h), or last in rows stored without
// the mark. The later values of a repeated field go to the places their marks give (rows
// collected with order=journal, journal/entry_format.h), and _BOOT_ID is where the agent put it,
// so entries from an infralogs agent print byte-identical to journalctl. What the stored text
// cannot say is printed as the agent's JSON has it: rows collected without order=journal (an
// older agent, or a gatewayd agent, whose export format puts _BOOT_ID in the entry's header)
// show _BOOT_ID where the JSON put it and a repeated field's values together, where the first
// one stood.
std::string format_verbose(const std::vector<storage::EntryDetail>& entries);

// Text with every byte that is not printable UTF-8 (or is a control character) as \xNN.
std::string escape_text(const std::string& value);

}  // namespace infralogs::dashboard

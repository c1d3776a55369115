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
// stored field, values as raw bytes. What differs from journalctl on the same entry, because
// the database does not keep it: the fields' order where a field repeats (its values are
// printed together, where it first occurred, as the agent's JSON groups them), _BOOT_ID
// (printed first), and MESSAGE when it is stored in its own column (printed last).
std::string format_verbose(const std::vector<storage::EntryDetail>& entries);

// Text with every byte that is not printable UTF-8 (or is a control character) as \xNN.
std::string escape_text(const std::string& value);

}  // namespace infralogs::dashboard

#pragma once
// Output formats of `infralogs query` for search rows (oldest first). Values that are not
// printable UTF-8 are shown escaped (\xNN) in text formats and as {"bytes": [...]} in JSON.
// Pure functions: thread-safe.

#include <string>
#include <vector>

#include "infralogs/storage/log_reader.h"

namespace infralogs::dashboard {

enum class CliFormat { kShort, kJson, kCsv, kTable };

// Parses "short", "json", "csv", "table"; false when unknown.
bool parse_cli_format(const std::string& name, CliFormat* out);

// The rows in the format, each line ending with '\n' (csv and table start with a header).
std::string format_rows(const std::vector<storage::SearchRow>& rows, CliFormat format);

// Text with every byte that is not printable UTF-8 (or is a control character) as \xNN.
std::string escape_text(const std::string& value);

}  // namespace infralogs::dashboard

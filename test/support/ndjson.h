#pragma once
// Newline-delimited JSON: agent /logs bodies, `journalctl -o json`, and our JSON-lines logs.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace infralogs::test {

// One object per line of `body` (empty lines skipped). Fails the test, naming the line, if a
// line is not JSON: for bodies that must be NDJSON.
std::vector<nlohmann::json> parse_ndjson(const std::string& body);

// The complete lines of `text` that parse as JSON; other lines, and a last line without its
// newline (still being written), are skipped. For the log of a process that is running.
std::vector<nlohmann::json> parse_json_lines(const std::string& text);

}  // namespace infralogs::test

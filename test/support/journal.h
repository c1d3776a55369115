#pragma once
// Test journals: written by the project's make-journal (through systemd-journal-remote) and
// read back by journalctl, the oracle.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace infralogs::test {

// Runs `make-journal -o OUTPUT ARGS...`; fails the test, with its stderr, if it fails. OUTPUT
// is a .journal file (appended to if it exists) or, with --split-hosts, a directory.
void generate_journal(const std::string& output, const std::vector<std::string>& args);

// `journalctl ARGS... -o json --all -q --no-pager` with TZ=UTC: one object per entry, in
// journalctl's order. No match is an empty vector; any other failure fails the test.
std::vector<nlohmann::json> journalctl_json(const std::vector<std::string>& args);

}  // namespace infralogs::test

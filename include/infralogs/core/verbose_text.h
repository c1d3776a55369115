#pragma once
// The pieces of `journalctl --all -o verbose` (systemd 252, logs-show.c output_verbose), shared
// by the agent's encoder (journal/entry_format.h) and `infralogs query -o verbose`
// (dashboard/cli_format.h), which hold entries in different shapes. Pure functions that append
// to *out: thread-safe.
//
// An entry prints as its header line and then one "    NAME=value" line per data item, in
// the entry's order:
//   Wed 2025-01-01 00:00:00.311005 UTC [s=...;i=1;b=...;m=...;t=...;x=...]
//       _BOOT_ID=b7ef3ab6d5514059b86f8f0411fdfda3
//       MESSAGE=first line
//               second line

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace infralogs {

// journalctl 252 shows an entry's _SOURCE_REALTIME_TIMESTAMP instead of its
// __REALTIME_TIMESTAMP when the entry has one: its last value in the entry's order, and only
// when that parses as systemd's safe_atou64 parses it (leading whitespace and '+' allowed, no
// '-', base 0 so 0x is hex and a leading 0 octal, the text ends at its first NUL) to a valid
// realtime (0 < t < 2^55). This is that parse: the time, or nullopt when the caller must use
// __REALTIME_TIMESTAMP. Each rule was checked against journalctl 252's output.
std::optional<uint64_t> parse_source_realtime(std::string_view value);

// Appends "TIMESTAMP [CURSOR]\n". TIMESTAMP is systemd's TIMESTAMP_US style in UTC
// ("Wed 2025-01-01 00:00:00.311005 UTC"), what journalctl prints with TZ=UTC; 0 and
// UINT64_MAX print "(no timestamp)", and times past year 9999 journalctl's
// "--- XXXX-XX-XX XX:XX:XX.XXXXXX".
void append_verbose_header(uint64_t realtime_usec, std::string_view cursor, std::string* out);

// Appends "    NAME=VALUE\n" as journalctl --all prints it (print_multiline): every byte as is,
// whatever it is; each LF starts a new line indented by 5 + NAME's length spaces; a trailing
// LF adds no empty line; an empty value is an empty line; and, as journalctl's printf("%.*s")
// does, each line stops at its first NUL byte (what follows it up to the next LF is not shown).
void append_verbose_field(std::string_view name, std::string_view value, std::string* out);

}  // namespace infralogs

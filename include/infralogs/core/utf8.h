#pragma once
// UTF-8 text tests shared by the journal encoders and the dashboard.

#include <string_view>

namespace infralogs {

// systemd's utf8_is_printable_newline(): valid UTF-8 (no overlong forms, surrogates or
// noncharacters), no C0 control but TAB (and LF when allow_newline), no DEL, no C1 control.
// journalctl prints a value as a JSON string exactly when this holds (with allow_newline).
bool is_printable_utf8(std::string_view s, bool allow_newline);

}  // namespace infralogs

#pragma once
// The agent's HTTP protocol, version 1 (docs/wire-protocol.md): route, parameter and header
// names shared by the agent and its clients.

#include <cstddef>

namespace infralogs::wire {

inline constexpr int kProtocolVersion = 1;

inline constexpr const char* kLogsPath = "/logs";
inline constexpr const char* kEntriesPath = "/entries";
inline constexpr const char* kHealthPath = "/healthz";
inline constexpr const char* kMetricsPath = "/metrics";
inline constexpr const char* kMachinePath = "/machine";

// /logs query parameters.
inline constexpr const char* kParamAfter = "after";
inline constexpr const char* kParamLimit = "limit";
inline constexpr const char* kParamSince = "since";
inline constexpr const char* kParamUntil = "until";
inline constexpr const char* kParamUnit = "unit";
inline constexpr const char* kParamPriority = "priority";
inline constexpr const char* kParamBoot = "boot";
inline constexpr const char* kParamMatch = "match";
inline constexpr const char* kParamFields = "fields";
// Follow (issue 8): an addition older agents refuse with 400 naming `follow`.
inline constexpr const char* kParamFollow = "follow";  // "true" / "false"
inline constexpr const char* kParamWait = "wait";      // seconds, with follow=true
// The body's format: json (default), export or verbose (journalctl's -o of the same name).
inline constexpr const char* kParamOutput = "output";
// With output=json: `journal` places the members in the journal's order (journal/entry_format.h,
// JsonOrder::kJournal; the collector asks for it to print -o verbose exactly); `journalctl`
// (default) is journalctl's. An addition older agents refuse with 400 naming `order`.
inline constexpr const char* kParamOrder = "order";
inline constexpr const char* kOrderJournal = "journal";
inline constexpr const char* kOrderJournalctl = "journalctl";

// /logs response headers.
inline constexpr const char* kHeaderProtocol = "Infralogs-Protocol";         // "1"
inline constexpr const char* kHeaderMore = "Infralogs-More";                 // "true" / "false"
inline constexpr const char* kHeaderCursorFound = "Infralogs-Cursor-Found";  // "true" / "false"
inline constexpr const char* kHeaderFollow = "Infralogs-Follow";             // "heartbeat=5"
// The reason of a follow refused because the agent serves --max-followers already (503).
inline constexpr const char* kReasonTooManyFollowers = "too_many_followers";

// /logs page sizes: the agent's defaults for --default-limit (a request without limit) and
// --max-limit (the largest limit a request may give), and the largest value either option
// accepts.
inline constexpr size_t kDefaultLimit = 1000;
inline constexpr size_t kDefaultMaxLimit = 100000;
inline constexpr size_t kLargestLimit = 10 * kDefaultMaxLimit;

inline constexpr const char* kNdjsonType = "application/x-ndjson";
inline constexpr const char* kExportType = "application/vnd.fdo.journal";  // output=export
inline constexpr const char* kVerboseType = "text/plain";                  // output=verbose

}  // namespace infralogs::wire

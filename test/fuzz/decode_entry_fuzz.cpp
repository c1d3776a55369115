// libFuzzer target: wire::decode_entry, the collector's decoder of an agent's /logs lines, and
// wire::parse_cursor_seqnum on the same bytes as a cursor. Both see whatever a (possibly
// hostile) agent sends.
//
// Beyond "no crash": what decode_entry accepts must be JSON a real parser accepts too, and the
// fields_json it keeps for storage must be a JSON object, since the dashboard parses it again.

#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "infralogs/wire/entry_decoder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view line(reinterpret_cast<const char*>(data), size);
  infralogs::LogEntry entry;
  infralogs::Status st = infralogs::wire::decode_entry(line, &entry);
  if (st.is_ok()) {
    if (!nlohmann::json::accept(line)) std::abort();  // accepted what is not JSON
    auto fields = nlohmann::json::parse(entry.fields_json, nullptr, false);
    if (fields.is_discarded() || !fields.is_object()) std::abort();
    if (entry.seqnum_id.size() != 16) std::abort();
  }
  std::string seqnum_id;
  uint64_t seqnum = 0;
  if (infralogs::wire::parse_cursor_seqnum(line, &seqnum_id, &seqnum) && seqnum_id.size() != 16)
    std::abort();
  return 0;
}

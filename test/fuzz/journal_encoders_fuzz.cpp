// libFuzzer target: the agent's encoders (journal::append_json in both orders, append_export,
// append_short) on entries with arbitrary data items: any bytes in names and values, as a
// corrupted or hostile journal can hold. The cursor and boot ID are shaped as the reader gives
// them (sd_journal_get_cursor is ASCII, the boot ID 32 hex digits).
//
// Beyond "no crash": the JSON line must be one valid JSON object ending in '\n', and
// wire::decode_entry (the collector) must accept it when the cursor is a real one.

#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "infralogs/journal/entry_format.h"
#include "infralogs/wire/entry_decoder.h"

namespace {

const char kCursor[] =
    "s=0123456789abcdef0123456789abcdef;i=1f;b=fedcba9876543210fedcba9876543210;m=10;t=5f;x=ab";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  infralogs::journal::Entry entry;
  entry.cursor = kCursor;
  entry.realtime_usec = in.ConsumeIntegral<uint64_t>();
  entry.monotonic_usec = in.ConsumeIntegral<uint64_t>();
  if (in.ConsumeBool()) entry.boot_id = "fedcba9876543210fedcba9876543210";
  infralogs::journal::FieldSet fields;
  if (in.ConsumeBool()) fields.push_back(in.ConsumeRandomLengthString(80));
  while (in.remaining_bytes() > 0) {
    std::string item = in.ConsumeRandomLengthString(4096);
    entry.add_item(item.data(), item.size());
  }

  std::string json;
  infralogs::journal::append_json(entry, fields, &json);
  if (json.empty() || json.back() != '\n' || json.find('\n') != json.size() - 1) std::abort();
  auto parsed = nlohmann::json::parse(json, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) std::abort();
  infralogs::LogEntry decoded;
  json.pop_back();
  infralogs::Status st = infralogs::wire::decode_entry(json, &decoded);
  if (!st.is_ok()) {
    std::fprintf(stderr, "decode_entry refused append_json's line: %s\n", st.to_string().c_str());
    std::abort();
  }

  // The journal's order: the same object, and the collector reads the same entry from it.
  std::string ordered;
  infralogs::journal::append_json(entry, fields, infralogs::journal::JsonOrder::kJournal, &ordered);
  if (nlohmann::json::parse(ordered, nullptr, false) != parsed) std::abort();
  infralogs::LogEntry decoded_ordered;
  ordered.pop_back();
  st = infralogs::wire::decode_entry(ordered, &decoded_ordered);
  if (!st.is_ok() || decoded_ordered.cursor != decoded.cursor ||
      decoded_ordered.message != decoded.message || decoded_ordered.boot_id != decoded.boot_id) {
    std::fprintf(stderr, "decode_entry read the journal-order line differently: %s\n",
                 st.to_string().c_str());
    std::abort();
  }

  std::string exported;
  infralogs::journal::append_export(entry, &exported);
  if (exported.size() < 2 || exported.compare(exported.size() - 2, 2, "\n\n") != 0) std::abort();

  std::string short_line;
  infralogs::journal::append_short(entry, &short_line);
  if (short_line.empty() || short_line.back() != '\n') std::abort();
  return 0;
}

// libFuzzer target: wire::ExportDecoder, the collector's reader of systemd-journal-gatewayd's
// /entries in the Journal Export Format, which a (possibly hostile) gatewayd host sends.
//
// Beyond "no crash": every JSON line it hands on must be a JSON object a real parser accepts,
// and cutting the input in two at any place must give the same lines and the same verdict as
// feeding it whole (the body arrives in chunks cut anywhere). Each line then goes through
// decode_entry, as in the collector.

#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "infralogs/wire/entry_decoder.h"
#include "wire/export_decoder.h"

namespace {

constexpr size_t kMaxEntryBytes = 1 << 20;

struct Outcome {
  std::vector<std::string> lines;
  bool fed_ok = true;
  bool finished_ok = true;
};

Outcome decode(std::string_view input, size_t cut) {
  Outcome out;
  infralogs::wire::ExportDecoder d(kMaxEntryBytes);
  auto on_entry = [&](std::string_view line) {
    out.lines.emplace_back(line);
    return true;
  };
  out.fed_ok = d.feed(input.data(), cut, on_entry) &&
               d.feed(input.data() + cut, input.size() - cut, on_entry);
  if (out.fed_ok) out.finished_ok = d.finish("fuzz: ").is_ok();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  Outcome whole = decode(input, size);
  for (const std::string& line : whole.lines) {
    if (line.size() > kMaxEntryBytes) std::abort();  // the bound it promises
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) std::abort();  // handed on what is not an object
    infralogs::LogEntry entry;
    (void)infralogs::wire::decode_entry(line, &entry);
  }
  // A cut at a place chosen by the input itself.
  size_t cut = size == 0 ? 0 : (static_cast<size_t>(data[0]) * 131 + size / 2) % (size + 1);
  Outcome split = decode(input, cut);
  if (split.lines != whole.lines || split.fed_ok != whole.fed_ok ||
      split.finished_ok != whole.finished_ok)
    std::abort();  // the chunking changed what was read
  return 0;
}

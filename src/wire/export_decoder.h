// Reading systemd-journal-gatewayd's /entries in the Journal Export Format (Accept:
// application/vnd.fdo.journal; docs/operations.md) as it arrives. Private to wire
// (HttpAgentClient::fetch()).
//
// gatewayd's JSON has no --all: a field of 4096 bytes or more arrives as null. The export format
// carries every value whole, binary ones as NAME\n + 64-bit little-endian length + bytes + \n.
// Each entry is turned into the JSON line `journalctl -o json --all` prints for it (strings for
// printable UTF-8, byte arrays otherwise, repeated fields as arrays), which is the line an
// infralogs agent sends: decode_entry() then gives the collector the same LogEntry either way.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "infralogs/core/status.h"

namespace infralogs::wire {

class ExportDecoder {
 public:
  // An entry may hold at most max_entry_bytes of field names and values, and its JSON line may
  // be at most that long; more is refused as corruption, a binary field's length before
  // anything is allocated for it. At most kMaxFields fields per entry (the journal itself
  // takes 1024).
  static constexpr size_t kMaxFields = 16384;
  explicit ExportDecoder(size_t max_entry_bytes) : max_entry_bytes_(max_entry_bytes) {}

  // The body's next bytes, cut anywhere. Each entry completed by its empty line is handed to
  // on_entry as its JSON line (without '\n'), valid during the call; on_entry returns false to
  // stop. Returns false when on_entry stopped or the stream is corrupt (error() says how; the
  // decoder then takes nothing more).
  bool feed(const char* data, size_t size,
            const std::function<bool(std::string_view json_line)>& on_entry);

  // After the body's last byte: kCorruption, prefixed by `where`, when it ended inside an entry
  // (a last entry without its empty line is incomplete, as journal-remote also treats it).
  Status finish(const std::string& where) const;

  // Ok, or what feed() found wrong.
  const Status& error() const { return error_; }

 private:
  enum class State { kLine, kLength, kValue, kValueEnd };
  struct Field {
    size_t name_at, name_size, value_at, value_size;
  };

  bool fail(std::string message);
  bool end_line(const std::function<bool(std::string_view)>& on_entry);
  bool add_name(size_t at, size_t size);
  bool end_entry(const std::function<bool(std::string_view)>& on_entry);

  size_t max_entry_bytes_;
  Status error_ = Status::ok();
  State state_ = State::kLine;
  std::string data_;  // the current entry's names and values, back to back
  std::vector<Field> fields_;
  std::vector<size_t> order_;  // end_entry(): field indexes grouped by name
  size_t line_at_ = 0;         // kLine: where the line being read starts in data_
  unsigned char length_[8] = {};
  size_t length_have_ = 0;
  uint64_t value_left_ = 0;  // kValue: bytes of the binary value still to come
  std::string json_;
};

}  // namespace infralogs::wire

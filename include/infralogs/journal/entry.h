#pragma once
// One journal entry as read from the journal: its address fields and its data items.
// Owns its bytes; a reader refills the same Entry to avoid reallocating per entry.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace infralogs::journal {

class Entry {
 public:
  std::string cursor;           // __CURSOR, opaque
  uint64_t realtime_usec = 0;   // __REALTIME_TIMESTAMP
  uint64_t monotonic_usec = 0;  // __MONOTONIC_TIMESTAMP
  std::string boot_id;          // _BOOT_ID as 32 lowercase hex digits

  void clear() {
    cursor.clear();
    realtime_usec = monotonic_usec = 0;
    boot_id.clear();
    bytes_.clear();
    items_.clear();
  }
  // Appends one data item, "NAME=value" as raw bytes (the value may hold any byte).
  void add_item(const void* data, size_t size) {
    items_.push_back({bytes_.size(), size});
    bytes_.append(static_cast<const char*>(data), size);
  }
  size_t item_count() const { return items_.size(); }
  // The i-th "NAME=value" item; valid until the entry is changed.
  std::string_view item(size_t i) const {
    return {bytes_.data() + items_[i].first, items_[i].second};
  }
  // Total bytes of all items.
  size_t item_bytes() const { return bytes_.size(); }

 private:
  std::string bytes_;
  std::vector<std::pair<size_t, size_t>> items_;  // offset, size into bytes_
};

// Splits "NAME=value" at the first '='. An item without '=' gives the whole item as name and an
// empty value (the journal never stores such items, but a corrupted file might).
inline void split_item(std::string_view item, std::string_view* name, std::string_view* value) {
  size_t eq = item.find('=');
  if (eq == std::string_view::npos) {
    *name = item;
    *value = {};
    return;
  }
  *name = item.substr(0, eq);
  *value = item.substr(eq + 1);
}

}  // namespace infralogs::journal

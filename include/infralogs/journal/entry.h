#pragma once
// One journal entry as read from the journal: its address fields and its data items.
// Owns its bytes; a reader refills the same Entry to avoid reallocating per entry.

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace infralogs::journal {
namespace entry_detail {

// The bytes of a field name: A-Z, 0-9 and _.
struct FieldBytes {
  bool ok[256] = {};
  constexpr FieldBytes() {
    for (int c = 'A'; c <= 'Z'; ++c) ok[c] = true;
    for (int c = '0'; c <= '9'; ++c) ok[c] = true;
    ok['_'] = true;
  }
};
inline constexpr FieldBytes kFieldBytes;

}  // namespace entry_detail

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
  // Appends one data item, "NAME=value" as raw bytes (the value may hold any byte). Finds the
  // '=' and whether NAME is a field name (is_field()) on the way, so that the readers and the
  // encoders of every item need not scan its name again.
  void add_item(const void* data, size_t size) {
    const auto* p = static_cast<const unsigned char*>(data);
    // A field name is at most 64 bytes, then '=': the scan for one stops after 65.
    const size_t limit = size < 65 ? size : 65;
    size_t i = 0;
    while (i < limit && entry_detail::kFieldBytes.ok[p[i]]) ++i;
    Item it{bytes_.size(), size, i, false};
    if (i < size && p[i] == '=') {
      it.field = i > 0 && i <= 64 && !(p[0] >= '0' && p[0] <= '9');
    } else {
      const void* eq = i < size ? std::memchr(p + i, '=', size - i) : nullptr;
      it.name_size = eq ? static_cast<size_t>(static_cast<const unsigned char*>(eq) - p) : size;
    }
    items_.push_back(it);
    bytes_.append(static_cast<const char*>(data), size);
  }
  size_t item_count() const { return items_.size(); }
  // The i-th "NAME=value" item; valid until the entry is changed.
  std::string_view item(size_t i) const {
    return {bytes_.data() + items_[i].offset, items_[i].size};
  }
  // The i-th item's NAME (up to the first '='; the whole item when it has no '='), and its value
  // (after the first '='; empty without one): split_item() of item(i).
  std::string_view name(size_t i) const {
    return {bytes_.data() + items_[i].offset, items_[i].name_size};
  }
  std::string_view value(size_t i) const {
    const Item& it = items_[i];
    if (it.name_size >= it.size) return {};
    return {bytes_.data() + it.offset + it.name_size + 1, it.size - it.name_size - 1};
  }
  // Whether the i-th item is NAME=value with NAME of 1-64 bytes of A-Z, 0-9 and _, not starting
  // with a digit (is_valid_field_name()): what journald stores. Only a damaged or crafted file
  // holds other items.
  bool is_field(size_t i) const { return items_[i].field; }
  // Total bytes of all items.
  size_t item_bytes() const { return bytes_.size(); }

 private:
  struct Item {
    size_t offset;     // into bytes_
    size_t size;       // of the whole item
    size_t name_size;  // bytes before the first '=' (size when there is none)
    bool field;        // is_field()
  };
  std::string bytes_;
  std::vector<Item> items_;
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

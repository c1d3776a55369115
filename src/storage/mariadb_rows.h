#pragma once
// Result rows as the connection returns them (every column as text), and typed reads of them
// that never throw: a value that should be a number and is not becomes kCorruption.
// Private to src/storage/. Plain values; RowReader is not thread-safe (one per row).

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "infralogs/core/parse.h"
#include "infralogs/core/status.h"

namespace infralogs::storage {

// One result row: each column's text, std::nullopt for SQL NULL.
using Row = std::vector<std::optional<std::string>>;

// Reads the columns of one row by index. A column read as a number that is not one (NULL,
// not digits, or past the row's end) reads 0 and sets status() to kCorruption naming `what`,
// the column and (the start of) the value; status() keeps the first such error. Text reads never
// fail: NULL or a missing column reads "".
class RowReader {
 public:
  RowReader(const Row& row, std::string_view what) : row_(row), what_(what) {}

  bool is_null(size_t i) const { return i >= row_.size() || !row_[i]; }
  const std::string& text(size_t i) const { return is_null(i) ? empty_ : *row_[i]; }
  std::optional<std::string> opt_text(size_t i) const {
    if (is_null(i)) return std::nullopt;
    return *row_[i];
  }
  uint64_t u64(size_t i) {
    std::optional<uint64_t> v = is_null(i) ? std::nullopt : parse_u64(*row_[i]);
    if (!v) {
      if (status_.is_ok()) {
        status_ = Status::corruption(
            std::string(what_) + ": column " + std::to_string(i + 1) + " is " +
            (is_null(i) ? "NULL" : "'" + row_[i]->substr(0, 40) + "'") + ", not a number");
      }
      return 0;
    }
    return *v;
  }
  // NULL reads nullopt; anything else as u64().
  std::optional<uint64_t> opt_u64(size_t i) {
    if (is_null(i)) return std::nullopt;
    return u64(i);
  }
  const Status& status() const { return status_; }

 private:
  const Row& row_;
  std::string_view what_;
  Status status_;
  const std::string empty_;
};

}  // namespace infralogs::storage

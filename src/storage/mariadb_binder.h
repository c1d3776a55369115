#pragma once
// The parameters of a prepared statement's execution, as the MariaDB C client takes them
// (MYSQL_BIND arrays), built so that nothing is ever written or read past an array: Params
// grows with every value, ColumnBinder checks every column's length, and both refuse (kInternal)
// to hand out their array for a statement whose placeholder count differs from theirs.
// Private to src/storage/. Not thread-safe: one per execution.

#include <mysql.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "infralogs/core/status.h"

namespace infralogs::storage {

// Typed values for one plain (single-row) execution, in placeholder order; copied in.
class Params {
 public:
  void u64(uint64_t v) { values_.push_back({MYSQL_TYPE_LONGLONG, v, {}}); }
  void str(std::string_view s) { values_.push_back({MYSQL_TYPE_BLOB, 0, std::string(s)}); }
  void null() { values_.push_back({MYSQL_TYPE_NULL, 0, {}}); }
  size_t size() const { return values_.size(); }

  // The bind array for a statement with `placeholders` parameters; kInternal naming both counts
  // when that is not size(). Points into this object: valid until the next value is added.
  Result<MYSQL_BIND*> binds(unsigned long placeholders) {
    if (placeholders != values_.size()) {
      return Status::internal("statement has " + std::to_string(placeholders) + " parameters, " +
                              std::to_string(values_.size()) + " were bound");
    }
    binds_.assign(values_.size(), MYSQL_BIND{});
    for (size_t i = 0; i < values_.size(); ++i) {
      Value& v = values_[i];
      MYSQL_BIND& b = binds_[i];
      b.buffer_type = v.type;
      if (v.type == MYSQL_TYPE_LONGLONG) {
        b.buffer = &v.num;
        b.is_unsigned = 1;
      } else if (v.type == MYSQL_TYPE_BLOB) {
        v.length = v.text.size();
        b.buffer = v.text.data();
        b.buffer_length = v.length;
        b.length = &v.length;
      }
    }
    return binds_.data();
  }

 private:
  struct Value {
    enum_field_types type;
    uint64_t num;
    std::string text;
    unsigned long length = 0;
  };
  std::vector<Value> values_;
  std::vector<MYSQL_BIND> binds_;
};

// Column-wise array binding for one bulk execution (STMT_ATTR_ARRAY_SIZE = rows): each parameter
// binds a whole column of `rows` values, in placeholder order. The column arrays belong to the
// caller and must not change until the execution is done.
class ColumnBinder {
 public:
  explicit ColumnBinder(size_t rows) : rows_(rows) {}

  size_t rows() const { return rows_; }
  size_t size() const { return binds_.size(); }

  // A column of unsigned integers: uint8_t as TINY, uint32_t as LONG, uint64_t as LONGLONG.
  // `indicators`, when given, holds one STMT_INDICATOR_* per row (STMT_INDICATOR_NULL: NULL).
  template <typename T>
  void numbers(std::vector<T>& values, std::vector<char>* indicators = nullptr) {
    static_assert(
        std::is_same_v<T, uint8_t> || std::is_same_v<T, uint32_t> || std::is_same_v<T, uint64_t>,
        "numbers() binds uint8_t, uint32_t or uint64_t columns");
    constexpr enum_field_types kType = sizeof(T) == 1   ? MYSQL_TYPE_TINY
                                       : sizeof(T) == 4 ? MYSQL_TYPE_LONG
                                                        : MYSQL_TYPE_LONGLONG;
    MYSQL_BIND& b = add(kType, values.data(), values.size(), indicators);
    b.is_unsigned = 1;
  }

  // A column of byte strings given as pointers and lengths: BLOB (bytes) or STRING (text the
  // server converts, such as a DATETIME's). `indicators` as for numbers().
  void strings(std::vector<const char*>& data, std::vector<unsigned long>& lengths,
               std::vector<char>* indicators = nullptr, enum_field_types type = MYSQL_TYPE_BLOB) {
    if (lengths.size() != rows_) fail(lengths.size());
    MYSQL_BIND& b = add(type, data.data(), data.size(), indicators);
    b.length = lengths.data();
  }

  // The bind array for a statement with `placeholders` parameters; kInternal when that is not
  // size() or a column did not hold `rows` values. Valid until the next column is added.
  Result<MYSQL_BIND*> binds(unsigned long placeholders) {
    if (!error_.is_ok()) return error_;
    if (placeholders != binds_.size()) {
      return Status::internal("statement has " + std::to_string(placeholders) + " parameters, " +
                              std::to_string(binds_.size()) + " columns were bound");
    }
    return binds_.data();
  }

 private:
  MYSQL_BIND& add(enum_field_types type, void* buffer, size_t n, std::vector<char>* indicators) {
    if (n != rows_) fail(n);
    if (indicators && indicators->size() != rows_) fail(indicators->size());
    MYSQL_BIND& b = binds_.emplace_back();
    std::memset(&b, 0, sizeof b);
    b.buffer_type = type;
    b.buffer = buffer;
    if (indicators) b.u.indicator = indicators->data();
    return b;
  }
  void fail(size_t n) {
    if (error_.is_ok()) {
      error_ =
          Status::internal("bulk column " + std::to_string(binds_.size() + 1) + " has " +
                           std::to_string(n) + " values for " + std::to_string(rows_) + " rows");
    }
  }

  size_t rows_;
  std::vector<MYSQL_BIND> binds_;
  Status error_;
};

}  // namespace infralogs::storage

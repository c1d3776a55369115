#pragma once
// SqlBuilder: a statement built from fixed SQL fragments, each added together with the values
// its placeholders take, so fragments and parameters cannot drift apart. Every value is a bound
// parameter: no data ever goes into the text. Private to src/storage/. Not thread-safe.

#include <cstdint>
#include <string>
#include <string_view>

#include "mariadb_binder.h"

namespace infralogs::storage {

class SqlBuilder {
 public:
  SqlBuilder() = default;
  explicit SqlBuilder(std::string_view sql) : sql_(sql) {}

  // Appends a fragment; the calls that follow bind its placeholders, in order.
  SqlBuilder& sql(std::string_view fragment) {
    sql_ += fragment;
    return *this;
  }
  SqlBuilder& u64(uint64_t v) {
    params_.u64(v);
    return *this;
  }
  SqlBuilder& str(std::string_view v) {
    params_.str(v);
    return *this;
  }

  const std::string& text() const { return sql_; }
  Params& params() { return params_; }

 private:
  std::string sql_;
  Params params_;
};

}  // namespace infralogs::storage

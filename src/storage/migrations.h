#pragma once
// The schema, as numbered migrations (docs/schema.md). Only src/storage/ holds SQL text.

#include <vector>

namespace infralogs::storage {

struct Migration {
  int version;
  const char* name;
  std::vector<const char*> statements;  // each re-runnable (IF NOT EXISTS)
};

const std::vector<Migration>& migrations();

}  // namespace infralogs::storage

#pragma once
// The schema, as numbered migrations (docs/schema.md), and how a database's applied version is
// judged. Only src/storage/ holds SQL text. Pure functions and constants: thread-safe.

#include <optional>
#include <string>
#include <vector>

#include "infralogs/core/status.h"

namespace infralogs::storage {

struct Migration {
  int version;
  const char* name;
  std::vector<const char*> statements;  // each re-runnable (IF NOT EXISTS)
};

// Every migration, in version order.
const std::vector<Migration>& migrations();

// The query that reads the applied schema version (0 when no migration was applied).
inline constexpr const char* kSelectSchemaVersion =
    "SELECT COALESCE(MAX(version), 0) FROM schema_migrations";

// The version kSelectSchemaVersion returned; kCorruption when it is not a number.
Result<int> parse_schema_version(const std::optional<std::string>& text);

// check_schema()'s verdict on kSelectSchemaVersion: `read` is how the query went, `db_errno`
// the server's error number when it failed, `version` the value it returned. kInvalidArgument,
// saying to run --migrate, when there is no schema_migrations table (ER_NO_SUCH_TABLE) or the
// version is older than `needed`; kCorruption when the version is not a number; any other
// failure of the query as it is.
Status schema_verdict(const Status& read, unsigned int db_errno,
                      const std::optional<std::string>& version, int needed);

}  // namespace infralogs::storage

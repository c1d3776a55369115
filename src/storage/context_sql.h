#pragma once
// The pieces of MariaDbLogReader::context (LogReader::context): the SELECT of each side and of
// the entry itself, and the reading of their rows. Private to src/storage/. Pure functions
// (read_context runs its queries through the caller's function): thread-safe.

#include <cstddef>
#include <functional>
#include <vector>

#include "infralogs/storage/log_reader.h"
#include "mariadb_rows.h"
#include "sql_builder.h"

namespace infralogs::storage {

enum class ContextSide { kOlder, kNewer };

// The SELECT of up to `limit` + 1 entries (one more shows whether there are more) of q.at's
// host (and q.unit) strictly before or after q.at, nearest first: (realtime, host id, seqnum
// ID, seqnum, host, priority, unit, identifier, pid, message).
//
// Why ORDER BY the time alone: the index read, (host_id, realtime_us) or (unit, realtime_us)
// with q.unit, holds the primary key after its columns, so walking it from q.at gives
// equal times in (seqnum ID, seqnum) order by itself; naming those columns in ORDER BY makes
// MariaDB sort every row of the host from q.at to the end of its data instead (it does not use
// a partitioned table's primary key columns in a secondary index for ORDER BY). The index is
// forced so that the walk stops after limit + 1 rows whatever the statistics say.
SqlBuilder context_statement(const ContextQuery& q, ContextSide side, size_t limit);

// The SELECT of the entry at `key` (same columns), by its primary key.
SqlBuilder context_at_statement(const SearchKey& key);

// The rows of context_statement, in journal order (ascending), at most `limit`; `*more` is
// whether there were more. kCorruption when a row does not parse.
Status context_rows(const std::vector<Row>& rows, ContextSide side, size_t limit,
                    std::vector<SearchRow>* out, bool* more);

// LogReader::context with `run` asking the database (one call per statement).
using RunQuery = std::function<Result<std::vector<Row>>(SqlBuilder&)>;
Result<ContextPage> read_context(const ContextQuery& q, const RunQuery& run);

}  // namespace infralogs::storage

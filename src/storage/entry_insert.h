#pragma once
// Inserting entries rows. Two paths, which bench/insert_paths measures against row-at-a-time and
// multi-row INSERTs:
//   MariaDB's bulk array binding of a prepared INSERT: what the collector uses, the fastest
//     there (60k rows/s against 39k for LOAD DATA at 10k-row transactions);
//   LOAD DATA LOCAL INFILE of rows encoded in memory: kept for that comparison (it needs a
//     connection with MariaDbOptions::allow_local_infile).
// Private to src/storage/ (and the insert-path benchmark).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "infralogs/core/log_entry.h"
#include "infralogs/core/status.h"
#include "mariadb_connection.h"

namespace infralogs::storage {

// The entries INSERT with its 15 parameters, in the column order of the table.
extern const char* const kInsertEntry;

// Inserts es[begin, end) for `host` in one bulk execution. The caller keeps the payload under
// the server's max_allowed_packet and owns the transaction.
Status insert_entries_bulk(Connection& conn, uint32_t host, const std::vector<LogEntry>& es, size_t begin, size_t end);

// Inserts es[begin, end) for `host` with one LOAD DATA LOCAL INFILE statement whose rows come
// from memory (tab-separated, backslash-escaped, CHARACTER SET binary: every byte kept). Any
// warning or a row count other than end - begin is an error; the caller owns the transaction
// and rolls back. *refused says whether it failed because the server does not allow LOCAL
// INFILE (local_infile off), so the caller can use insert_entries_bulk instead.
Status insert_entries_load_data(Connection& conn, uint32_t host, const std::vector<LogEntry>& es, size_t begin,
                                size_t end, bool* refused);

// Appends one value in LOAD DATA's default field format (\N for NULL; backslash, tab, newline
// and NUL escaped). Exposed for unit tests.
void append_load_data_field(std::string& out, std::string_view value);

}  // namespace infralogs::storage

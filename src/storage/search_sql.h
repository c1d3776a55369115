#pragma once
// The pieces of MariaDbLogReader::search: the plan, the SELECT for a page, when a time walk's
// result can be used, and the page from the rows. Private to src/storage/. Pure functions:
// thread-safe.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "infralogs/storage/log_reader.h"
#include "mariadb_rows.h"
#include "sql_builder.h"

namespace infralogs::storage {

// How a search reads entries.
enum class SearchPlan {
  // Walk the time index newest first and stop at the page's last row, examining at most a
  // budget of rows. Without a host or unit the planner would start from hosts and read each
  // host's whole window before sorting; the walk takes milliseconds when matches are common.
  kTimeWalk,
  // The planner's own plan over the whole window (host or unit given, or the walk ran out).
  kWholeWindow,
};

// The plan a search tries first: kTimeWalk without host and unit, else kWholeWindow.
SearchPlan first_plan(const SearchQuery& q);

// Whether `q` matches its text case-insensitively in SQL: not exact_case, `text` is valid UTF-8
// (else its bytes could not be folded: it is matched exactly), and it has a letter or any
// non-ASCII character (text of digits and punctuation matches the same either way, and the
// byte comparison is several times cheaper).
bool caseless_text(const SearchQuery& q);

// The PCRE2 pattern that finds `text` literally and case-insensitively: "(?i)\Q" text "\E",
// each "\E" inside it spelled "\E\\E\Q" so it stays literal. No other character of a
// pattern is special between \Q and \E, and LIKE's % _ \ are not involved.
std::string caseless_pattern(const std::string& text);

// The SELECT of one page of `q` with `plan`: up to q.limit + 1 rows (one more shows whether
// another page exists) of (realtime, host id, seqnum ID, seqnum, host, priority, unit,
// identifier, pid, message), newest first. `walk_rows` is kTimeWalk's budget.
SqlBuilder search_statement(const SearchQuery& q, SearchPlan plan, size_t walk_rows);

// Whether a kTimeWalk result is the answer: it filled the page (a prefix of the walk's order is
// right however the walk ended), or it ended without running out of its rows (no warning) in
// less time than its statement limit (`within_time_limit`). MariaDB reports a LIMIT ROWS
// EXAMINED stop by a warning, but when max_statement_time expires just after such a stop the
// statement can end with neither the warning nor an error: a search with a 1 ms limit on a
// loaded machine lost every row past such a page. Otherwise ask again with kWholeWindow.
bool walk_answered(size_t rows, unsigned int warnings, size_t limit, bool within_time_limit);

// The key that, as `after`, continues a search just before `usec`: every row older than it
// and none at it (no key is below host 0 and an all-zero seqnum ID and seqnum 0).
SearchKey resume_key(uint64_t usec);

// The span of the next time slice of a sliced search, after a slice of `span` µs took
// `took_ms` with `left_ms` of the budget left: aims at a third of the time left, growing at most 4x
// and shrinking at most 4x per slice, and never below one second.
uint64_t next_slice_usec(uint64_t span, double took_ms, double left_ms);

// The page made of search_statement's rows: the first `limit`, and `next` set to the last
// one's key when there were more. kCorruption when a row does not parse.
Result<SearchPage> search_page(const std::vector<Row>& rows, size_t limit);

}  // namespace infralogs::storage
